"""The pieces every generated Word document shares: a CJK-ready document, tables, figures with captions.

python-docx writes the OOXML; charts are drawn by matplotlib with its object API (``Figure`` and the Agg
canvas, no pyplot state), with a CJK font when one is installed. Without one, charts fall back to the
English labels (Chinese glyphs would render as empty boxes) and the caller says so in the document.
"""

from __future__ import annotations

import copy
import io
import re
import secrets
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import IO, Any
from weakref import WeakKeyDictionary
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

from diagnostics.text import Text
from diagnostics.workbooks.safe import FIXED_TIME

CJK_FONT_NAMES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                  "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/noto-cjk")
DOC_FONT_EAST_ASIA = "宋体"  # Word substitutes its own CJK font when this one is absent


@cache
def cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, or None."""
    for folder in CJK_FONT_DIRS:
        for path in font_manager.findSystemFonts(fontpaths=[folder]):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONT_NAMES:
        if name in names:
            return name
    return next((n for n in sorted(names) if "CJK" in n), None)


def label(text: Text | dict[str, Any] | str | None) -> str:
    """A chart label: Chinese when a CJK font is installed, else English (falling back to the code)."""
    if text is None:
        return ""
    value = text if isinstance(text, Text) else Text.model_validate(text)
    return value.zh if cjk_font() else (value.en or value.zh.encode("ascii", "replace").decode())


def new_document(title: str, subtitle: str | None = None) -> DocumentObject:
    doc = Document()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        style = doc.styles[style_name]
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), DOC_FONT_EAST_ASIA)
    doc.styles["Normal"].font.size = Pt(10.5)
    props = doc.core_properties  # fixed, so the same records give the same bytes (content-named files)
    props.author = "数诊 Shuzhen"
    props.title = title
    props.created = props.modified = FIXED_TIME
    props.last_modified_by = "数诊 Shuzhen"
    props.revision = 1
    doc.add_heading(title, level=0)
    if subtitle:
        doc.add_paragraph(subtitle)
    return doc


class Appender:
    """Adds blocks to a long document in linear time.

    python-docx's ``add_paragraph`` and ``add_table`` look for the body's closing ``sectPr`` (and
    ``add_table`` for the last section's page width) by walking the body from its start, so a document
    of N blocks costs O(N²): 2 000 firms' survey sections took 39 s, 25 000 would take hours. Here each
    part is written into a small scratch document with the same helpers, then its blocks are moved
    in front of the real document's ``sectPr`` (an O(1) lxml move each). Only text and tables move:
    they refer to styles by id, which both documents take from python-docx's default template.
    """

    def __init__(self, doc: DocumentObject) -> None:
        self.doc = doc
        self.scratch: DocumentObject = Document()
        self._end = doc.element.body.find(qn("w:sectPr"))  # found once: finding it is the O(N) step
        # python-docx resolves a style name by scanning every style of the document (and its default)
        # on each heading and table: half of a section's cost. The scratch document's styles never
        # change, so each (name, type) is resolved once.
        part = self.scratch.part
        resolve: Callable[[Any, Any], str | None] = part.get_style_id
        known: dict[tuple[str, Any], str | None] = {}

        def style_id(style_or_name: Any, style_type: Any) -> str | None:
            if not isinstance(style_or_name, str):
                return resolve(style_or_name, style_type)
            key = (style_or_name, style_type)
            if key not in known:
                known[key] = resolve(style_or_name, style_type)
            return known[key]

        part.get_style_id = style_id  # type: ignore[method-assign]

    def flush(self) -> None:
        """Move what the scratch document holds to the end of the real one."""
        body, end = self.doc.element.body, self._end
        for block in list(self.scratch.element.body):
            if block.tag == qn("w:sectPr"):
                continue
            if end is not None:
                end.addprevious(block)
            else:
                body.append(block)


STREAM_ROWS = 1_000  # a table longer than this keeps its rows out of the tree until the file is written


@dataclass
class _Streamed:
    """Rows of a long table that ``save`` writes as text where the table's placeholder row stands."""

    token: str  # in each cell of the placeholder row: "<token>:<column>"
    table: Any  # the python-docx Table, to build a row python-docx must build itself when it is written
    rows: Sequence[Sequence[Any]]


_STREAMED: WeakKeyDictionary[Any, list[_Streamed]] = WeakKeyDictionary()  # by the document's part


def table(doc: DocumentObject, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A bordered table: a bold header row, then one row per item (``None`` printed as "–").

    python-docx spends ~1 ms building each row (25 s for a census's 25 000 surveyed firms), so the
    first row is built by python-docx and each further plain-text row is a copy of it with its texts
    replaced (an lxml deep copy). The copies leave out the cells' properties, which hold only the width
    the table's grid (``w:tblGrid``) already gives each column: a 15 000-row table took 128 MB in lxml
    with them, 60 MB without (a ``w:tc`` need not have ``w:tcPr``: ECMA-376 Part 1, 17.4.66). A value
    with a tab, a line break or edge spaces, which python-docx writes as extra elements, takes
    python-docx's own path.

    A table of more than ``STREAM_ROWS`` rows (the survey report lists every firm verified on site: 75 000
    in a 300 000-firm census) holds the rest of its rows out of the tree: one placeholder copy of the
    first row stands for them, and ``save`` writes each row as that copy's XML with its texts, into the
    file as it compresses it. The file is the same, byte for byte; the rows never cost lxml's ~4 KB each.
    """
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header, strict=True):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    template: Any = None
    tbl = t._tbl  # noqa: SLF001  (python-docx has no public handle on a table's element)
    for k, row in enumerate(rows):
        if template is not None and len(rows) > STREAM_ROWS:
            token = f"shuzhen-rows-{secrets.token_hex(8)}"
            placeholder = copy.deepcopy(template)
            for column, node in enumerate(placeholder.iter(qn("w:t"))):
                node.text = f"{token}:{column}"
            tbl.append(placeholder)
            _STREAMED.setdefault(doc.part, []).append(_Streamed(token, t, rows[k:]))
            break
        texts = _texts(row)
        if template is not None and all(_plain_text(x) for x in texts):
            tr = copy.deepcopy(template)
            for node, text in zip(tr.iter(qn("w:t")), texts, strict=True):
                node.text = text
            tbl.append(tr)
            continue
        added = t.add_row()
        for cell, text in zip(added.cells, texts, strict=True):
            cell.text = text
        if template is None and all(x and _plain_text(x) for x in texts):
            template = copy.deepcopy(added._tr)  # noqa: SLF001  (the row element, to copy)
            for props in template.findall(f"{qn('w:tc')}/{qn('w:tcPr')}"):
                props.getparent().remove(props)  # each column's width is the table grid's already
    doc.add_paragraph()


def _texts(row: Sequence[Any]) -> list[str]:
    return ["–" if value is None else str(value) for value in row]


def _plain_text(text: str) -> bool:
    """Text python-docx writes as one ``w:t`` (no tab, no line break, no edge spaces)."""
    return text == text.strip() and not any(c in text for c in "\t\n\r")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NAMESPACES = re.compile(rb' xmlns:\w+="[^"]*"')


def _write_rows(sink: IO[bytes], xml: bytes, streamed: list[_Streamed]) -> None:
    """``word/document.xml`` with each placeholder row replaced by its table's rows, written as it goes."""
    at = 0
    for part in streamed:
        first = xml.index(f"{part.token}:0".encode())
        start = xml.rindex(b"<w:tr", 0, first)
        end = xml.index(b"</w:tr>", first) + len(b"</w:tr>")
        pieces = re.split(rb"%s:(\d+)" % part.token.encode(), xml[start:end])
        literal, columns = pieces[0::2], [int(c) for c in pieces[1::2]]
        sink.write(xml[at:start])
        chunk: list[bytes] = []
        for row in part.rows:
            texts = _texts(row)
            if all(_plain_text(x) and not _NOT_XML.search(x) for x in texts):
                cells = [escape(texts[c]).encode() for c in columns]
                chunk.append(b"".join(x for pair in zip(literal, [*cells, b""], strict=True) for x in pair))
            else:  # python-docx's own path, as in ``table``: built on the table, written, taken out again
                chunk.append(_row_built_by_python_docx(part.table, texts))
            if len(chunk) >= 1_000:
                sink.write(b"".join(chunk))
                chunk.clear()
        sink.write(b"".join(chunk))
        at = end
    sink.write(xml[at:])


def _row_built_by_python_docx(t: Any, texts: list[str]) -> bytes:
    added = t.add_row()
    for cell, text in zip(added.cells, texts, strict=True):
        cell.text = text
    tr = added._tr  # noqa: SLF001
    written = bytes(etree.tostring(tr, encoding="UTF-8"))
    tr.getparent().remove(tr)
    head, _, rest = written.partition(b">")  # inside the document its namespaces are the root's
    return _NAMESPACES.sub(b"", head) + b">" + rest


def figure(doc: DocumentObject, fig: Figure, caption: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    doc.add_picture(io.BytesIO(buf.getvalue()), width=Cm(15))
    doc.add_paragraph(caption, style="Caption")


def chart_style() -> Any:
    """The rc context charts are drawn in: the CJK font when there is one, and small neat text."""
    font = cjk_font()
    rc: dict[str, Any] = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    return rc_context(rc)  # type: ignore[arg-type]


def new_figure(width: float = 7.5, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def save(doc: DocumentObject) -> bytes:
    """The document's bytes with every zip entry dated ``FIXED_TIME``: python-docx stamps entries with
    the clock, which would make identical records give a different file (and a different hash) each run.
    The rows of long tables (``table``) are written into ``word/document.xml`` here."""
    streamed = _STREAMED.pop(doc.part, [])
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            if streamed and item.filename == "word/document.xml":
                with dst.open(info, "w") as sink:
                    _write_rows(sink, src.read(item.filename), streamed)
            else:
                dst.writestr(info, src.read(item.filename))
    return out.getvalue()
