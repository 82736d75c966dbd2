"""A row writer that keeps xlsxwriter's constant-memory promise and never writes a formula.

Two dangers this class exists for:

- formula injection: a cell value typed by a respondent (an enterprise name, a free-text answer) that
  starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel if written with ``write()``'s guessing.
  Here a ``str`` always goes through ``write_string``, so it is stored as text, whatever it starts with
  (the workbook is also opened with ``strings_to_formulas`` off, belt and braces);
- constant memory: xlsxwriter flushes a row as soon as a later row is written, so anything written
  "back" is silently lost. ``SheetWriter`` only ever moves forward: each ``row()`` call writes the next
  row; there is no way to address an earlier one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

MAX_CELL = 32767
FIXED_TIME = datetime(2024, 1, 1)  # document properties do not carry the run's clock


def new_workbook(target: str | Path | IO[bytes], *, title: str = "", subject: str = "") -> Workbook:
    """A constant-memory workbook that never turns strings into formulas, URLs or numbers."""
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
    })
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
            text = text_of(value, self.locale)
            ws.write_string(r, col, text[:MAX_CELL], fmt)

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
                ws.write_string(r, col, value if len(value) <= MAX_CELL else value[:MAX_CELL], f)
            elif (kind is int or kind is float) and math.isfinite(value):
                ws.write_number(r, col, value, f)
            else:
                self.cell(col, value, f)
        index = self.row_index
        self.row_index += 1
        return index

    def blank(self, n: int = 1) -> None:
        self.row_index += n
