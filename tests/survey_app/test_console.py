"""The officials' console on the demo cluster after one pipeline run: every page's data, permissions,
exports opened with pandas, the on-demand workbook, pins, and the run-now button's states."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from typing import Any

import openpyxl
import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import flows.trigger
from diagnostics.pilot import load_targets
from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.assessing import score_one
from diagnostics.store.models import (
    AuditLog,
    Cluster,
    Enterprise,
    QuestionnaireVersion,
    Submission,
    User,
    utcnow,
)
from diagnostics.store.models_console import RunRequest, ShortlistPin
from diagnostics.store.models_programme import PilotProject
from diagnostics.taxonomy import load_taxonomy
from diagnostics.uscc import make_uscc
from tests.survey_app.survey_helpers import People, Web, figure_json

JDZ = "jingdezhen-ceramics"
# a dotted name ("pilot file needs.common_share") is a source reference, not a code shown instead of a name
CODE_WORDS = re.compile(r"(?<![.\w])(foundation|management|results|beginner|follower|leader|not_started"
                        r"|[a-z]+_[a-z_]+)\b")


_serial = iter(range(1, 10_000))


def browser(world: tuple[Flask, Session], role: str, cluster: str | None = None,
            enterprise: Enterprise | None = None) -> Web:
    app, session = world
    people = People(session)
    username = f"{role}_{next(_serial)}"
    user = people.user(username, role=role, enterprise=enterprise)
    if cluster:
        user.cluster_id = session.scalar(select(Cluster.id).where(Cluster.code == cluster))
        session.commit()
    web = Web(app.test_client())
    web.login(username)
    return web


def visible_text(html: str) -> str:
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def jdz_id(session: Session) -> int:
    found = session.scalar(select(Cluster.id).where(Cluster.code == JDZ))
    assert found is not None
    return found


OFFICIAL_PAGES = ["/dashboard/", "/dashboard/map", "/dashboard/enterprises", "/dashboard/needs", "/dashboard/shortlist",
                  "/dashboard/downloads", "/dashboard/enterprises/export.csv", f"/dashboard/{JDZ}/answers.csv",
                  f"/dashboard/{JDZ}/participants.xlsx", "/dashboard/map/cell?link=firing&activity=production"]


def test_officials_open_every_page_and_see_names_not_codes(world: tuple[Flask, Session]) -> None:
    for role in ("admin", "viewer"):
        web = browser(world, role)
        for url in OFFICIAL_PAGES:
            response = web.get(url)
            assert response.status_code == 200, (role, url)
            if response.mimetype == "text/html":
                leaked = set(CODE_WORDS.findall(visible_text(response.get_data(as_text=True))))
                assert not leaked, (role, url, leaked)
    assert browser(world, "viewer").get("/dashboard/technical").status_code == 403
    technical = browser(world, "admin").html("/dashboard/technical")
    assert "内容哈希" in technical and not CODE_WORDS.findall(visible_text(technical))


def test_enterprise_users_and_commissioners_get_403_on_officials_pages(world: tuple[Flask, Session]) -> None:
    session = world[1]
    own = session.scalars(select(Enterprise).where(Enterprise.cluster_id == jdz_id(session))
                          .order_by(Enterprise.id)).first()
    for role in ("enterprise", "commissioner"):
        web = browser(world, role, enterprise=own if role == "enterprise" else None)
        for url in [*OFFICIAL_PAGES, "/dashboard/technical", "/dashboard/workbooks.zip", "/dashboard/run/state"]:
            assert web.get(url).status_code == 403, (role, url)
        assert web.post("/dashboard/run").status_code == 403


def test_overview_counts_match_the_database(world: tuple[Flask, Session]) -> None:
    session = world[1]
    cid = jdz_id(session)
    people = People(session)
    li = people.user(f"li_{next(_serial)}", role="commissioner")
    li.display_name = "数字专员 李工"
    session.commit()
    firms = select(Enterprise).where(Enterprise.cluster_id == cid).order_by(Enterprise.id).limit(2)
    for firm in session.scalars(firms):
        people.assign(li, firm)
    html = browser(world, "admin").html(f"/dashboard/?cluster={JDZ}")
    total = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.cluster_id == cid))
    verified = session.scalar(select(func.count(func.distinct(Submission.enterprise_id))).join(
        Enterprise, Enterprise.id == Submission.enterprise_id).where(Enterprise.cluster_id == cid,
                                                                     Submission.status == "verified"))
    stages = html[html.index('data-testid="stages"'):html.index("</ul>", html.index('data-testid="stages"'))]
    values = [int(v) for v in re.findall(r'class="stat-value">(\d+)<', stages)]
    assert values[-1] == total and values[3] == verified and sum(values[:4]) == total
    row = re.search(r'<th scope="row">数字专员 李工</th>((?:<td class="num">\d+</td>){4})', html)
    assert row and sum(int(n) for n in re.findall(r"\d+", row.group(1))) == 2  # display names, right counts
    assert 'data-figure-for="fig-levels-size"' in html and 'data-figure-for="fig-levels-link"' in html
    assert "<script>" not in html  # figures are JSON blocks, drawn by static/dashboard.js


def test_map_cell_opens_scenarios_firms_and_solutions(world: tuple[Flask, Session]) -> None:
    web = browser(world, "admin")
    page = web.html(f"/dashboard/map?cluster={JDZ}")
    figure = re.search(r'data-figure-for="fig-map">(.*?)</script>', page, re.S)
    assert figure and '"type":"heatmap"' in figure.group(1).replace(" ", "")
    fragment = web.get(f"/dashboard/map/cell?cluster={JDZ}&link=firing&activity=production",
                       headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("{") is False and "<html" not in fragment
    assert "烧成" in fragment and "解决方案与服务商" in fragment
    assert "/dashboard/enterprises/" in fragment  # firms practising link to their portraits
    for title in ("数据要素清单", "知识模型清单", "工具软件清单", "人才技能清单"):
        assert title in page


def test_needs_matrix_draws_the_rule_the_needs_stage_applies(world: tuple[Flask, Session]) -> None:
    session = world[1]
    payload = cluster_data.latest_snapshot(session, jdz_id(session), "needs").payload  # type: ignore[union-attr]
    assert payload is not None
    page = browser(world, "viewer").html(f"/dashboard/needs?cluster={JDZ}")
    fig = figure_json(page, "fig-needs")
    points = {t["name"]: len(t["x"]) for t in fig["data"]}
    common = sum(bool(r["common"]) for r in payload["scenarios"])
    assert sum(points.values()) == len(payload["scenarios"]) and points.get("共性需求", 0) == common
    targets = load_targets(JDZ)  # both thresholds drawn where the pilot file puts them
    lines = {(shape["x0"], shape["y0"]) for shape in fig["layout"]["shapes"] if shape["type"] == "line"}
    assert (100 * targets.needs.common_share, 0) in lines and (0, 100 * targets.needs.common_intensity) in lines
    for trace in fig["data"]:  # a point is in the common trace exactly when it clears both thresholds
        inside = [x >= 100 * targets.needs.common_share - 0.1 and y >= 100 * targets.needs.common_intensity - 0.1
                  for x, y in zip(trace["x"], trace["y"], strict=True)]
        assert all(inside) if trace["name"] == "共性需求" else not any(inside)
    links = figure_json(page, "fig-need-links")["data"][0]
    assert len(links["y"]) == len(payload["links"]) and "原料" in links["y"]  # names, not codes


def test_coverage_per_link_and_the_deadline_line(world: tuple[Flask, Session]) -> None:
    session = world[1]
    page = browser(world, "admin").html(f"/dashboard/map?cluster={JDZ}")
    typical: dict[str, int] = {}
    for s in load_taxonomy("ceramics").scenarios:
        typical[s.link] = typical.get(s.link, 0) + int(s.typical)
    bars = figure_json(page, "fig-coverage-links")["data"]
    names = {c.name.zh: c.code for c in load_taxonomy("ceramics").chain_links}
    assert {names[y]: x for y, x in zip(bars[0]["y"], bars[0]["x"], strict=True)} == typical
    assert all(p <= t for p, t in zip(bars[1]["x"], bars[0]["x"], strict=True))
    # no start in the pilot file: the first recorded project's start + the file's 24 months
    first = session.scalar(select(func.min(PilotProject.started_on)).where(PilotProject.cluster_id == jdz_id(session)))
    assert first is not None
    months = load_targets(JDZ).period.months
    assert months == 24
    due = (pd.Timestamp(first) + pd.DateOffset(months=months)).date()
    deadline = re.search(r'data-testid="deadline">(.*?)</p>', page, re.S)
    assert deadline and due.isoformat() in deadline.group(1) and "第一个登记的试点项目开始日期" in deadline.group(1)
    over_time = figure_json(page, "fig-coverage")
    assert [s["x0"] for s in over_time["layout"]["shapes"] if s.get("line", {}).get("dash") == "dot"] == [
        due.isoformat()]
    assert over_time["layout"]["xaxis"]["range"][1] > due.isoformat()  # the axis reaches past the deadline


def test_directory_filters_sort_and_export(world: tuple[Flask, Session]) -> None:
    session = world[1]
    web = browser(world, "admin")
    cid = jdz_id(session)
    small = session.scalar(select(func.count()).select_from(Enterprise).where(
        Enterprise.cluster_id == cid, Enterprise.size_class == "small"))
    html = web.html(f"/dashboard/enterprises?cluster={JDZ}&size=small&sort=-total")
    assert f"符合条件 {small} 家" in html
    export = web.get(f"/dashboard/enterprises/export.xlsx?cluster={JDZ}&size=small&sort=-total")
    frame = pd.read_excel(io.BytesIO(export.data), engine="openpyxl")
    assert len(frame) == small and set(frame["企业规模"]) == {"小型"}
    assert list(frame.columns[:3]) == ["企业名称", "统一社会信用代码", "产业集群"]
    scores = pd.to_numeric(frame["总分"], errors="coerce").dropna().tolist()
    assert scores == sorted(scores, reverse=True)
    csv = pd.read_csv(io.BytesIO(web.get(f"/dashboard/enterprises/export.csv?cluster={JDZ}&verified=yes").data),
                      encoding="utf-8-sig")
    assert set(csv["是否现场核验"]) == {"是"}


def test_answers_export_one_row_per_enterprise_with_codes_and_labels(world: tuple[Flask, Session]) -> None:
    session = world[1]
    cid = jdz_id(session)
    web = browser(world, "viewer")
    data = web.get(f"/dashboard/{JDZ}/answers.xlsx").data
    answers = pd.read_excel(io.BytesIO(data), engine="openpyxl", sheet_name="答案")
    codebook = pd.read_excel(io.BytesIO(data), engine="openpyxl", sheet_name="编码表")
    firms = session.scalar(select(func.count(func.distinct(Submission.enterprise_id))).join(
        Enterprise, Enterprise.id == Submission.enterprise_id).join(
        QuestionnaireVersion, QuestionnaireVersion.id == Submission.questionnaire_version_id).where(
        Enterprise.cluster_id == cid, QuestionnaireVersion.code == "sme-digital-2024-mfg",
        Submission.status.in_(("submitted", "verified"))))
    assert len(answers) == firms and answers["统一社会信用代码"].is_unique
    labelled = [c for c in answers.columns if c.endswith("_标签")]
    assert labelled and set(codebook["变量"]) >= {c.removesuffix("_标签") for c in labelled}


def test_participant_list_in_the_pilot_format(world: tuple[Flask, Session]) -> None:
    session = world[1]
    data = browser(world, "admin").get(f"/dashboard/{JDZ}/participants.xlsx").data
    frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    assert list(frame.columns) == ["序号", "企业名称", "统一社会信用代码", "制造业数字化水平等级", "拟改造场景",
                                   "是否上市"]
    snap = cluster_data.latest_snapshot(session, jdz_id(session), "shortlist")
    assert snap is not None and len(frame) == len(snap.payload["picks"])


def _new_submitted_enterprise(session: Session) -> Enterprise:
    """A firm that submits after the last run: no portrait in the snapshot, no workbook written."""
    cid = jdz_id(session)
    template = session.scalars(select(Submission).join(Enterprise).where(
        Enterprise.cluster_id == cid, Submission.status == "submitted").order_by(Submission.id)).first()
    assert template is not None
    source = session.get(Enterprise, template.enterprise_id)
    assert source is not None
    firm = Enterprise(uscc=make_uscc(f"91360200NEW{next(_serial):06d}"), name="新提交测试瓷厂", cluster_id=cid,
                      industry_code=source.industry_code, region=source.region, size_class=source.size_class,
                      chain_links=list(source.chain_links), tags=[], pilot_willing=True)
    session.add(firm)
    session.flush()
    sub = Submission(enterprise_id=firm.id, questionnaire_version_id=template.questionnaire_version_id,
                     status="submitted", answers=dict(template.answers), submitted_at=utcnow(), revision=1)
    session.add(sub)
    session.flush()
    assert score_one(session, sub) is not None
    session.commit()
    return firm


def test_workbook_built_on_demand_and_each_role_downloads_its_own(world: tuple[Flask, Session]) -> None:
    session = world[1]
    firm = _new_submitted_enterprise(session)
    owner = browser(world, "enterprise", enterprise=firm)
    response = owner.get(f"/enterprises/{firm.id}/workbook.xlsx")
    assert response.status_code == 200 and (response.mimetype or "").endswith("spreadsheetml.sheet")
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[0] == "封面 Cover"
    portrait = owner.html(f"/dashboard/enterprises/{firm.id}")
    assert "即时计算" in portrait and "集群内百分位" in portrait
    other = session.scalars(select(Enterprise.id).where(Enterprise.id != firm.id)).first()
    assert owner.get(f"/enterprises/{other}/workbook.xlsx").status_code == 404  # not theirs: as missing
    commissioner = browser(world, "commissioner")
    assert commissioner.get(f"/enterprises/{firm.id}/workbook.xlsx").status_code == 404  # not assigned: as missing
    newest = session.scalars(select(User).order_by(User.id.desc())).first()
    assert newest is not None
    People(session).assign(newest, firm)
    assert commissioner.get(f"/enterprises/{firm.id}/workbook.xlsx").status_code == 200
    fresh = People(session).enterprise(name="尚未诊断测试厂")
    fresh.cluster_id = jdz_id(session)
    session.commit()
    page = browser(world, "admin").get(f"/dashboard/enterprises/{fresh.id}/workbook.xlsx")
    assert page.status_code == 200 and "还没有可用的诊断结果" in page.get_data(as_text=True)  # never a bare 404


def test_zip_of_a_filtered_selection(world: tuple[Flask, Session]) -> None:
    web = browser(world, "admin")
    html = web.html(f"/dashboard/enterprises?cluster={JDZ}&level=2")
    found = re.search(r"符合条件 (\d+) 家", html)
    assert found
    matched = int(found.group(1))
    archive = zipfile.ZipFile(io.BytesIO(web.get(f"/dashboard/workbooks.zip?cluster={JDZ}&level=2").data))
    assert len(archive.namelist()) == matched and all(n.endswith(".xlsx") for n in archive.namelist())


def test_pin_and_exclude_are_audited_and_rerun_the_shortlist(world: tuple[Flask, Session]) -> None:
    session = world[1]
    cid = jdz_id(session)
    admin = browser(world, "admin")
    admin.html(f"/dashboard/shortlist?cluster={JDZ}")
    firm = session.scalars(select(Enterprise).where(Enterprise.cluster_id == cid, Enterprise.pilot_willing.is_(False))
                           .order_by(Enterprise.id)).first()
    assert firm is not None
    refused = admin.post(f"/dashboard/{JDZ}/shortlist/pins", {"enterprise_id": firm.id, "kind": "pinned", "reason": ""})
    assert refused.status_code == 302 and session.scalar(select(func.count()).select_from(ShortlistPin)) == 0
    ok = admin.post(f"/dashboard/{JDZ}/shortlist/pins", {"enterprise_id": firm.id, "kind": "pinned",
                                                       "reason": "市级示范企业"})
    assert ok.status_code == 302
    assert session.scalar(select(AuditLog.action).where(AuditLog.action == "shortlist_pinned")) == "shortlist_pinned"
    session.expire_all()
    snap = cluster_data.latest_snapshot(session, cid, "shortlist")
    assert snap is not None and snap.payload["pinned"] == [{"enterprise_id": firm.id, "reason": "市级示范企业"}]
    if snap.payload.get("picks"):  # the demo's quotas may be infeasible: then there are no picks at all
        pick = next(p for p in snap.payload["picks"] if p["enterprise_id"] == firm.id)
        assert "由主管部门确定入选：市级示范企业" in pick["reasons_zh"]
    page = admin.html(f"/dashboard/shortlist?cluster={JDZ}")
    assert "市级示范企业" in page
    viewer = browser(world, "viewer")
    release = {"enterprise_id": firm.id, "kind": "release"}
    assert viewer.post(f"/dashboard/{JDZ}/shortlist/pins", release).status_code == 403
    admin.post(f"/dashboard/{JDZ}/shortlist/pins", {"enterprise_id": firm.id, "kind": "release"})
    assert session.scalar(select(func.count()).select_from(ShortlistPin).where(ShortlistPin.active.is_(True))) == 0


def _wait(session: Session, request_id: int, states: set[str]) -> str:
    for _ in range(200):
        session.expire_all()
        row = session.get(RunRequest, request_id)
        state = row.state if row else "missing"
        if state in states:
            return state
        time.sleep(0.05)
    raise AssertionError(f"run request {request_id} stayed {state}")


def test_run_now_states_queued_running_done_and_failed(world: tuple[Flask, Session],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    session = world[1]
    gate = threading.Event()
    calls: list[Any] = []

    def fake_pipeline(cluster: str | None = None) -> dict[str, Any]:
        calls.append(cluster)
        assert gate.wait(10)
        if len(calls) == 2:
            raise RuntimeError("kiln database unreachable")
        return {"timings": {"score": 0.1}, "clusters": {JDZ: {"run_id": 1}}}

    monkeypatch.setattr(flows.trigger, "run_pipeline", fake_pipeline)
    monkeypatch.setattr(settings, "prefect_api_url", None)
    admin = browser(world, "admin")
    assert admin.get("/dashboard/run/state").get_json()["state"] in (None, "done", "failed")
    admin.html("/dashboard/")
    assert admin.post("/dashboard/run", {"cluster": JDZ}).status_code == 302
    rid = int(session.scalar(select(func.max(RunRequest.id))) or 0)
    assert _wait(session, rid, {"running"}) == "running"
    state = admin.get("/dashboard/run/state").get_json()
    assert state["state"] == "running" and state["label"] == "运行中"
    admin.html("/dashboard/")
    admin.post("/dashboard/run", {"cluster": JDZ})  # a second press while running starts nothing new
    assert session.scalar(select(func.max(RunRequest.id))) == rid and len(calls) == 1
    gate.set()
    assert _wait(session, rid, {"done", "failed"}) == "done"
    assert admin.get("/dashboard/run/state").get_json()["label"] == "已完成"
    gate.clear()
    admin.html("/dashboard/")
    admin.post("/dashboard/run", {"cluster": JDZ})
    second = int(session.scalar(select(func.max(RunRequest.id))) or 0)
    assert second != rid
    gate.set()
    assert _wait(session, second, {"done", "failed"}) == "failed"
    state = admin.get("/dashboard/run/state").get_json()
    assert state["label"] == "失败" and "kiln database unreachable" in state["message"]
    queued = RunRequest(state="queued", runner="embedded", requested_at=utcnow(), stats={})
    session.add(queued)
    session.commit()
    assert admin.get("/dashboard/run/state").get_json()["state"] == "queued"
    queued.requested_at = utcnow().replace(year=2000)
    session.commit()
    assert admin.get("/dashboard/run/state").get_json()["state"] == "failed"  # a request whose process died


def test_data_changed_since_the_last_run_notice(world: tuple[Flask, Session]) -> None:
    session = world[1]
    admin = browser(world, "admin")
    before = admin.html(f"/dashboard/?cluster={JDZ}")
    sub = session.scalars(select(Submission).join(Enterprise).where(
        Enterprise.cluster_id == jdz_id(session), Submission.status == "submitted")).first()
    assert sub is not None
    sub.notes = "checked"
    sub.updated_at = utcnow()
    session.commit()
    after = admin.html(f"/dashboard/?cluster={JDZ}")
    assert 'data-testid="stale"' in after
    assert before.count('data-testid="stale"') <= after.count('data-testid="stale"')
