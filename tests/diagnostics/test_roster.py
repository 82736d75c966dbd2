"""Reading bureau rosters: tolerant of real files, strict about bad rows (each named by row and column)."""

from __future__ import annotations

import io

import xlsxwriter

from diagnostics.roster import Registered, match_header, parse_roster, plan_import
from diagnostics.uscc import make_uscc

A = make_uscc("91360200MA0000001")
B = make_uscc("91360200MA0000002")
C = make_uscc("91360200MA0000003")
BAD_CHECK = A[:17] + ("0" if A[17] != "0" else "1")


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_headers_are_matched_through_the_one_synonym_table() -> None:
    assert match_header("营业收入（万元） ") == "revenue_10k"
    assert match_header("国民经济行业") == "industry_code"
    assert match_header("区县") == "region"
    assert match_header("从业人员（人）") == "employees"
    assert match_header("备注") is None


def test_title_rows_full_width_digits_separators_lower_case_and_a_total_row() -> None:
    data = _csv([
        "2026年景德镇陶瓷产业集群企业名录,,,,,,,",
        "填报单位：市工信局,,,,,,,",
        "企业名称,统一社会信用代码,行业代码,区县,从业人员,营业收入（万元）,单位类型,是否专精特新",
        f"甲瓷业有限公司 ,{A.lower()},c3074,珠山区 ,\"1,500\",４５０００,企业,是",
        f"乙陶瓷协会,{B},3074,昌江区,12,80,行业协会,否",
        ",,,,1512,45080,,",
        "合计,,,,1512,45080,,",
    ])
    parsed = parse_roster(data, "roster.csv")
    assert parsed.errors == []
    assert parsed.header_row == 3
    first, second = parsed.rows
    assert (first.row, first.uscc, first.name) == (4, A, "甲瓷业有限公司")
    assert (first.industry_code, first.region) == ("3074", "珠山区")
    assert (first.employees, first.revenue_10k, first.size_class, first.tags) == (1500, 45000.0, "large", ("srdi",))
    assert (second.unit_type, second.size_class, second.tags) == ("association", "micro", ())
    assert parsed.skipped == [(6, "total"), (7, "total")]


def test_every_bad_row_is_reported_by_row_column_and_reason_and_good_rows_survive() -> None:
    data = _csv([
        "企业名称,统一社会信用代码,行业代码,从业人员,营业收入(万元),单位类型,是否链主",
        f"好企业一,{A},3074,50,800,,否",                 # row 2 good
        f"坏校验,{BAD_CHECK},3074,50,800,,否",            # row 3 bad check character
        f"未知行业,{B},9999,50,800,,否",                  # row 4 unknown industry code
        f"负人数,{C},3074,-5,abc,,否",                    # row 5 negative + non-numeric
        f",{make_uscc('91360200MA0000004')},3074,5,5,,否",  # row 6 empty name
        f"重复,{A},3074,50,800,,否",                      # row 7 duplicate of row 2
        f"怪类型,{make_uscc('91360200MA0000005')},3074,1,1,政府,也许",  # row 8 unit type and flag
        f"=HYPERLINK(\"x\"),{make_uscc('91360200MA0000006')},3074,1,1,,",  # row 9 good, formula-looking name
    ])
    parsed = parse_roster(data, "r.csv")
    assert [r.row for r in parsed.rows] == [2, 9]
    assert parsed.rows[1].name == '=HYPERLINK("x")'
    by_row = {(e.row, e.column): e for e in parsed.errors}
    assert "校验码" in by_row[(3, "统一社会信用代码")].message_zh
    assert "9999" in by_row[(4, "行业代码")].message_zh
    assert "负数" in by_row[(5, "从业人员")].message_zh
    assert "不是数字" in by_row[(5, "营业收入(万元)")].message_zh
    assert "为空" in by_row[(6, "企业名称")].message_zh
    assert "第2行" in by_row[(7, "统一社会信用代码")].message_zh
    assert (8, "单位类型") in by_row and (8, "是否链主") in by_row
    assert len(parsed.errors) == 8


def test_xlsx_with_a_title_row_and_merged_header_cells() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 0, 4, "韶关市有色金属产业集群企业名单")
    sheet.merge_range(1, 0, 2, 0, "企业名称")  # one header cell over two rows
    sheet.merge_range(1, 1, 2, 1, "统一社会信用代码")
    sheet.merge_range(1, 2, 1, 3, "经营情况")  # a group title over two sub-headers
    sheet.write(2, 2, "从业人员")
    sheet.write(2, 3, "营业收入（万元）")
    sheet.write(2, 4, "行业代码")
    sheet.write_row(3, 0, ["丙冶炼厂", C, 320, 2500, "3212"])
    sheet.write_row(4, 0, ["合计", "", 320, 2500, ""])
    book.close()
    parsed = parse_roster(buffer.getvalue(), "list.xlsx")
    assert parsed.errors == [], parsed.errors
    assert parsed.header_row == 3
    [row] = parsed.rows
    assert (row.row, row.name, row.uscc, row.employees, row.revenue_10k, row.size_class) == (
        4, "丙冶炼厂", C, 320, 2500.0, "medium")


def test_no_header_is_a_file_error_not_a_crash() -> None:
    parsed = parse_roster(_csv(["a,b", "1,2"]), "x.csv")
    assert parsed.rows == [] and parsed.errors[0].row == 0
    assert parse_roster(b"PK\x03\x04garbage", "x.xlsx").errors[0].row == 0


def test_plan_lists_changed_fields_and_refuses_conflicts() -> None:
    data = _csv([
        "企业名称,统一社会信用代码,从业人员,营业收入(万元)",
        f"甲,{A},50,800",
        f"乙,{B},30,400",
        f"丙,{C},30,400",
    ])
    parsed = parse_roster(data, "r.csv")
    stored_a = Registered(1, A, 7, {"name": "甲", "employees": 40, "revenue_10k": 800.0, "size_class": "small",
                                    "tags": [], "chain_links": [], "unit_type": "enterprise"})
    other_c = Registered(3, make_uscc("91360200MA0000009"), 7, {"name": "丙"})
    plan = plan_import(parsed, {A: stored_a}, {"甲": stored_a, "丙": other_c}, cluster_id=7)
    actions = {p.row.name: p for p in plan.rows}
    assert actions["甲"].action == "update"
    assert [(c.field, c.old, c.new) for c in actions["甲"].changes] == [("employees", 40, 50)]
    assert actions["乙"].action == "create"
    assert "丙" not in actions and plan.errors[0].row == 4 and "同名" in plan.errors[0].message_zh
