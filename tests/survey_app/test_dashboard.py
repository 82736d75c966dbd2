"""The read-only cluster dashboard over what the pipeline stored: who may see it, what it shows, downloads."""

from __future__ import annotations

import hashlib
import io

import docx
import openpyxl
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.store import cluster_data
from diagnostics.store.models import Cluster, Enterprise, Snapshot
from tests.survey_app.survey_helpers import People, Web


def browser(world: tuple[Flask, Session], username: str, role: str, cluster: str | None = None) -> Web:
    app, session = world
    people = People(session)
    enterprise = people.enterprise() if role == "enterprise" else None
    user = people.user(username, role=role, enterprise=enterprise)
    if cluster:
        user.cluster_id = session.scalar(select(Cluster.id).where(Cluster.code == cluster))
        session.commit()
    web = Web(app.test_client())
    web.login(username)
    return web


def test_officials_read_the_latest_views(world: tuple[Flask, Session]) -> None:
    session = world[1]
    admin = browser(world, "chief", "admin")
    page = admin.html("/dashboard/?cluster=jingdezhen-ceramics")
    for text in ("绩效指标对照目标", "典型场景", "覆盖率", "调查进度", "数字化水平等级分布"):
        assert text in page
    assert "产业链环节 × 业务活动" in admin.html("/dashboard/map?cluster=jingdezhen-ceramics")
    assert "全部企业" in admin.html("/dashboard/needs?cluster=jingdezhen-ceramics")
    jdz = session.scalar(select(Cluster.id).where(Cluster.code == "jingdezhen-ceramics"))
    assert jdz is not None
    shortlist = cluster_data.latest_snapshot(session, jdz, "shortlist")
    assert shortlist is not None
    shortlist_page = admin.html("/dashboard/shortlist?cluster=jingdezhen-ceramics")
    for problem in shortlist.payload["problems"]:
        assert problem["zh"] in shortlist_page  # an infeasible quota is shown with its reason, not hidden
    history = admin.html("/dashboard/technical?cluster=jingdezhen-ceramics")
    assert "<td>pipeline</td>" in history
    assert history.count("新</td>") == 5 and "沿用</td>" not in history  # one run so far: all five views new


def test_staff_only_and_bound_to_their_cluster(world: tuple[Flask, Session]) -> None:
    session = world[1]
    city = browser(world, "jdz_expert", "viewer", cluster="jingdezhen-ceramics")
    assert city.get("/dashboard/").status_code == 200
    assert city.get("/dashboard/?cluster=shaoguan-nonferrous").status_code == 404
    assert city.get("/dashboard/shaoguan-nonferrous/workbook.xlsx").status_code == 404
    sg = session.scalar(select(Cluster.id).where(Cluster.code == "shaoguan-nonferrous"))
    theirs = session.scalars(select(Enterprise.id).where(Enterprise.cluster_id == sg)).first()
    assert city.get(f"/dashboard/enterprises/{theirs}/workbook.xlsx").status_code == 404  # uniform 404
    assert city.get("/dashboard/nowhere/workbook.xlsx").status_code == 404
    assert city.get("/dashboard/technical").status_code == 403  # run details: admins only
    for role in ("enterprise", "commissioner"):
        assert browser(world, f"u_{role}", role).get("/dashboard/").status_code == 403


def test_workbooks_download_and_are_built_on_demand(world: tuple[Flask, Session]) -> None:
    session = world[1]
    admin = browser(world, "chief2", "admin")
    response = admin.get("/dashboard/shaoguan-nonferrous/workbook.xlsx")
    assert response.status_code == 200 and (response.mimetype or "").endswith("spreadsheetml.sheet")
    assert "试点名单 Shortlist" in openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames
    sg = session.scalar(select(Cluster.id).where(Cluster.code == "shaoguan-nonferrous"))
    eid = session.scalars(select(Enterprise.id).where(Enterprise.cluster_id == sg).order_by(Enterprise.id)).first()
    one = admin.get(f"/dashboard/enterprises/{eid}/workbook.xlsx")
    assert one.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(one.data))
    assert book.sheetnames[0] == "封面 Cover" and "改进建议 Recommendations" in book.sheetnames
    assert admin.get("/dashboard/enterprises/999999/workbook.xlsx").status_code == 404


def test_the_programme_page_links_the_research_report_the_pipeline_wrote(world: tuple[Flask, Session]) -> None:
    session = world[1]
    jdz = cluster_data.cluster_by_code(session, "jingdezhen-ceramics")
    written = cluster_data.latest_snapshot(session, jdz.id, "research_report")
    assert written is not None  # the pipeline's last stage wrote it
    official = browser(world, "jdz_reader", "viewer", cluster="jingdezhen-ceramics")
    page = official.html("/programme/")
    assert f"最新研究报告生成于 {written.created_at:%Y-%m-%d %H:%M} UTC" in page
    assert f"画像快照 #{written.payload['sources'][0]['snapshot_id']}" in page
    before = session.scalar(select(func.count()).select_from(Snapshot))
    download = official.get("/programme/research-report.docx")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == written.payload["sha256"]  # the same file, not rewritten
    assert docx.Document(io.BytesIO(download.data)).paragraphs[0].text == "景德镇陶瓷产业集群数字化转型研究报告"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Snapshot)) == before
