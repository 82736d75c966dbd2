"""Workbooks: every sheet present, a native radar chart, and no string ever written as a formula."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from diagnostics.canonical import Canonical, digest, jsonable
from diagnostics.explain import explain_row
from diagnostics.industry_map import build_industry_map
from diagnostics.needs import rank_needs
from diagnostics.portraits import feed_map, summary
from diagnostics.recommend import names_of
from diagnostics.scoring import score_answers
from diagnostics.shortlist import participant_list, select_shortlist
from diagnostics.workbooks.cluster_report import write_cluster_report
from diagnostics.workbooks.enterprise_report import (
    peer_benchmark,
    readable_trail,
    report_input,
    write_enterprise_report,
)
from diagnostics.workbooks.safe import MAX_CELL, SheetWriter, new_workbook, write_frames
from tests.diagnostics.cluster_fixtures import portraits, questionnaire, taxonomy
from tests.diagnostics.cluster_fixtures import targets as mini_targets

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]


def cells(book: openpyxl.Workbook):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c


def test_hostile_strings_are_text_not_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = new_workbook(path)
    sheet = SheetWriter(wb, "s")
    sheet.row(HOSTILE)
    sheet.row([1, 2.5, True, None, float("nan"), {"zh": "中文", "en": "English"}, ["a", "b"]])
    wb.close()
    book = openpyxl.load_workbook(path)
    ws = book["s"]
    assert [c.value for c in ws[1]][:5] == HOSTILE
    assert all(c.data_type == "s" for c in ws[1][:5])
    assert [c.value for c in ws[2]][:3] == [1, 2.5, True]
    assert ws["F2"].value == "中文" and ws["G2"].value == "a、b"


def test_every_writer_drops_control_characters_and_says_when_it_cuts(tmp_path):
    """One rule for every sheet (``SheetWriter``, and ``write_frames`` for the census output and the
    dashboard's exports): no ``_x0001_`` in the file, and a text over 32,767 characters cut with a note
    in the cell and a record of where, never silently; formulas stay text."""
    frame = pd.DataFrame({"name": ["甲\x01乙\x1f丙", "x" * 40_000, "=1+1"], "n": [1, 2.5, None]})
    path = tmp_path / "frames.xlsx"
    clipped = write_frames(path, {"表": frame})
    assert [(c.sheet, c.row, c.col, c.length, c.column) for c in clipped] == [("表", 2, 0, 40_000, "name")]
    ws = openpyxl.load_workbook(path)["表"]
    assert ws["A2"].value == "甲乙丙" and ws["A4"].value == "=1+1" and ws["A4"].data_type == "s"
    assert len(ws["A3"].value) == MAX_CELL and "cut: 40,000 characters" in ws["A3"].value
    assert ws["B2"].value == 1 and ws["B3"].value == 2.5 and ws["B4"].value is None
    with zipfile.ZipFile(path) as archive:
        assert not [n for n in archive.namelist() if b"_x00" in archive.read(n)]
    wb = new_workbook(tmp_path / "sheet.xlsx")
    sheet = SheetWriter(wb, "s")
    sheet.cell(2, {"zh": "中\x07文"})
    sheet.row(["a\x00b", "y" * 33_000])
    wb.close()
    assert [(c.row, c.col) for c in sheet.clipped] == [(0, 1)]
    row = [c.value for c in openpyxl.load_workbook(tmp_path / "sheet.xlsx")["s"][1]]
    assert row[0] == "ab" and len(row[1]) == MAX_CELL and row[2] == "中文"


def enterprise_data(name: str = "景德镇华瓷陶瓷有限公司", trail: dict | None = None):
    p = portraits()
    q = questionnaire()
    result = score_answers(q, [{"q_quality": "b", "q_equip": "c", "q_market": "a", "s_quality": 2}])
    explanation = trail if trail is not None else readable_trail(q, explain_row(result, 0))
    if trail is None:
        first = explanation["dimensions"][0]["indicators"][0]["questions"][0]
        first["answer"] = first["answer_text"] = "=1+1"  # typed by a respondent
    row = {str(k): v for k, v in p[p["enterprise_id"] == 1].iloc[0].items()}
    row["name"] = name
    return report_input(row, explanation, peer_benchmark(p), taxonomy(), names_of([q]), {"name": "迷你集群"},
                        feed_map({1: q}), {"follower": {"zh": "跟随型", "en": "Follower"}})


def _plain(value):
    """A deep copy made of plain dicts and lists (no ``Canonical`` marks left)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_a_report_input_is_what_converting_everything_once_more_gives():
    """Trails are made canonical once and then not walked again inside the report input: the input, and
    so its digest (the workbook's file name), is exactly what a full second conversion would give."""
    q = questionnaire()
    result = score_answers(q, [{"q_quality": "b", "q_equip": "c", "q_market": "a", "s_quality": 2}])
    trail = readable_trail(q, explain_row(result, 0))
    assert type(trail) is Canonical and jsonable(_plain(trail)) == trail
    data = enterprise_data()
    assert type(data["explanation"]) is Canonical and type(data["plan"]) is Canonical
    assert jsonable(_plain(data)) == data
    assert digest(data, plain=True) == digest(_plain(data))


SHEETS = ["封面 Cover", "得分 Scores", "计分说明 Explanation", "优势与短板 Strengths", "同行对标 Benchmark",
          "改进建议 Recommendations", "转型计划 Plan"]


def test_enterprise_workbook_sheets_charts_and_safe_text(tmp_path):
    path = tmp_path / "e.xlsx"
    write_enterprise_report(path, enterprise_data(name=HOSTILE[0]))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    assert not [(s, c.coordinate) for s, c in cells(book) if c.data_type == "f"]
    cover = {r[0].value: r[1].value for r in book["封面 Cover"].iter_rows(min_row=3) if r[0].value}
    assert cover["企业名称 Enterprise"] == HOSTILE[0]
    assert cover["数字化水平等级 Digital level"] == "2 级" and cover["画像类型 Portrait type"] == "跟随型"
    assert cover["企业规模 Size class"] == "小型" and cover["产业链环节 Chain links"] == "烧成"
    trail = [[c.value for c in r] for r in book["计分说明 Explanation"].iter_rows()]
    assert ["基础", "质量", "质量", "=1+1", 5, "选择“部分”，得 5 分"] in trail  # names, not option codes
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        kinds = b"".join(z.read(n) for n in charts)
        assert b"<c:radarChart>" in kinds and b"<c:barChart>" in kinds  # radar on scores, columns on the plan


def test_workbook_explanation_rows_equal_the_trail(tmp_path):
    """Every question of the expanded trail is one row of 计分说明 with its points and rule, in order, and
    question texts and answer labels are printed, not ids and codes."""
    q = questionnaire()
    result = score_answers(q, [{"q_quality": "b", "q_equip": "c", "q_market": "a", "s_quality": 2}])
    trail = readable_trail(q, explain_row(result, 0))
    path = tmp_path / "e.xlsx"
    write_enterprise_report(path, enterprise_data(trail=trail))
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(path)["计分说明 Explanation"].iter_rows()]
    start = rows.index(["维度 Dimension", "指标 Indicator", "题目 Question", "回答 Answer", "得分 Points",
                        "计分规则 Rule"]) + 1
    expected = [(d["title"]["zh"], i["title"]["zh"], qq["text"]["zh"], qq["points"], qq.get("rule_zh"))
                for d in trail["dimensions"] for i in d["indicators"] for qq in i["questions"]]
    printed = [(r[0], r[1], r[2], r[4], r[5]) for r in rows[start:start + len(expected)]]
    assert printed == expected and len(expected) >= 4
    answers = {r[2]: r[3] for r in rows[start:start + len(expected)]}
    assert answers["质量"] == "部分"  # option b's label, not its code
    assert all("q_" not in str(r[2]) for r in rows[start:start + len(expected)])


