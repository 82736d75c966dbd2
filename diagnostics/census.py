"""Scoring a census spreadsheet (``shuzhen score``): one row per enterprise in, one row out.

Bureaus run censuses by spreadsheet. A bad row must not sink the file: each bad row is reported by its
spreadsheet row number, column and reason, and every good row is still scored and written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from diagnostics.answers import check_answers, normalise_text
from diagnostics.census_template import HEADER_MARK, census_questions
from diagnostics.questionnaire import Questionnaire
from diagnostics.scoring import score_answers
from diagnostics.table_files import read_table_file
from diagnostics.uscc import validate_uscc

UNSAFE_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class RowError:
    """A refused row: ``row`` is the spreadsheet's own row number (header = 1)."""

    row: int
    column: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message_en} / {self.message_zh}"


@dataclass
class CensusResult:
    scored: pd.DataFrame
    errors: list[RowError]
    warnings: list[str]
    rows_read: int


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV or XLSX as text cells; adds ``__row__`` with the spreadsheet row number."""
    df = read_table_file(path)  # names a wrong type, an encoding (GBK read), an empty or damaged file
    df.columns = [normalise_text(c) for c in df.columns]
    df["__row__"] = range(2, len(df) + 2)
    if "uscc" in df.columns:
        df = df[df["uscc"].map(normalise_text) != HEADER_MARK]
    return df


def parse_census(q: Questionnaire, df: pd.DataFrame) -> tuple[list[dict[str, Any]], list[RowError], list[str]]:
    """Validate every row; returns good rows (``row``, ``uscc``, ``name``, ``answers``), errors, warnings."""
    warnings: list[str] = []
    errors: list[RowError] = []
    if "uscc" not in df.columns:
        return [], [RowError(1, "uscc", "缺少 uscc 列", "the header has no 'uscc' column")], warnings
    question_ids = {qq.id for qq in census_questions(q)}
    columns = [c for c in df.columns if c not in ("uscc", "name", "__row__")]
    unknown = [c for c in columns if c not in question_ids and not c.startswith("Unnamed")]
    if unknown:
        warnings.append(f"ignored columns not in questionnaire {q.code}: {', '.join(unknown)}")
    missing = sorted(question_ids - set(columns))
    if missing:
        warnings.append(f"columns missing (treated as unanswered): {', '.join(missing)}")
    good: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    answer_cols = [c for c in columns if c in question_ids]
    for record in df.to_dict("records"):
        row_no = int(record["__row__"])
        if all(not str(record.get(c, "")).strip() for c in ["uscc", *answer_cols]):
            continue  # a blank line in the sheet
        uscc = validate_uscc(str(record.get("uscc", "")))
        row_errors: list[RowError] = []
        if not uscc.ok:
            row_errors.append(RowError(row_no, "uscc", uscc.message_zh, uscc.message_en))
        elif uscc.code in seen:
            row_errors.append(RowError(row_no, "uscc", f"与第 {seen[uscc.code]} 行重复",
                                       f"duplicate of row {seen[uscc.code]}"))
        raw = {c: record.get(c) for c in answer_cols}
        clean, problems = check_answers(q, raw, complete=True)
        row_errors += [RowError(row_no, p.question_id, p.message_zh, p.message_en) for p in problems]
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[uscc.code] = row_no
        good.append({"row": row_no, "uscc": uscc.code, "name": str(record.get("name", "")).strip(),
                     "answers": clean})
    return good, errors, warnings


def score_census(q: Questionnaire, path: str | Path) -> CensusResult:
    df = read_table(path)
    good, errors, warnings = parse_census(q, df)
    if good:
        result = score_answers(q, [g["answers"] for g in good])
        frame = result.frame()
        level_names = {lv.level: lv.name.zh for lv in q.levels}
        out = pd.DataFrame({"uscc": [g["uscc"] for g in good], "name": [g["name"] for g in good]})
        out["total"] = frame["total"].round(2)
        out["level"] = frame["level"].astype(int)
        out["level_name"] = out["level"].map(lambda v: level_names.get(v, "未达一级"))
        for dim in q.dimensions:
            if dim.scored:
                out[dim.code] = frame[dim.code].round(2)
    else:
        out = pd.DataFrame(columns=["uscc", "name", "total", "level", "level_name",
                                    *[d.code for d in q.dimensions if d.scored]])
    return CensusResult(out, errors, warnings, rows_read=len(df))


def safe_text(value: Any) -> Any:
    """Defuse spreadsheet formula injection in CSV output: a leading = + - @ becomes text."""
    if isinstance(value, str) and value.startswith(UNSAFE_PREFIXES):
        return "'" + value
    return value


def write_scores(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV (UTF-8 with BOM, for Excel) or XLSX; text is never turned into formulas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "constant_memory": True})
        ws = wb.add_worksheet("scores")
        bold = wb.add_format({"bold": True})
        for c, name in enumerate(frame.columns):
            ws.write_string(0, c, str(name), bold)
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif value is not None and not pd.isna(value):
                    ws.write_number(r, c, float(value))
        wb.close()
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(frame.columns)
            for row in frame.itertuples(index=False):
                writer.writerow([safe_text(v) for v in row])
    return path
