"""Opening a census or roster file: say what is really wrong with it before pandas does.

Field offices send what Excel gives them: a CSV saved by Excel on Chinese Windows is GBK (read here as
GB18030, its superset), a CSV renamed ``.xlsx``, a damaged workbook, an empty file. Each gets a message
naming the file and the problem in both languages instead of ``BadZipFile`` or
``'utf-8' codec can't decode byte 0xbe``.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Literal

import pandas as pd

from diagnostics.text import CONTROL

# UTF-8 (with or without Excel's BOM) first; then GB18030, which contains GBK and GB2312, Excel's default
# "CSV" encoding on Chinese Windows (code page 936)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt")


class TableFileProblem(ValueError):
    """A file that cannot be read as a table, with the reason in Chinese and English."""

    def __init__(self, name: str, zh: str, en: str) -> None:
        super().__init__(f"{name}: {en} / {zh}")
        self.zh, self.en = zh, en


def decode_csv(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise TableFileProblem(name, "无法识别文件编码（请另存为 UTF-8 编码的 CSV）",
                           "unknown text encoding (save it as CSV UTF-8)")


def sniff(data: bytes, name: str) -> str | None:
    """What is wrong with a table file's bytes before pandas sees them (``TableFileProblem``); for a CSV
    its decoded text, for a workbook ``None``. Shared by the census reader and the roster import."""
    suffix = Path(name).suffix.lower()
    if suffix not in EXCEL_SUFFIXES + TEXT_SUFFIXES:
        raise TableFileProblem(name, f"不支持的文件类型“{suffix}”（请使用 .csv 或 .xlsx）",
                               f"unsupported file type '{suffix}' (use .csv or .xlsx)")
    if not data.strip():
        raise TableFileProblem(name, "文件是空的", "the file is empty")
    if suffix in EXCEL_SUFFIXES:
        if not data.startswith(b"PK"):
            looks_text = b"\x00" not in data[:4096]
            raise TableFileProblem(
                name, "这不是 Excel 工作簿" + ("，看起来是改了扩展名的 CSV 文本：请改名为 .csv" if looks_text else ""),
                "this is not an Excel workbook" + (
                    "; it looks like CSV text renamed to .xlsx: rename it to .csv" if looks_text else ""))
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" not in archive.namelist():
                    raise TableFileProblem(name, "这是压缩文件，但不是 Excel 工作簿",
                                           "this is a zip archive but not an Excel workbook")
        except zipfile.BadZipFile:
            raise TableFileProblem(name, "Excel 文件已损坏或不完整（请重新导出）",
                                   "the Excel file is damaged or incomplete (export it again)") from None
        return None
    if data.startswith(b"PK"):
        raise TableFileProblem(name, "这是 Excel 工作簿或压缩文件，不是 CSV：请改名为 .xlsx",
                               "this is an Excel workbook or zip, not CSV: rename it to .xlsx")
    return decode_csv(data, name)[0]


def read_table_file(path: str | Path, excel_engine: Literal["calamine", "openpyxl"] = "openpyxl") -> pd.DataFrame:
    """Every cell as text (no NA guessing), from CSV (UTF-8 or GBK/GB18030) or XLSX (first sheet)."""
    path = Path(path)
    name = path.name
    text = sniff(path.read_bytes(), name)
    if text is None:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine=excel_engine)
    else:
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise TableFileProblem(name, "文件没有表头或数据", "the file has no header row or data") from None
        except pd.errors.ParserError as exc:
            raise TableFileProblem(name, f"CSV 格式有误：{exc}", f"malformed CSV: {exc}") from None
    if len(frame.columns) == 0:
        raise TableFileProblem(name, "文件没有表头或数据", "the file has no header row or data")
    if text is not None and not _may_hold_controls(text):  # a clean CSV: one search of its text
        frame.attrs["controls_removed"] = 0
        return frame
    return _without_controls(frame)


# a control character as it reaches us: itself, or as an XLSX cell stores it (``_x0001_``)
_CONTROL_CELL = re.compile(f"{CONTROL.pattern}|_x00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])_")
# the characters ``CONTROL`` matches (it names ASCII controls and U+FFFD only), each found by a plain
# substring search: a 33 MB census text in ~0.25 s, against ~0.6 s for the regex scan
_CONTROL_CHARS = tuple(c for c in map(chr, [*range(0x20), 0x7F, 0xFFFD]) if CONTROL.match(c))


def _may_hold_controls(text: str) -> bool:
    """False only when no cell of ``text`` can hold a control character or an XLSX escape of one."""
    return "_x00" in text or any(c in text for c in _CONTROL_CHARS)


def _without_controls(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells without control characters; how many cells held any is in ``frame.attrs["controls_removed"]``
    (the census adds a warning). NUL and its kin are never typed on purpose, and PostgreSQL refuses NUL."""
    removed = 0
    for col in frame.columns:
        values = frame[col]
        # the column joined is searched first (no pattern spans a newline, so joining cannot make a match):
        # cell by cell, 36 columns of a 500 000-row census took 10 s, almost all of it on clean columns
        if not _may_hold_controls("\n".join(map(str, values.tolist()))):
            continue
        has = values.str.contains(_CONTROL_CELL, na=False)
        if has.any():
            removed += int(has.sum())
            frame[col] = values.str.replace(_CONTROL_CELL, "", regex=True)
    frame.columns = [_CONTROL_CELL.sub("", str(c)) for c in frame.columns]
    frame.attrs["controls_removed"] = removed
    return frame