def test_enterprise_recommendations_follow_weaknesses_to_solutions_in_own_links(tmp_path):
    """E1 (firing) is weak in quality (0.5) then marketing (0.1667): quality -> firing_quality in its own
    link, solved by sol_kiln; marketing has no scenario in firing, so nothing is recommended for it (the
    sales link is not E1's: issue 8 removed the fallback to other links)."""
    data = enterprise_data()
    recs = data["recommendations"]
    got = [(r["scenario"], r["severity"], [s["code"] for s in r["solutions"]]) for r in recs]
    assert got == [("firing_quality", 0.5, ["sol_kiln"])]
    assert "指标“质量”得分偏低" in recs[0]["reasons"][0]["zh"]
    buf = io.BytesIO()
    write_enterprise_report(buf, data)
    book = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    ws = book["改进建议 Recommendations"]
    assert [c.value for c in ws[2]][:4] == [1, "烧成质量", "烧成", 0.5]
    assert ws[2][5].value == "智能窑炉" and ws[2][6].value == "甲公司"


def test_plan_sheet_orders_scenarios_and_gives_the_expected_level(tmp_path):
    """Closing E1's quality weakness to its target (3 -> 6 points) lifts 18 to 21 points; the mini levels
    are 5/12/20/27, so the expected level is 3. The roadmap has three steps."""
    data = enterprise_data()
    plan = data["plan"]
    assert [r["scenario"] for r in plan["scenarios"]] == ["firing_quality"]
    assert (plan["total_now"], plan["total_after"], plan["level_now"], plan["level_after"]) == (18.0, 21.0, 2, 3)
    path = tmp_path / "e.xlsx"
    write_enterprise_report(path, data)
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(path)["转型计划 Plan"].iter_rows()]
    assert rows[rows.index(["顺序 #", "场景 Scenario", "解决方案 Solutions",
                                                       "原因 Why"]) + 1][:3] == [1, "烧成质量", "智能窑炉"]
    steps = [r for r in rows if r[0] in (1, 2, 3) and isinstance(r[1], str) and r[1].startswith("第")]
    assert [r[1][:3] for r in steps] == ["第一步", "第二步", "第三步"]
    assert any("3 级" in str(r[1]) for r in rows if r[0] and str(r[0]).startswith("改造后预期"))


