"""The census path a bureau uses: template out, spreadsheet back, scores out, bad rows named."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from cli import cli
from diagnostics.answers import check_answers
from diagnostics.census_template import census_questions
from diagnostics.scoring import score_answers
from diagnostics.uscc import make_uscc
from tests.diagnostics.sme import SME, answers, full_foundation, full_management, scenarios

GOOD_1 = answers(full_foundation(), scenarios(2))
GOOD_2 = answers(full_foundation(), full_management(), scenarios(4))
USCC_1 = make_uscc("91360200MA35XXXX0")
USCC_2 = make_uscc("91360200MA35YYYY0")
USCC_3 = make_uscc("91360200MA35WWWW0")


def as_cells(a: dict[str, Any]) -> dict[str, str]:
    """Answers as a person types them in a sheet: codes joined by ';', yes/no as 是/否."""
    out = {}
    for q in census_questions(SME):
        v = a.get(q.id)
        if v is None:
            out[q.id] = ""
        elif isinstance(v, list):
            out[q.id] = ";".join(v)
        elif isinstance(v, bool):
            out[q.id] = "是" if v else "否"
        else:
            out[q.id] = str(v)
    return out


def expected_total(a: dict[str, Any]) -> float:
    clean, errors = check_answers(SME, a, complete=True)
    assert not errors
    return round(float(score_answers(SME, [clean]).total[0]), 2)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_score_csv_with_bad_rows(tmp_path: Path) -> None:
    src, out = tmp_path / "census.csv", tmp_path / "scores.csv"
    ids = [q.id for q in census_questions(SME)]
    bad_value = as_cells(GOOD_1) | {"planning_stage": "soon"}
    rows = [
        {"uscc": USCC_1, "name": "=HYPERLINK(\"http://x\")", **as_cells(GOOD_1)},  # row 2
        {"uscc": "91360200MA35XXXX01", "name": "坏代码", **as_cells(GOOD_1)},  # row 3: wrong length
        {"uscc": USCC_2, "name": "好企业", **as_cells(GOOD_2) | {  # row 4: loose numbers
            "devices_total": "1,000", "devices_digital": "７００", "devices_networked": "700"}},
        {"uscc": USCC_3, "name": "坏答案", **bad_value},  # row 5
    ]
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["uscc", "name", *ids])
        writer.writeheader()
        writer.writerows(rows)
    result = run("score", "--questionnaire", "sme-digital-2024-mfg", "--answers", str(src), "--out", str(out))
    assert result.exit_code == 1
    assert "row 3, column uscc:" in result.stderr and "18" in result.stderr
    assert "row 5, column planning_stage: unknown option 'soon'" in result.stderr
    with out.open(encoding="utf-8-sig") as fh:
        scored = list(csv.DictReader(fh))
    assert [r["uscc"] for r in scored] == [USCC_1, USCC_2]
    assert float(scored[0]["total"]) == expected_total(GOOD_1)
    assert float(scored[1]["total"]) == expected_total(GOOD_2) == 80.0
    assert scored[1]["level"] == "4" and float(scored[1]["foundation"]) == 50
    assert scored[0]["name"].startswith("'=")  # formula injection defused


def test_score_xlsx_from_the_template(tmp_path: Path) -> None:
    template, out = tmp_path / "template.xlsx", tmp_path / "scores.xlsx"
    assert run("questionnaire", "template", "sme-digital-2024-mfg", "--out", str(template)).exit_code == 0
    wb = openpyxl.load_workbook(template)
    ws = wb["answers"]
    header = [str(c.value) for c in ws[1]]
    assert header[:2] == ["uscc", "name"] and "planning_stage" in header
    assert ws.data_validations.dataValidation, "choice columns carry dropdowns"
    codebook = wb["codebook"]
    assert any(row[0].value == "planning_stage" for row in codebook.iter_rows(min_row=2))
    cells_ok, cells_bad = as_cells(GOOD_2), as_cells(GOOD_1) | {"quality_change": ""}
    ws.append([USCC_1, "甲企业", *[cells_ok[h] for h in header[2:]]])  # row 3 (row 2 is the human header)
    ws.append([USCC_2, "乙企业", *[cells_bad[h] for h in header[2:]]])  # row 4: a required answer missing
    wb.save(template)
    result = run("score", "--questionnaire", "sme-digital-2024-mfg", "--answers", str(template), "--out", str(out))
    assert result.exit_code == 1
    assert "row 4, column quality_change: this question is required" in result.stderr
    scored = openpyxl.load_workbook(out)["scores"]
    rows = list(scored.iter_rows(values_only=True))
    assert rows[0][:4] == ("uscc", "name", "total", "level")
    assert rows[1][0] == USCC_1 and rows[1][2] == 80.0 and len(rows) == 2


def test_score_exit_0_when_every_row_scores(tmp_path: Path) -> None:
    src, out = tmp_path / "ok.csv", tmp_path / "out.xlsx"
    ids = [q.id for q in census_questions(SME)]
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["uscc", "name", *ids])
        writer.writeheader()
        writer.writerow({"uscc": USCC_1, "name": "甲", **as_cells(GOOD_1)})
    result = run("score", "--questionnaire", "sme-digital-2024-mfg", "--answers", str(src), "--out", str(out))
    assert result.exit_code == 0, result.stderr


def test_questionnaire_check_exit_codes(tmp_path: Path) -> None:
    good = run("questionnaire", "check", "questionnaires/sme-digital-2024-mfg.yaml")
    assert good.exit_code == 0 and "OK" in good.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(Path("questionnaires/sme-digital-2024-mfg.yaml").read_text(encoding="utf-8")
                      .replace("max_points: 50", "max_points: 55", 1), encoding="utf-8")
    bad = run("questionnaire", "check", str(broken))
    assert bad.exit_code == 1
    assert "broken.yaml: dimensions[0].max_points: max_points is 55 but its indicators add up to 50" in bad.stderr


def test_questionnaire_show_json_and_list() -> None:
    shown = run("questionnaire", "show", "sme-digital-2024-mfg", "--json")
    data = json.loads(shown.stdout)
    q = {x["id"]: x for x in data["questions"]}
    assert q["info_systems_coverage"]["options"][-1] == {"code": "all", "label": q["info_systems_coverage"][
        "options"][-1]["label"], "points": 10.0}
    assert data["definition"]["levels"][0]["min_score"] == 20
    listed = run("questionnaire", "list")
    assert "sme-digital-2024-mfg" in listed.stdout


@pytest.mark.parametrize("args", [["score", "--questionnaire", "no-such", "--answers", __file__, "--out", "x.csv"]])
def test_unknown_questionnaire_is_a_clear_error(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 1 and "no questionnaire with this code" in result.stderr
