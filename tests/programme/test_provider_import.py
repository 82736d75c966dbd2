"""Importing providers from Excel: every bad cell named by row and column, nothing saved from a bad file."""

from __future__ import annotations

import io

import xlsxwriter

from diagnostics.programme.provider_import import parse_providers, read_rows
from diagnostics.uscc import make_uscc

GOOD = make_uscc("91360200MA35K0001")
SCENARIOS = {"kiln_control": "kiln_control", "窑炉智能控制": "kiln_control", "glaze": "glaze", "釉料配方": "glaze"}


def xlsx(rows: list[list[object]]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def test_a_clean_file_gives_providers_with_codes_kinds_and_scenarios() -> None:
    header, rows = read_rows(xlsx([["服务商名称", "统一社会信用代码", "类型", "服务场景", "能力介绍"],
                                   ["窑联科技", f" {GOOD.lower()} ", "专业服务商", "窑炉智能控制、glaze", "窑炉温控"],
                                   [None, None, None, None, None],
                                   ["电信景德镇", None, "telecom", None, None]]))
    parsed, errors = parse_providers(header, rows, SCENARIOS)
    assert errors == []
    assert [(p.row, p.name, p.uscc, p.kind, p.scenarios) for p in parsed] == [
        (2, "窑联科技", GOOD, "specialised", ("kiln_control", "glaze")), (4, "电信景德镇", None, "telecom", ())]


def test_every_bad_cell_is_named_by_row_and_column() -> None:
    header, rows = read_rows(xlsx([["name", "uscc", "kind", "scenarios"],
                                   ["A", GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), "bank", "月球采矿"],
                                   [None, GOOD, None, None],
                                   ["B", GOOD, None, None],
                                   ["C", GOOD, None, None]]))
    _, errors = parse_providers(header, rows, SCENARIOS)
    found = {(e.row, e.column) for e in errors}
    assert found == {(2, "统一社会信用代码"), (2, "类型"), (2, "服务场景"), (3, "服务商名称"), (5, "统一社会信用代码")}
    dup = next(e for e in errors if e.row == 5)
    assert "第4行" in dup.message_zh and "row 4" in dup.message_en
    assert parse_providers(["地区"], [["x"]], SCENARIOS)[1][0].message_zh == "缺少“服务商名称”列。"
