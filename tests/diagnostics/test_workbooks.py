"""Workbooks: every sheet present, a native radar chart, and no string ever written as a formula."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from diagnostics.explain import explain_row
from diagnostics.industry_map import build_industry_map
from diagnostics.needs import rank_needs
from diagnostics.portraits import feed_map, summary
from diagnostics.scoring import score_answers
from diagnostics.shortlist import select_shortlist
from diagnostics.workbooks.cluster_report import write_cluster_report
from diagnostics.workbooks.enterprise_report import peer_benchmark, report_input, write_enterprise_report
from diagnostics.workbooks.safe import SheetWriter, new_workbook
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


def enterprise_data(name: str = "景德镇华瓷陶瓷有限公司"):
    p = portraits()
    result = score_answers(questionnaire(), [{"q_quality": "b", "q_equip": "c", "q_market": "a", "s_quality": 2}])
    explanation = explain_row(result, 0)
    explanation["dimensions"][0]["indicators"][0]["questions"][0]["answer"] = "=1+1"  # typed by a respondent
    row = {str(k): v for k, v in p[p["enterprise_id"] == 1].iloc[0].items()}
    row["name"] = name
    titles = {"mini-q:i_quality": {"zh": "质量", "en": "Quality"}, "mini-q:i_market": {"zh": "营销", "en": "Marketing"}}
    return report_input(row, explanation, peer_benchmark(p), taxonomy(), titles, {"name": "迷你集群"},
                        feed_map({1: questionnaire()}), {"follower": {"zh": "跟随型", "en": "Follower"}})


def test_enterprise_workbook_has_five_sheets_radar_and_safe_text(tmp_path):
    path = tmp_path / "e.xlsx"
    write_enterprise_report(path, enterprise_data(name=HOSTILE[0]))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["封面 Cover", "得分 Scores", "计分说明 Explanation", "同行对标 Benchmark",
                               "改进建议 Recommendations"]
    assert not [(s, c.coordinate) for s, c in cells(book) if c.data_type == "f"]
    cover = {r[0].value: r[1].value for r in book["封面 Cover"].iter_rows(min_row=3) if r[0].value}
    assert cover["企业名称 Enterprise"] == HOSTILE[0]
    assert cover["数字化水平等级 Digital level"] == "2 级" and cover["画像类型 Portrait type"] == "跟随型"
    trail = [[c.value for c in r] for r in book["计分说明 Explanation"].iter_rows()]
    assert ["基础", "质量", "q_quality", "=1+1", 5, "选项 b（部分）得 5 分"] in trail
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts and b"<c:radarChart>" in z.read(charts[0])


def test_enterprise_recommendations_follow_weaknesses_to_solutions(tmp_path):
    """E1 (firing) is weak in quality (0.5) then marketing (0.1667): quality -> firing_quality in its own
    link, solved by sol_kiln; marketing has no firing scenario, so sales_crm, solved by sol_crm."""
    data = enterprise_data()
    recs = data["recommendations"]
    got = [(r["weakness"], [s["code"] for s in r["scenarios"]], [s["code"] for s in r["solutions"]]) for r in recs]
    assert got == [
        ("i_quality", ["firing_quality"], ["sol_kiln"]), ("i_market", ["sales_crm"], ["sol_crm"])]
    buf = io.BytesIO()
    write_enterprise_report(buf, data)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["改进建议 Recommendations"]
    assert [c.value for c in ws[2]] == [1, "质量", 0.5, "烧成质量", "智能窑炉", "甲公司"]


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
    write_cluster_report(path, {"name": "迷你集群"}, payloads, p)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["绩效指标 Indicators", "等级画像 Levels", "企业清单 Enterprises", "共性需求 Needs",
                               "场景图谱 Map", "四清单 Four lists", "试点名单 Shortlist"]
    assert not [(s, c.coordinate) for s, c in cells(book) if c.data_type == "f"]
    ind = {r[0].value: [c.value for c in r[1:4]] for r in book["绩效指标 Indicators"].iter_rows(min_row=3)}
    assert ind["“一图四清单”对产业链环节覆盖率"] == [0.8, 1, "未达标 not met"]
    names = [r[0].value for r in book["企业清单 Enterprises"].iter_rows(min_row=2)]
    assert names == ["企业1", "企业2", "@SUM(1+1)*cmd", "企业4"]
    needs = [[c.value for c in r[:4]] for r in book["共性需求 Needs"].iter_rows(min_row=2, max_row=3)]
    assert needs == [[1, "窑炉能耗", "烧成", 2], [2, "成型管控", "成型", 2]]
    grid = {r[0].value: r[2].value for r in book["场景图谱 Map"].iter_rows(min_row=2)}
    assert grid["烧成"] == "窑炉能耗（2家实践，1家达标）\n烧成质量（2家实践，2家达标）"  # by scenario code
    picks = [r[0].value for r in book["试点名单 Shortlist"].iter_rows() if r[0].value in ("企业1", "企业2")]
    assert picks == ["企业2", "企业1"]
