"""懂行人 on site visits: the visit's commissioner adds people of the visited firm's cluster, never of
another; the visit and the person's record both show the link; a signed visit no longer changes."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.store.models import AuditLog, Cluster
from diagnostics.store.models_field import Visit
from diagnostics.store.models_programme import Expert, VisitExpert
from tests.field.test_visits import Scene
from tests.programme import builders as b
from tests.survey_app.survey_helpers import People, Web


def _setup(app: Flask, people: People, session: Session) -> tuple[Scene, Cluster, Expert, Expert]:
    scene = Scene(app, people)
    home, other = b.cluster(session, "home"), b.cluster(session, "other")
    scene.a.cluster_id, scene.b.cluster_id = home.id, other.id
    wang = Expert(cluster_id=home.id, name="王师傅", organisation="陶瓷行业协会", years=30)
    li = Expert(cluster_id=other.id, name="李工", organisation="有色金属协会", years=20)
    session.add_all([wang, li])
    session.commit()
    return scene, home, wang, li


def _action(page: str, button: str) -> str:
    """The action of the form in the visit's 懂行人 card whose button reads ``button``."""
    card = page[page.index('id="experts"'):]
    card = card[:card.index("</section>")]
    found = [m for m in re.finditer(r'<form method="post" action="([^"]+)"(?:(?!</form>).)*</form>', card, re.S)
             if f">{button}</button>" in m.group(0)]
    assert len(found) == 1, button
    return found[0].group(1)


def _links(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(VisitExpert)) or 0


def test_a_person_of_the_firms_cluster_joins_the_visit_and_shows_on_both_records(
        app: Flask, people: People, session: Session) -> None:
    scene, home, wang, li = _setup(app, people, session)
    vid = scene.open_visit(scene.field, scene.a)
    page = scene.field.html(f"/field/visits/{vid}")
    assert "参与走访的懂行人" in page and "王师傅" in page and "李工" not in page  # only the home cluster's

    add = _action(page, "加入")  # post where the page's own form posts
    assert scene.field.post(add, {"expert_id": wang.id}).status_code == 302
    page = scene.field.html(f"/field/visits/{vid}")
    remove = _action(page, "移除")
    assert "已加入懂行人：王师傅" in page and "从业30年" in page
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity == "visit",
                                                        AuditLog.entity_id == str(vid)).order_by(AuditLog.id.desc())
                          ) == "visit_expert_add"

    people.user("city_admin", role="admin").cluster_id = home.id
    session.commit()
    official = Web(app.test_client())
    official.login("city_admin")
    record = official.html(f"/programme/experts/{wang.id}")
    assert "参与的现场走访（1）" in record and "甲瓷业有限公司" in record and "走访进行中" in record
    assert official.get(f"/programme/experts/{li.id}").status_code == 404  # another cluster's person: not there

    assert scene.field.post(remove, {"expert_id": wang.id}).status_code == 302
    assert _links(session) == 0 and "尚未记录参与走访的懂行人" in scene.field.html(f"/field/visits/{vid}")


def test_nobody_attaches_another_clusters_person_or_to_another_commissioners_visit(
        app: Flask, people: People, session: Session) -> None:
    scene, _, wang, li = _setup(app, people, session)
    vid = scene.open_visit(scene.field, scene.a)
    assert scene.field.post(f"/field/visits/{vid}/experts", {"expert_id": li.id}).status_code == 404
    assert scene.field.post(f"/field/visits/{vid}/experts", {"expert_id": 2**40}).status_code == 404
    assert scene.other_field.post(f"/field/visits/{vid}/experts", {"expert_id": wang.id}).status_code == 404
    assert scene.field.post(f"/field/visits/{vid}/experts", {"expert_id": wang.id}, csrf=False).status_code == 400
    assert _links(session) == 0

    visit = session.get(Visit, vid)
    assert visit is not None
    visit.status = "signed"
    session.commit()
    refused = scene.field.post(f"/field/visits/{vid}/experts", {"expert_id": wang.id})
    assert refused.status_code == 302
    assert "已签字确认，不能再修改参与的懂行人" in scene.field.html(refused.headers["Location"])
    assert _links(session) == 0
