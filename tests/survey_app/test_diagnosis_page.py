"""The diagnosis a respondent reads right after submitting: level, radar, why not higher, what next, T0/T1."""

from __future__ import annotations

import gzip
import html as html_lib
import json
import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

import diagnostics.scoring
import diagnostics.store.assessing
from diagnostics.store.models import Enterprise
from survey_app.diagnosis.charts import wrap
from tests.survey_app.survey_helpers import FULL_ANSWERS, People, Web, fill_all, start_survey, submit


@pytest.fixture
def diagnosed(app: Flask, people: People) -> tuple[Web, int, str]:
    """An enterprise that has submitted once: 45 points (basics 20/50, results 25/50), level 2."""
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    web.login("owner")
    sid = start_survey(web, enterprise.id)
    fill_all(web, sid)
    response = submit(web, sid)
    page = web.get(response.headers["Location"], follow_redirects=True)
    assert page.status_code == 200
    return web, enterprise.id, page.get_data(as_text=True)


def radar_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="radar-data">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_level_and_its_meaning(diagnosed: tuple[Web, int, str]) -> None:
    _, _, html = diagnosed
    assert re.search(r'id="level-title">\s*二级', html)
    assert "单一业务数字化管理" in html and "45" in html


def test_why_the_next_level_was_not_reached(diagnosed: tuple[Web, int, str]) -> None:
    _, _, html = diagnosed
    assert "为什么还没有达到三级" in html
    assert "总分还差 15 分（需 60 分）" in html


def test_radar_shows_dimensions_as_a_share_of_their_maximum(diagnosed: tuple[Web, int, str]) -> None:
    _, _, html = diagnosed
    figure = radar_data(html)
    trace = figure["data"][-1]
    assert trace["type"] == "scatterpolar"
    assert trace["theta"][:2] == ["数字化基础", "数字化成效"]  # scored dimensions only, closed polygon
    assert trace["r"][:2] == [40.0, 50.0]
    assert figure["layout"]["polar"]["radialaxis"]["range"] == [0, 100]


def test_plotly_comes_from_the_installed_package_not_a_cdn(diagnosed: tuple[Web, int, str]) -> None:
    web, _, html = diagnosed
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert all(src.startswith("/") for src in scripts), scripts
    plotly_src = next(src for src in scripts if "plotly" in src)
    response = web.get(plotly_src, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    body = gzip.decompress(response.data)
    assert len(body) > 1_000_000 and b"plotly" in body[:2000].lower()


def test_strengths_weaknesses_and_recommendations_from_the_taxonomy(diagnosed: tuple[Web, int, str]) -> None:
    _, _, html = diagnosed
    strengths = html[html.index('id="s-title"'):html.index('id="w-title"')]
    weaknesses = html[html.index('id="w-title"'):html.index('id="i-title"')]
    assert "网络建设" in weaknesses and "信息系统" in weaknesses  # 10/20 and 10/30: below 60 %
    assert "网络建设" not in strengths
    recs = html[html.index('id="r-title"'):]
    assert "釉料数字化设计" in recs and "釉料配方云平台" in recs  # network feeds product_design
    assert "窑炉智能监控" in recs  # production control rated 1, below level 2
    assert html_lib.escape("场景“生产管控”自评 1 级，低于 2 级", quote=False) in recs


def test_second_assessment_is_compared_with_the_first(diagnosed: tuple[Web, int, str]) -> None:
    web, enterprise_id, _ = diagnosed
    sid = start_survey(web, enterprise_id)  # "assess again": a new draft
    better = [{**FULL_ANSWERS[0], "info_sys": "D"}, {"quality": "better"}, {"s_design": "3", "s_production": "3"}]
    fill_all(web, sid, better)
    html = web.get(submit(web, sid).headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert re.search(r'id="level-title">\s*四级', html)  # 10 + 30 + 50 = 90 points
    table = html[html.index('id="cmp-title"'):html.index('id="s-title"')]
    assert "T0" in table and "T1" in table
    assert re.search(r"总分</th><td[^>]*>45</td><td[^>]*>90</td>\s*<td[^>]*>\+45", table)
    assert len(radar_data(html)["data"]) == 2  # T0 under T1 on the radar
    history = web.html(f"/enterprises/{enterprise_id}")
    assert history.count("/assessments/") == 2


def test_the_page_reads_the_stored_assessment_and_scores_nothing(diagnosed: tuple[Web, int, str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page view must not score")

    monkeypatch.setattr(diagnostics.scoring, "score", refuse)
    monkeypatch.setattr(diagnostics.store.assessing, "score_submissions", refuse)
    web, enterprise_id, html = diagnosed
    link = re.search(r'href="(/assessments/\d+)"', web.html(f"/enterprises/{enterprise_id}"))
    assert link
    again = web.html(link.group(1))
    assert radar_data(again) == radar_data(html)


def test_diagnosis_in_english(diagnosed: tuple[Web, int, str]) -> None:
    web, enterprise_id, _ = diagnosed
    web.post("/lang", {"lang": "en"})
    link = re.search(r'href="(/assessments/\d+)"', web.html(f"/enterprises/{enterprise_id}"))
    assert link
    html = web.html(link.group(1))
    assert "Why not Level 3 yet" in html and "15 points short of 60" in html
    assert radar_data(html)["data"][-1]["theta"][0] == "Foundation"
    assert wrap("Digital management") == "Digital<br>management" and wrap("数字化管理") == "数字化管理"


def test_recommendations_name_only_scenarios_of_the_links_the_enterprise_operates(
        diagnosed: tuple[Web, int, str], session: Session) -> None:
    """The page asks the one recommendation rule with the enterprise's own chain links (as its workbook does)."""
    web, enterprise_id, html = diagnosed
    assert "窑炉智能监控" in html[html.index('id="r-title"'):]  # no links registered: nothing is filtered
    enterprise = session.get(Enterprise, enterprise_id)
    assert enterprise is not None
    enterprise.chain_links = ["raw_materials"]  # a glaze and body maker: no kiln of its own
    session.commit()
    link = re.search(r'href="(/assessments/\d+)"', web.html(f"/enterprises/{enterprise_id}"))
    assert link
    again = web.html(link.group(1))
    recs = again[again.index('id="r-title"'):]
    assert "釉料数字化设计" in recs and "窑炉智能监控" not in recs
