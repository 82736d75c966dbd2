"""Scoring a census spreadsheet (``shuzhen score``): one row per enterprise in, one row out.

Bureaus run censuses by spreadsheet. A bad row must not sink the file: each bad row is reported by its
spreadsheet row number, column and reason, and every good row is still scored and written.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from diagnostics.answer_columns import ColumnAnswers, check_columns
from diagnostics.answers import AnswerArrays, check_answers, normalise_text
from diagnostics.census_template import HEADER_MARK, census_questions
from diagnostics.questionnaire import Questionnaire
from diagnostics.scoring import score
from diagnostics.table_files import read_table_file
from diagnostics.uscc import validate_uscc, well_formed_array
from diagnostics.workbooks.safe import Clipped, write_frames

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
    """Read CSV or XLSX as text cells; adds ``__row__`` with the spreadsheet row number.

    XLSX is read with calamine (Rust, ``python-calamine``), tens of times faster than openpyxl on a
    census-sized sheet; openpyxl remains the fallback when calamine is not installed. The file is opened
    by ``table_files.read_table_file``, which names a wrong type, an empty or damaged file and reads GBK.
    """
    df = read_table_file(path, excel_engine=_excel_engine())
    df.columns = [normalise_text(c) for c in df.columns]
    df["__row__"] = range(2, len(df) + 2)
    if "uscc" in df.columns:
        uscc = df["uscc"].to_numpy(dtype=object)  # the mark is Chinese: an ASCII cell never folds into it
        human = np.array([isinstance(v, str) and not v.isascii() and normalise_text(v) == HEADER_MARK
                          for v in uscc], dtype=bool)
        if human.any():
            kept: pd.DataFrame = df[~human]
            return kept
    return df


def _excel_engine() -> Literal["calamine", "openpyxl"]:
    return "calamine" if importlib.util.find_spec("python_calamine") is not None else "openpyxl"


def _answer_columns(q: Questionnaire, df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The columns that hold answers, and the warnings about columns ignored or missing."""
    warnings: list[str] = []
    if df.attrs.get("controls_removed"):  # counted by table_files when the file was read
        warnings.append(f"control characters (NUL and the like) removed from {df.attrs['controls_removed']} cells "
                        "/ 已删除单元格中的控制字符")
    question_ids = {qq.id for qq in census_questions(q)}
    columns = [c for c in df.columns if c not in ("uscc", "name", "__row__")]
    unknown = [c for c in columns if c not in question_ids and not c.startswith("Unnamed")]
    if unknown:
        warnings.append(f"ignored columns not in questionnaire {q.code}: {', '.join(unknown)}")
    missing = sorted(question_ids - set(columns))
    if missing:
        warnings.append(f"columns missing (treated as unanswered): {', '.join(missing)}")
    return [c for c in columns if c in question_ids], warnings


def parse_census(q: Questionnaire, df: pd.DataFrame) -> tuple[list[dict[str, Any]], list[RowError], list[str]]:
    """Validate every row, one row at a time; returns good rows (``row``, ``uscc``, ``name``, ``answers``),
    errors, warnings.

    The reference for :func:`parse_census_columns`, which gives the same result column by column and is
    what ``shuzhen score`` runs; tests hold the two side by side.
    """
    if "uscc" not in df.columns:
        return [], [RowError(1, "uscc", "缺少 uscc 列", "the header has no 'uscc' column")], []
    answer_cols, warnings = _answer_columns(q, df)
    errors: list[RowError] = []
    good: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
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


@dataclass
class CensusColumns:
    """The good rows of a census as columns (``answers`` decoded for the engine), errors and warnings."""

    rows: np.ndarray  # spreadsheet row numbers of the good rows
    uscc: np.ndarray  # their normalised codes
    name: np.ndarray  # their names, trimmed
    answers: ColumnAnswers
    errors: list[RowError]
    warnings: list[str]

    def records(self, q: Questionnaire) -> list[dict[str, Any]]:
        """The good rows in :func:`parse_census`'s shape (for comparison and small callers)."""
        return [{"row": int(self.rows[i]), "uscc": str(self.uscc[i]), "name": str(self.name[i]),
                 "answers": self.answers.row(q, i)} for i in range(len(self.rows))]


