"""The column-wise census parser against the per-row reference: same good rows, same errors, same order.

``census.parse_census`` (one row at a time through ``answers.check_answers``) is the reference;
``census.parse_census_columns`` is what ``shuzhen score`` runs. Both read the same corpora: hand-written
rows with every kind of bad cell, and a few thousand synthetic rows with cells spoilt at random.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from diagnostics import census
from diagnostics.census import parse_census, parse_census_columns, read_table, safe_text, score_census, write_scores
from diagnostics.census_template import census_questions
from diagnostics.demo import synth_answers
from diagnostics.questionnaire import Questionnaire
from diagnostics.questionnaire_loader import parse_text
from diagnostics.scoring import score, score_answers
from diagnostics.uscc import make_uscc
from tests.diagnostics.sme import SME, answers, full_foundation, full_management, scenarios

# A small definition that exercises what the SME table does not: yes/no, a required text, formulas that
# read formulas, skip logic on a formula and on a yes/no, constraints on several types, a bounded number.
MINI = parse_text("""
code: mini-census
version: "1"
title: 小问卷
max_score: 18
dimensions:
  - code: base
    title: 基础
    max_points: 18
    indicators:
      - code: ops
        title: 运营
        max_points: 18
        questions:
          - {id: has_erp, type: yesno, text: 有ERP吗, yes_points: 4}
          - id: staff
            type: number
            text: 员工数
            integer: true
            min: 1
            max: 100000
          - id: it_staff
            type: number
            text: IT人数
            relevant: has_erp
            constraint: it_staff <= staff
            constraint_message: {zh: 不能超过员工数, en: cannot exceed the staff}
          - id: it_share
            type: number
            text: IT占比
            formula: it_staff / staff * 100
          - id: it_share_x2
            type: number
            text: 两倍
            formula: it_share * 2
          - id: share_pct
            type: number
            text: 自报比例
            required: false
            max: 100
            relevant: it_share_x2 > 10
            bands: [{min: 0, max: 50, points: 1}, {min: 50, max: 100.0001, points: 3}]
          - id: stage
            type: single
            text: 阶段
            options:
              - {code: A, label: {zh: 起步, en: Starting}, points: 0}
              - {code: B, label: {zh: 推进, en: Advancing}, points: 2}
              - {code: C, label: {zh: 深化, en: Deepening}, points: 4}
          - id: tools
            type: multi
            text: 工具
            relevant: stage in ['B', 'C']
            options:
              - {code: cad, label: 设计软件, points: 1}
              - {code: mes, label: 制造执行, points: 2}
              - {code: none, label: 都没有, exclusive: true}
          - id: rating
            type: level
            text: 场景等级
            scenario: planning
            options:
              - {code: "1", label: 一级}
              - {code: "2", label: 二级, points: 2}
              - {code: "3", label: 三级, points: 4}
          - id: remarks
            type: text
            text: 说明
            constraint: remarks != 'n/a'
          - id: contact_ok
            type: yesno
            text: 可联系
            required: false
            relevant: answered(remarks) and staff > 5
            constraint: contact_ok or has_erp
levels:
  - {level: 1, name: 一级, min_score: 2}
  - {level: 2, name: 二级, min_score: 8}