def test_peer_benchmark_means():
    b = peer_benchmark(portraits())
    # totals 18, 16, 0, 30; small firms E1 (18) and E3 (0)
    assert b["cluster"]["total"] == pytest.approx(16.0) and b["cluster"]["n"] == 4
    assert b["by_size"]["small"]["total"] == 9.0
    assert b["by_size"]["small"]["dims"]["foundation"] == pytest.approx((0.65 + 0.0) / 2)


def test_cluster_workbook_sheets_and_content(tmp_path):
    p = portraits()
    p.loc[p["enterprise_id"] == 3, "name"] = "@SUM(1+1)*cmd"
    tx, tg = taxonomy(), mini_targets()
    payloads = {"portraits": summary(p, tx, enterprises_total=5, primary="mini-q", feeds={}),
                "needs": rank_needs(p, tx, feed_map({1: questionnaire()})),
                "industry_map": build_industry_map(tx, p, tg),
                "shortlist": select_shortlist(p, tg.shortlist, [c.code for c in tx.chain_links], max_score=30)}
    path = tmp_path / "c.xlsx"
    feeds = feed_map({1: questionnaire()})
    people = participant_list(payloads["shortlist"], p, tx, feeds, names_of([questionnaire()]))
    write_cluster_report(path, {"name": "迷你集群"}, payloads, p, participants=people,
                         names=names_of([questionnaire()]))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["绩效指标 Indicators", "等级画像 Levels", "分类分级 Classification",
                               "企业清单 Enterprises", "共性需求 Needs", "场景图谱 Map", "四清单 Four lists",
                               "试点名单 Shortlist", "参与企业名单 Participants"]
    assert not [(s, c.coordinate) for s, c in cells(book) if c.data_type == "f"]
    ind = {r[0].value: [c.value for c in r[1:4]] for r in book["绩效指标 Indicators"].iter_rows(min_row=3)}
    assert ind["“一图四清单”对产业链环节覆盖率"] == [0.8, 1, "未达标 not met"]
    names = [r[0].value for r in book["企业清单 Enterprises"].iter_rows(min_row=2)]
    assert names == ["企业1", "企业2", "@SUM(1+1)*cmd", "企业4"]
    assert ind["参与试点项目的企业数量（家）"][0] == "暂无数据"
    needs_rows = [[c.value for c in r] for r in book["共性需求 Needs"].iter_rows()]
    assert "needs.common_share" in needs_rows[0][0]  # the definition is printed above the table
    assert [r[:4] for r in needs_rows[2:5]] == [[1, "成型管控", "成型", 1], [2, "客户管理", "销售", 1],
                                                [3, "烧成质量", "烧成", 1]]
    gaps = {r[0].value: r[7].value for r in book["企业清单 Enterprises"].iter_rows(min_row=2)}
    assert gaps["企业1"] == "质量、营销"  # weakness names, not codes
    levels = [r[0].value for r in book["分类分级 Classification"].iter_rows()]
    assert "产业链环节" in levels and "烧成" in levels and "专精特新" in levels
    people_rows = [[c.value for c in r] for r in book["参与企业名单 Participants"].iter_rows(min_row=3)]
    assert people_rows[0][:3] == ["企业2", "USCC0002", "2 级"] and people_rows[0][4] == "否"
    assert people_rows[1][3] == "烧成质量"  # E1: what is to be transformed, from the one rule
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) >= 4  # coverage, levels by size, levels by link, top needs
    grid = {r[0].value: r[2].value for r in book["场景图谱 Map"].iter_rows(min_row=2)}
    assert grid["烧成"] == "窑炉能耗（2家实践，1家达标）\n烧成质量（2家实践，2家达标）"  # by scenario code
    picks = [r[0].value for r in book["试点名单 Shortlist"].iter_rows() if r[0].value in ("企业1", "企业2")]
    assert picks == ["企业2", "企业1"]