def parse_census_columns(q: Questionnaire, df: pd.DataFrame) -> CensusColumns:
    """Validate every row column by column: :func:`parse_census`'s result, errors in the same order."""
    empty = np.zeros(0, dtype=object)
    if "uscc" not in df.columns:
        return CensusColumns(empty, empty, empty, ColumnAnswers(AnswerArrays(0)),
                             [RowError(1, "uscc", "缺少 uscc 列", "the header has no 'uscc' column")], [])
    answer_cols, warnings = _answer_columns(q, df)
    n = len(df)
    row_no = df["__row__"].to_numpy(dtype=np.int64)
    raw_uscc = df["uscc"].to_numpy(dtype=object)
    checked = check_columns(q, {c: df[c].to_numpy(dtype=object) for c in answer_cols}, n, complete=True)
    uscc_blank = np.array([not str(v).strip() for v in raw_uscc], dtype=bool)
    blank_line = uscc_blank.copy()
    for c in answer_cols:
        blank_line &= checked.blank[c]
    codes, ok = well_formed_array(str(v) for v in raw_uscc)
    answer_failed = np.zeros(n, dtype=bool)
    answer_failed[[e.position for e in checked.errors]] = True
    # duplicates: a code repeats the first earlier row that was scored (bad rows are never "seen")
    candidates = np.nonzero(~blank_line & ok & ~answer_failed)[0]
    first_good: dict[str, int] = {}
    for i in candidates:
        first_good.setdefault(codes[i], int(i))
    first = np.array([first_good.get(c, n) if k else n for c, k in zip(codes, ok, strict=True)], dtype=np.int64)
    duplicate = ~blank_line & ok & (np.arange(n) > first)
    keyed: list[tuple[int, int, RowError]] = []
    for i in np.nonzero(~blank_line & ~ok)[0]:
        result = validate_uscc(str(raw_uscc[i]))
        keyed.append((int(i), -1, RowError(int(row_no[i]), "uscc", result.message_zh, result.message_en)))
    for i in np.nonzero(duplicate)[0]:
        seen = int(row_no[first[i]])
        keyed.append((int(i), -1, RowError(int(row_no[i]), "uscc", f"与第 {seen} 行重复", f"duplicate of row {seen}")))
    for k, e in enumerate(checked.errors):
        if not blank_line[e.position]:
            keyed.append((e.position, k, RowError(int(row_no[e.position]), e.question_id, e.message_zh,
                                                  e.message_en)))
    keyed.sort(key=lambda item: (item[0], item[1]))
    good = np.nonzero(~blank_line & ok & ~answer_failed & ~duplicate)[0]
    names = df["name"].to_numpy(dtype=object)[good] if "name" in df.columns else np.full(len(good), "", dtype=object)
    return CensusColumns(row_no[good], codes[good], np.array([str(v).strip() for v in names], dtype=object),
                         checked.take(good), [e for _, _, e in keyed], warnings)


def score_census(q: Questionnaire, path: str | Path) -> CensusResult:
    df = read_table(path)
    parsed = parse_census_columns(q, df)
    columns = ["uscc", "name", "total", "level", "level_name", *[d.code for d in q.dimensions if d.scored]]
    if len(parsed.rows):
        result = score(q, parsed.answers.arrays)
        level_names = {lv.level: lv.name.zh for lv in q.levels}
        level = result.level.astype(np.int64)
        data: dict[str, Any] = {
            "uscc": parsed.uscc, "name": parsed.name, "total": np.round(result.total, 2), "level": level,
            "level_name": np.array([level_names.get(v, "未达一级") for v in range(int(level.max()) + 1)],
                                   dtype=object)[level],
        }
        for k, dim in enumerate(q.dimensions):
            if dim.scored:
                data[dim.code] = np.round(result.dimension[:, k], 2)
        out = pd.DataFrame(data, columns=columns)
    else:
        out = pd.DataFrame(columns=columns)
    return CensusResult(out, parsed.errors, parsed.warnings, rows_read=len(df))


def safe_text(value: Any) -> Any:
    """Defuse spreadsheet formula injection in CSV output: a leading = + - @ becomes text."""
    if isinstance(value, str) and value.startswith(UNSAFE_PREFIXES):
        return "'" + value
    return value


def write_scores(frame: pd.DataFrame, path: str | Path) -> list[Clipped]:
    """Write CSV (UTF-8 with BOM, for Excel) or XLSX; text is never turned into formulas. Returns the
    XLSX cells whose text was longer than Excel holds (cut, with a note in the cell; CSV cuts nothing).

    Whole columns at a time: the CSV through pandas' writer (the csv module's dialect, ``\\r\\n`` rows,
    as ``csv.writer`` writes them) after :func:`safe_text` on the text columns; the XLSX through
    ``workbooks.safe.write_frames`` (constant memory, strings always as strings, controls removed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        return write_frames(path, {"scores": frame}, freeze_header=False)
    safe = frame
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]):
            continue
        values = frame[name].to_numpy(dtype=object)
        unsafe = np.array([isinstance(v, str) and v.startswith(UNSAFE_PREFIXES) for v in values], dtype=bool)
        if unsafe.any():  # safe_text on the few cells that need it; the frame itself is left alone
            if safe is frame:
                safe = frame.copy()
            values = values.copy()
            values[unsafe] = [safe_text(v) for v in values[unsafe]]
            safe[name] = values
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        safe.to_csv(fh, index=False, lineterminator="\r\n")
    return []