""", "mini.yaml").definition

USCC = [make_uscc(f"91360200MA35{k:05d}") for k in range(40)]


def _frame(rows: list[dict[str, str]], columns: list[str]) -> pd.DataFrame:
    """A table as ``read_table`` reads it: text cells, spreadsheet row numbers."""
    df = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns, dtype=str)
    df["__row__"] = range(2, len(df) + 2)
    return df


def _assert_same(q: Questionnaire, df: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Any]]:
    good, errors, warnings = parse_census(q, df)
    columns = parse_census_columns(q, df)
    assert columns.warnings == warnings
    assert [str(e) for e in columns.errors] == [str(e) for e in errors]
    assert columns.errors == errors
    assert columns.records(q) == good
    if good:  # and the engine scores both the same
        ref = score_answers(q, [g["answers"] for g in good])
        got = score(q, columns.answers.arrays)
        np.testing.assert_array_equal(got.total, ref.total)
        np.testing.assert_array_equal(got.level, ref.level)
    return good, errors


def _cells(q: Questionnaire, a: dict[str, Any]) -> dict[str, str]:
    out = {}
    for question in census_questions(q):
        v = a.get(question.id)
        out[question.id] = ("" if v is None else ";".join(v) if isinstance(v, list)
                            else ("是" if v else "否") if isinstance(v, bool) else str(v))
    return out


SME_COLUMNS = ["uscc", "name", *[qq.id for qq in census_questions(SME)]]
GOOD = _cells(SME, answers(full_foundation(), full_management(), scenarios(3)))


def test_every_kind_of_bad_cell_sme() -> None:
    bad: list[dict[str, str]] = [
        {"uscc": USCC[0], "name": "=HYPERLINK(\"x\")", **GOOD},  # good; name defused on output only
        {"uscc": USCC[1], "name": " 全角 ", **GOOD, "devices_total": "１,０００", "devices_digital": "７００",
         "devices_networked": " 600 "},  # full-width digits and a thousands separator
        {"uscc": USCC[2], **GOOD, "planning_stage": "soon"},  # unknown option
        {"uscc": USCC[3], **GOOD, "devices_total": "12台"},  # not a number
        {"uscc": USCC[4], **GOOD, "devices_total": "-3"},  # below min
        {"uscc": USCC[5], **GOOD, "devices_total": "10.5"},  # not a whole number
        {"uscc": USCC[6], **GOOD, "network_kinds": "none;office_lan"},  # exclusive option mixed
        {"uscc": USCC[7], **GOOD, "quality_change": ""},  # required answer missing
        {"uscc": USCC[8], **GOOD, "devices_digital": "150"},  # constraint: more digital than total
        {"uscc": "91360200MA35XXXX01", **GOOD},  # USCC wrong length
        {"uscc": "91360200MA35OOOO0X", **GOOD},  # USCC forbidden letters
        {"uscc": USCC[9][:17] + ("0" if USCC[9][17] != "0" else "1"), **GOOD},  # USCC check character
        {"uscc": "", **GOOD},  # USCC empty
        {},  # a blank line
        {"uscc": "  ", "name": "只有名字"},  # blank apart from the name: still a blank line
        {"uscc": USCC[0], **GOOD},  # duplicate of the first row
        {"uscc": USCC[10], **GOOD, "planning_stage": "bad", "devices_total": "x"},  # bad row ...
        {"uscc": USCC[10], **GOOD},  # ... so this one is not a duplicate
        {"uscc": USCC[10], **GOOD, "cost_change": "??"},  # but this one is, and has a bad cell too
        {"uscc": USCC[11].lower(), **GOOD, "network_kinds": "office_lan；field_network、office_lan",
         "info_systems_coverage": "ALL", "planning_stage": "持续迭代优化"},  # loose separators, case, label?
        {"uscc": USCC[12], **GOOD, "devices_total": "0", "devices_digital": "5"},  # skipped, so no constraint
        {"uscc": USCC[13], **GOOD, "devices_total": "1_000", "devices_digital": "1e2", "devices_networked": "5%"},
        {"uscc": USCC[14], **GOOD, "devices_total": "inf"},
        {"uscc": USCC[15], **GOOD, "devices_total": "nan"},
        {"uscc": USCC[16], **GOOD, "devices_total": "1.2.3", "devices_digital": "--1"},
        {"uscc": USCC[17], **GOOD, **{s: "5" for s in scenarios(0)}},  # levels out of range
        {"uscc": USCC[18], **GOOD, **{s: "３" for s in scenarios(0)}},  # full-width level
        {"uscc": USCC[19], **GOOD, "info_systems_coverage": "none", "info_systems_used": "erp"},  # skipped multi
        {"uscc": USCC[20], **{c: "" for c in SME_COLUMNS[2:]}},  # every answer missing
        {"uscc": USCC[21], **GOOD, "info_systems_remarks": "  备注  ", "network_kinds": ";;"},
        {"uscc": USCC[22], **GOOD, "devices_total": "\u200b5"},  # an invisible character
    ]
    good, errors = _assert_same(SME, _frame(bad, SME_COLUMNS))
    text = "\n".join(str(e) for e in errors)
    for expected in ("row 4, column planning_stage: unknown option 'soon'", "row 5, column devices_total:",
                     "row 6, column devices_total: must be at least 0", "row 7, column devices_total: expected a whole",
                     "row 8, column network_kinds: option none cannot be combined",
                     "row 9, column quality_change: this question is required",
                     "row 10, column devices_digital: cannot exceed the total number of devices",
                     "row 11, column uscc:", "row 17, column uscc: duplicate of row 2",
                     "row 20, column uscc: duplicate of row 19", "row 20, column cost_change: unknown option '??'"):
        assert expected in text
    assert not any(e.row in (15, 16) for e in errors)  # blank lines are not errors
    assert [g["row"] for g in good][:2] == [2, 3] and good[1]["answers"]["devices_total"] == 1000.0


def test_every_kind_of_bad_cell_mini() -> None:
    columns = ["uscc", "name", *[qq.id for qq in census_questions(MINI)]]
    base = {"has_erp": "是", "staff": "50", "it_staff": "10", "share_pct": "60", "stage": "B", "tools": "cad;mes",
            "rating": "2", "remarks": "好", "contact_ok": "yes"}
    rows = [
        {"uscc": USCC[0], **base},
        {"uscc": USCC[1], **base, "has_erp": "maybe"},  # bad yes/no: it_staff then irrelevant? no: missing
        {"uscc": USCC[2], **base, "has_erp": "否", "contact_ok": "0"},  # skip it_staff; constraint on yes/no
        {"uscc": USCC[3], **base, "it_staff": "60"},  # constraint fails, then formulas see it dropped
        {"uscc": USCC[4], **base, "it_staff": "1"},  # share 2 % -> x2 = 4 -> share_pct skipped
        {"uscc": USCC[5], **base, "share_pct": "101"},  # above max
        {"uscc": USCC[6], **base, "stage": "起步", "tools": "cad"},  # label for a code; tools skipped
        {"uscc": USCC[7], **base, "stage": "deepening"},  # English label, lower case
        {"uscc": USCC[8], **base, "tools": "none;cad"},  # exclusive mix
        {"uscc": USCC[9], **base, "remarks": "n/a"},  # text constraint; contact_ok then skipped
        {"uscc": USCC[10], **base, "remarks": ""},  # required text missing
        {"uscc": USCC[11], **base, "rating": "4"},
        {"uscc": USCC[12], **base, "staff": "0"},  # below min: formulas divide by a missing number
        {"uscc": USCC[13], **base, "staff": "4", "it_staff": "4", "contact_ok": "否", "has_erp": "TRUE"},
        {"uscc": USCC[14], **base, "has_erp": "√", "staff": "１２３,４"},
        {"uscc": USCC[15], **base, "has_erp": "×", "contact_ok": ""},
        {"uscc": USCC[16], **base, "it_staff": "0", "share_pct": "abc"},  # bad cell in a skipped question
    ]
    good, errors = _assert_same(MINI, _frame(rows, columns))
    text = "\n".join(str(e) for e in errors)
    assert "row 3, column has_erp: 'maybe' should be yes/no" in text
    assert "row 5, column it_staff: cannot exceed the staff" in text
    assert "row 11, column remarks: must satisfy: remarks != 'n/a'" in text
    assert "row 4, column contact_ok: must satisfy: contact_ok or has_erp" in text
    assert len(good) >= 6


def _spoil(rng: np.random.Generator, cells: dict[str, str], pool: list[str], keys: list[str]) -> None:
    for key in rng.choice(keys, size=int(rng.integers(1, 4)), replace=False):
        cells[str(key)] = str(rng.choice(pool))


@pytest.mark.parametrize("q", [SME, MINI], ids=["sme", "mini"])
def test_random_corpus(q: Questionnaire) -> None:
    rng = np.random.default_rng(11)
    n = 3000
    rows = [_cells(q, a) for a in synth_answers(q, rng.beta(2, 3, n), seed=3)]
    if q is MINI:  # synth leaves text unanswered; give most rows a remark
        for r in rows:
            r["remarks"] = str(rng.choice(["好", "n/a", "", " 有 "]))
    pool = ["", " ", "x", "-1", "0", "3", "１０", "1,000", "2.5", "1e3", "inf", "是", "否", "yes", "N", "A", "B",
            "none", "none;cad", "cad；mes", "office_lan;none", "all", "ALL", "4", "５", "101", "1_0", "=1+1"]
    keys = [qq.id for qq in census_questions(q)]
    for r in rows:
        if rng.random() < 0.3:
            _spoil(rng, r, pool, keys)
    codes = [USCC[int(k) % 40] if rng.random() < 0.05 else make_uscc(f"9136{k:013d}") for k in range(n)]
    for k in rng.choice(n, size=60, replace=False):
        codes[k] = codes[k][:-1] + ("Z" if k % 3 == 0 else "") + ("" if k % 3 == 1 else "0")
    frame = _frame([{"uscc": c, "name": f"企业{k}", **r} for k, (c, r) in enumerate(zip(codes, rows, strict=True))],
                   ["uscc", "name", *keys, "unknown_col"])
    good, errors = _assert_same(q, frame)
    assert good and errors  # the corpus has both, or it proves nothing


def test_header_and_warnings_as_reference() -> None:
    no_uscc = _frame([{"name": "甲"}], ["name", "planning_stage"])
    assert parse_census_columns(SME, no_uscc).errors == parse_census(SME, no_uscc)[1]
    _assert_same(SME, _frame([{"uscc": USCC[0], **GOOD}], ["uscc", "name", "planning_stage", "extra"]))


def _reference_csv(frame: pd.DataFrame) -> bytes:
    """What the census CSV has always been: csv.writer rows, formula prefixes defused, UTF-8 BOM."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([safe_text(v) for v in row])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def test_output_file_as_before(tmp_path: Path) -> None:
    names = ["=cmd", "+1", "-x", "@a", "逗号,引号\"", "换行\n名", "普通", ""]
    rows = [{"uscc": USCC[k], "name": names[k % len(names)], **GOOD} for k in range(16)]
    src = tmp_path / "in.csv"
    _frame(rows, SME_COLUMNS).drop(columns="__row__").to_csv(src, index=False)
    result = score_census(SME, src)
    out = tmp_path / "out.csv"
    assert write_scores(result.scored, out) == []
    assert out.read_bytes() == _reference_csv(result.scored)
    assert read_table(out)["name"].tolist()[:4] == ["'=cmd", "'+1", "'-x", "'@a"]


