"""Bulk assignments, the progress board with gaps and visit priority, and the readable audit trail."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.questionnaire_loader import load_file
from diagnostics.store.models import Assignment, AuditLog, Cluster, utcnow
from diagnostics.taxonomy import load_taxonomy
from tests.field.test_visits import Scene, _check, _confirm_the_rest, _revision
from tests.survey_app.survey_helpers import FIXTURES, People, Web


def test_bulk_assignment_by_filter_and_reassignment(app: Flask, people: People, session: Session) -> None:
    people.user("chief", role="admin")
    zhang = people.user("zhang", role="commissioner")
    li = people.user("li", role="commissioner")
    firms = [people.enterprise(f"企业{i}") for i in range(4)]
    for i, firm in enumerate(firms):
        firm.region = "珠山区" if i < 3 else "昌江区"
        firm.unit_type = "association" if i == 2 else "enterprise"
    session.commit()
    web = Web(app.test_client())
    web.login("chief")
    page = web.html("/admin/assign?region=珠山区&unit_type=enterprise")
    assert "企业0" in page and "企业1" in page and "企业2" not in page and "企业3" not in page
    response = web.post("/admin/assign", {"commissioner_id": str(zhang.id), "all_matching": "1", "region": "珠山区",
                                          "unit_type": "enterprise"})
    assert response.status_code == 302
    pairs = {(a.enterprise_id, a.user_id) for a in session.scalars(select(Assignment))}
    assert pairs == {(firms[0].id, zhang.id), (firms[1].id, zhang.id)}
    web.post("/admin/assign", {"commissioner_id": str(li.id), "enterprise_ids": [str(firms[1].id)], "replace": "1"})
    session.expire_all()
    pairs = {(a.enterprise_id, a.user_id) for a in session.scalars(select(Assignment))}
    assert pairs == {(firms[0].id, zhang.id), (firms[1].id, li.id)}
    moves = [(a.action, a.details.get("old"), a.details.get("new")) for a in session.scalars(
        select(AuditLog).where(AuditLog.entity_id == str(firms[1].id)).order_by(AuditLog.id))]
    assert moves == [("assign", None, zhang.id), ("unassign", zhang.id, li.id), ("assign", None, li.id)]


def test_board_counts_the_field_work_and_ranks_unvisited_firms(app: Flask, people: People, session: Session) -> None:
    cluster = Cluster(code="jdz", name_zh="景德镇陶瓷集群", industry="ceramics")
    session.add(cluster)
    session.commit()
    scene = Scene(app, people)
    c = people.enterprise("丙瓷业有限公司")
    people.user("owner_c", enterprise=c)
    people.assign(scene.zhang, c)
    for firm in (scene.a, scene.b, c):
        firm.cluster_id, firm.chain_links = cluster.id, ["firing"]
    session.commit()
    scene.self_assess(scene.owner_a, scene.a)
    scene.self_assess(scene.owner_b, scene.b)
    owner_c = Web(app.test_client())
    owner_c.login("owner_c")
    scene.self_assess(owner_c, c)
    for web, firm in ((scene.field, scene.a), (scene.other_field, scene.b)):  # both overstate info_sys by one step
        vid = scene.open_visit(web, firm)
        assert _check(web, vid, "info_sys", "corrected", "A", reason="现场无信息系统") == 302
        _confirm_the_rest(web, session, vid)
        assert web.post(f"/field/visits/{vid}/sign", {"revision": _revision(web, vid)}).status_code == 302
    session.query(Assignment).filter(Assignment.enterprise_id == c.id).update(
        {"created_at": utcnow() - timedelta(days=30)})
    session.commit()

    people.user("chief", role="admin")
    web = Web(app.test_client())
    web.login("chief")
    page = web.html("/field/board?cluster=jdz")
    assert 'data-stage="registered">3<' in page and 'data-stage="verified">2<' in page
    assert "丙瓷业有限公司" in page.split('id="late"')[1].split("</section>")[0]
    gaps = page.split('id="gaps"')[1].split("</section>")[0]
    assert "已核实 2 家，其中 2 家自评偏高；总分平均差 -10.0 分" in gaps
    assert "甲瓷业有限公司" in gaps and "(-10.0)" in gaps  # per firm: self 45 → verified 35
    # names, never codes: the chain link of the by-link table and the indicator overstated most
    firing = next(c.name.zh for c in load_taxonomy("ceramics").chain_links if c.code == "firing")
    by_link = page.split('id="by-link"')[1].split("</section>")[0]
    assert f"<th>{firing}</th>" in by_link and ">firing<" not in by_link
    definition = load_file(FIXTURES / "questionnaires" / "mini.yaml").definition
    info_sys = next(i for i in definition.indicators() if any(q.id == "info_sys" for q in i.questions))
    assert f"<li>{info_sys.title.zh}: -10.0</li>" in gaps
    priority = page.split('id="priority"')[1]
    assert f'data-enterprise="{c.id}"' in priority and "高估 10.0 分" in priority
    mine = scene.field.html("/field/")
    assert "走访优先级 1" in mine and "高估 10.0 分" in mine


def test_audit_trail_filters_exports_inert_text_and_the_firm_sees_its_own(app: Flask, people: People,
                                                                          session: Session) -> None:
    scene = Scene(app, people)
    scene.a.name = "=HYPERLINK(\"http://x\")甲"
    session.commit()
    scene.self_assess(scene.owner_a, scene.a)
    vid = scene.open_visit(scene.field, scene.a)
    assert _check(scene.field, vid, "info_sys", "corrected", "C", reason="+现场核实") == 302
    scene.self_assess(scene.owner_b, scene.b)
    people.user("chief", role="admin")
    web = Web(app.test_client())
    web.login("chief")
    page = web.html(f"/admin/audit?enterprise={scene.a.id}&action=answer_corrected")
    assert "更正答案" in page and "info_sys: B → C" in page and "+现场核实" in page
    assert page.count('data-action="') == 1
    everything = web.html(f"/admin/audit?user={scene.zhang.id}")
    assert 'data-action="visit_open"' in everything and 'data-action="submit"' not in everything
    export = web.get(f"/admin/audit.xlsx?enterprise={scene.a.id}")
    assert export.status_code == 200 and export.headers["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value]
    assert any(c.value == "+现场核实" and c.data_type == "s" for c in cells)
    assert any(str(c.value).startswith("=HYPERLINK") and c.data_type == "s" for c in cells)  # text, not a formula
    own = scene.owner_a.html(f"/enterprises/{scene.a.id}/history")
    assert "更正答案" in own and "乙瓷业" not in own
    assert scene.owner_b.get(f"/enterprises/{scene.a.id}/history").status_code == 404  # not theirs: as missing
    assert scene.field.get("/admin/audit").status_code == 403
