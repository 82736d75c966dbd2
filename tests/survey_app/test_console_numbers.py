"""A hand-built cluster: the overview shows the pilot's figures as they are (180 stays 180, 30 stays 30)
and survey progress by stage, district, link and commissioner with the right counts."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy.orm import Session

from diagnostics.store import cluster_data
from diagnostics.store.catalogue import current_version
from diagnostics.store.models import Cluster, Enterprise, Submission, utcnow
from diagnostics.uscc import make_uscc
from survey_app import create_app
from tests.survey_app.survey_helpers import People, Web, figure_json

INDICATORS: list[dict[str, object]] = [
    {"metric": "enterprises", "name": {"zh": "参与项目的企业数量（家）", "en": "Participating enterprises"},
     "unit": "count", "value": 180.0, "target": 30.0, "status": "met",
     "counts": {"zh": "名单内的试点参与企业", "en": "pilot participants"}},
    {"metric": "trusted_enterprises", "name": {"zh": "现场评定企业数量（家）", "en": "Assessed on site"},
     "unit": "count", "value": 30.0, "target": None, "status": "no_target"},
    {"metric": "providers", "name": {"zh": "专业服务商数量（家）", "en": "Providers"}, "unit": "count",
     "value": 120.0, "target": 15.0, "status": "met"},
    {"metric": "deployments", "name": {"zh": "部署数量（个）", "en": "Deployments"}, "unit": "count", "value": None,
     "target": 10.0, "status": "no_data"},
    {"metric": "chain_leader_share", "name": {"zh": "链主企业占比", "en": "Chain leaders"}, "unit": "share",
     "value": 0.1, "target": 0.1, "status": "met"},
]


def _cluster(session: Session) -> Cluster:
    cluster = Cluster(code="hand-ceramics", name_zh="手工陶瓷集群", industry="ceramics",
                      pilot_code="jingdezhen-ceramics")
    session.add(cluster)
    session.flush()
    version = current_version(session, "sme-digital-2024-mfg")
    plan = [("珠山区", ["firing"], None), ("珠山区", ["firing", "forming"], "draft"),
            ("昌江区", ["forming"], "submitted"), ("昌江区", ["forming"], "verified"), ("浮梁县", [], "submitted")]
    for k, (region, links, status) in enumerate(plan):
        firm = Enterprise(uscc=make_uscc(f"9136020HAND{k:06d}"), name=f"手工企业{k}", cluster_id=cluster.id,
                          region=region, chain_links=links, tags=[], size_class="small")
        session.add(firm)
        session.flush()
        if status:
            session.add(Submission(enterprise_id=firm.id, questionnaire_version_id=version.id, status=status,
                                   answers={}, revision=1, submitted_at=utcnow() if status != "draft" else None))
    run_id = cluster_data.start_run(session, cluster.id, None)
    link_rows: list[dict[str, object]] = [{"code": "firing", "name": {"zh": "烧成", "en": "Firing"}},
                                          {"code": "forming", "name": {"zh": "成型", "en": "Forming"}}]
    cluster_data.save_snapshot(session, cluster.id, "industry_map", {"indicator_table": INDICATORS, "links": link_rows},
                               run_id=run_id, flow_run_id=None)
    cluster_data.update_run(session, run_id, status="completed")
    session.commit()
    return cluster


def test_indicator_table_keeps_whole_numbers_and_says_what_it_counts(db_url: str, session: Session) -> None:
    _cluster(session)
    app: Flask = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t"})
    People(session).user("hand_admin", role="admin")
    web = Web(app.test_client())
    web.login("hand_admin")
    html = web.html("/dashboard/?cluster=hand-ceramics")
    table = html[html.index('data-testid="indicators"'):html.index("</table>", html.index('data-testid="indicators"'))]
    cells = [re.findall(r'<td class="num">([^<]*)</td>', row) for row in table.split("<tr>")[2:]]
    assert cells == [["≥ 30", "180"], ["–", "30"], ["≥ 15", "120"], ["≥ 10", "–"], ["≥ 10%", "10%"]]
    assert "名单内的试点参与企业" in table and "暂无数据" in table
    stages = html[html.index('data-testid="stages"'):]
    assert re.findall(r'class="stat-value">(\d+)<', stages)[:5] == ["1", "1", "2", "1", "5"]
    district = re.search(r'<th scope="row">昌江区</th>((?:<td class="num">\d+</td>){4})', html)
    assert district and re.findall(r"\d+", district.group(1)) == ["0", "0", "1", "1"]
    chart = figure_json(html, "fig-progress-region")  # the chart draws the table's counts, stage by stage
    stages_drawn = {t["name"]: dict(zip(t["y"], t["x"], strict=True)) for t in chart["data"]}
    assert [stages_drawn[s]["昌江区"] for s in ("已登记", "填报中", "已提交", "已现场核验")] == [0, 0, 1, 1]
    firing = re.search(r'<th scope="row">烧成</th>((?:<td class="num">\d+</td>){4})', html)
    assert firing and re.findall(r"\d+", firing.group(1)) == ["1", "1", "0", "0"]
    unassigned = re.search(r'<th scope="row">未分配</th>((?:<td class="num">\d+</td>){4})', html)
    assert unassigned and re.findall(r"\d+", unassigned.group(1)) == ["1", "1", "2", "1"]