def test_xlsx_read_by_calamine_as_by_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calamine (the fast reader) and openpyxl (the fallback) give the parser the same text cells."""
    path = tmp_path / "census.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("answers")
    ws.write_row(0, 0, SME_COLUMNS)
    ws.write_row(1, 0, ["统一社会信用代码", "企业名称"])  # the template's human header row
    cells = [USCC[0], "甲", *[GOOD[c] for c in SME_COLUMNS[2:]]]
    ws.write_row(2, 0, cells)
    numbers = {SME_COLUMNS.index(c): v for c, v in (("devices_total", 1000), ("devices_digital", 700.0),
                                                     ("devices_networked", 62.5))}
    for r in (3, 4):
        ws.write_row(r, 0, [USCC[r], "乙", *cells[2:]])
        for c, v in numbers.items():
            ws.write_number(r, c, v)
    ws.write_boolean(4, SME_COLUMNS.index("planning_stage"), True)
    ws.write_string(5, 0, "")  # a blank line
    ws.write_row(6, 0, [USCC[6], "丙"])
    wb.close()
    fast = read_table(path)
    monkeypatch.setattr(census, "_excel_engine", lambda: "openpyxl")
    slow = read_table(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["devices_total"].tolist()[1:3] == ["1000", "1000"] and fast["__row__"].tolist()[0] == 3
    assert parse_census_columns(SME, fast).errors == parse_census(SME, slow)[1]
