"""A row writer that keeps xlsxwriter's constant-memory promise and never writes a formula.

Two dangers this class exists for:

- formula injection: a cell value typed by a respondent (an enterprise name, a free-text answer) that
  starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel if written with ``write()``'s guessing.
  Here a ``str`` always goes through ``write_string``, so it is stored as text, whatever it starts with
  (the workbook is also opened with ``strings_to_formulas`` off, belt and braces);
- silent changes: Excel holds at most 32,767 characters in a cell, and a control character is stored as
  ``_x0001_`` (which is what a reader then sees). ``cell_text`` is the one way text enters a cell here:
  controls removed, and a longer text cut *with a note in the cell saying so*; every cut is kept in
  ``SheetWriter.clipped`` for the caller to report (the census CLI prints a warning per cell);
- constant memory: xlsxwriter flushes a row as soon as a later row is written, so anything written
  "back" is silently lost. ``SheetWriter`` only ever moves forward: each ``row()`` call writes the next
  row; there is no way to address an earlier one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from diagnostics.text import CONTROL

log = logging.getLogger("shuzhen.workbooks")
MAX_CELL = 32767


@dataclass(frozen=True)
class Clipped:
    """A text cut to fit a cell: where (0-based row and column of the sheet) and how long it was."""

    sheet: str
    row: int
    col: int
    length: int
    column: str = ""

    def message(self) -> str:
        name = f" '{self.column}'" if self.column else ""
        return (f"sheet '{self.sheet}' row {self.row + 1}, column {self.col + 1}{name}: {self.length:,} characters, "
                f"cut to Excel's cell limit of {MAX_CELL:,} (the cell ends with a note saying so) / "
                f"第 {self.row + 1} 行第 {self.col + 1} 列{name}：{self.length:,} 字符，超过 Excel 单元格上限，"
                "已截断并在单元格末尾注明")


def cut_note(length: int) -> str:
    """What a cut cell ends with, so a reader of the file knows the text is not whole."""
    return (f" …［已截断：原文 {length:,} 字符，Excel 单元格最多 {MAX_CELL:,} 字符 / "
            f"cut: {length:,} characters, a cell holds {MAX_CELL:,}］")


def cell_text(text: str) -> tuple[str, int | None]:
    """``text`` as a cell may hold it: without control characters and, when longer than Excel's limit,
    cut with a note at its end; the second value is the original length when it was cut."""
    if CONTROL.search(text):
        text = CONTROL.sub("", text)
    if len(text) <= MAX_CELL:
        return text, None
    note = cut_note(len(text))
    return text[:MAX_CELL - len(note)] + note, len(text)
FIXED_TIME = datetime(2024, 1, 1)  # document properties do not carry the run's clock


def new_workbook(target: str | Path | IO[bytes], *, title: str = "", subject: str = "",
                 small: bool = False) -> Workbook:
    """A constant-memory workbook that never turns strings into formulas, URLs or numbers.

    ``small`` (a few hundred rows, e.g. one enterprise's diagnosis): assembled in memory instead. In
    constant-memory mode xlsxwriter writes and deletes ~20 temporary files per workbook, which made
    filesystem calls 60 % of an enterprise workbook's 130 ms; 10 000 of them are written per census.
    Rows still go strictly forward through ``SheetWriter``.
    """
    options: dict[str, Any] = {"strings_to_formulas": False, "strings_to_urls": False,
                               "strings_to_numbers": False, "nan_inf_to_errors": False}
    options["in_memory" if small else "constant_memory"] = True
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, options)
    wb.set_properties({"title": title, "subject": subject, "author": "数诊 Shuzhen", "created": FIXED_TIME})
    return wb


def text_of(value: Any, locale: str = "zh") -> str:
    """Bilingual ``{zh, en}`` dicts in the locale (Chinese fallback); lists joined with '、'."""
    if isinstance(value, Mapping) and "zh" in value:
        if locale.startswith("en") and value.get("en"):
            return str(value["en"])
        return str(value.get("zh") or "")
    if isinstance(value, (list, tuple)):
        return "、".join(text_of(v, locale) for v in value)
    return "" if value is None else str(value)


class Styles:
    """The few formats the deliverables use (created once per workbook)."""

    def __init__(self, wb: Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                   "valign": "top"})
        self.bold = wb.add_format({"bold": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.pct = wb.add_format({"num_format": "0.0%"})
        self.num = wb.add_format({"num_format": "0.00"})
        self.good = wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
        self.bad = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})


class SheetWriter:
    """Forward-only rows on one worksheet; every value written by its type, strings as text."""

    def __init__(self, wb: Workbook, name: str, widths: Sequence[float] = (), locale: str = "zh") -> None:
        self.ws: Worksheet = wb.add_worksheet(name[:31])
        self.name = name[:31]
        self.row_index = 0
        self.locale = locale
        self.clipped: list[Clipped] = []
        self.headers: Sequence[str] = ()  # column names, when the sheet has a header row, for the messages
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)

    def cell(self, col: int, value: Any, fmt: Format | None = None) -> None:
        """Write one cell of the current row (columns in any order, the row itself not yet left)."""
        ws, r = self.ws, self.row_index
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if fmt is not None:
                ws.write_blank(r, col, None, fmt)
            return
        if isinstance(value, bool):
            ws.write_boolean(r, col, value, fmt)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isinf(value):
                ws.write_string(r, col, str(value), fmt)
            else:
                ws.write_number(r, col, value, fmt)
        elif hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
            self.cell(col, value.item(), fmt)
        else:
            self.text(col, text_of(value, self.locale), fmt)

    def text(self, col: int, value: str, fmt: Format | None = None) -> None:
        """A string cell of the current row, through ``cell_text`` (a cut is recorded and logged)."""
        text, cut = cell_text(value)
        if cut is not None:
            name = self.headers[col] if col < len(self.headers) else ""
            clipped = Clipped(self.name, self.row_index, col, cut, name)
            self.clipped.append(clipped)
            log.warning("%s", clipped.message())
        self.ws.write_string(self.row_index, col, text, fmt)

    def row(self, values: Iterable[Any], fmt: Format | None = None, formats: Sequence[Format | None] = ()) -> int:
        """Write ``values`` as the next row; ``formats`` per column override ``fmt``. Returns its index.

        Plain strings and finite numbers take a short path (the enterprise list of a 10 000-firm
        cluster is 100 000 cells); everything else goes through ``cell``.
        """
        ws, r, nf = self.ws, self.row_index, len(formats)
        for col, value in enumerate(values):
            f = formats[col] if col < nf and formats[col] is not None else fmt
            kind = type(value)
            if kind is str:
                if len(value) <= MAX_CELL and not CONTROL.search(value):
                    ws.write_string(r, col, value, f)
                else:
                    self.text(col, value, f)
            elif (kind is int or kind is float) and math.isfinite(value):
                ws.write_number(r, col, value, f)
            else:
                self.cell(col, value, f)
        index = self.row_index
        self.row_index += 1
        return index

    def blank(self, n: int = 1) -> None:
        self.row_index += n


def write_frames(target: str | Path | IO[bytes], sheets: Mapping[str, Any], *, freeze_header: bool = True,
                 title: str = "") -> list[Clipped]:
    """Tables (``{sheet name: DataFrame}``) as one workbook: a bold header row, then the rows, every value by
    its type and every string through ``cell_text``. The one XLSX writer for plain tables (census scores,
    the dashboard's answer and directory exports), instead of pandas' ``to_excel``, which hands strings to
    xlsxwriter's guessing ``write()`` (a text "=1+1" became a formula) and cuts nothing with a word.
    Returns every cut cell."""
    wb = new_workbook(target, title=title)
    bold = wb.add_format({"bold": True})
    clipped: list[Clipped] = []
    for name, frame in sheets.items():
        sheet = SheetWriter(wb, str(name))
        sheet.headers = [str(c) for c in frame.columns]
        sheet.row(sheet.headers, bold)
        if freeze_header:
            sheet.ws.freeze_panes(1, 0)
        values = frame.astype(object).where(frame.notna(), None) if len(frame) else frame
        for row in values.itertuples(index=False, name=None):
            sheet.row(row)
        clipped += sheet.clipped
    wb.close()
    return clipped
