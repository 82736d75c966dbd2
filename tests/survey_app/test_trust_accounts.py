"""Roles and scope of account administration: no escalation, no reach outside one's cluster."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.roles import Role, grantable_roles, may_manage_role
from diagnostics.store.models import Cluster, User
from tests.survey_app.survey_helpers import PASSWORD, People, Web


@pytest.fixture
def clusters(session: Session) -> tuple[Cluster, Cluster]:
    jdz = Cluster(code="jdz", name_zh="景德镇陶瓷", industry="ceramics")
    sg = Cluster(code="sg", name_zh="韶关有色", industry="nonferrous")
    session.add_all([jdz, sg])
    session.commit()
    return jdz, sg


def _user(people: People, session: Session, name: str, role: str, cluster: Cluster | None = None) -> User:
    user = people.user(name, role=role)
    user.cluster_id = cluster.id if cluster else None
    session.commit()
    return user


def _logged_in(app: Flask, name: str) -> Web:
    web = Web(app.test_client())
    assert web.login(name).status_code == 302
    return web


def test_the_role_table_never_grants_above_ones_own_rank() -> None:
    assert Role.ADMIN in grantable_roles("admin")
    assert grantable_roles("viewer") == () and grantable_roles("commissioner") == ()
    assert Role.ENTERPRISE not in grantable_roles("admin")  # enterprises register themselves
    assert not may_manage_role("viewer", "commissioner") and may_manage_role("admin", "admin")


def test_a_city_admin_cannot_create_a_province_wide_admin(app: Flask, people: People, session: Session,
                                                          clusters: tuple[Cluster, Cluster]) -> None:
    jdz, sg = clusters
    _user(people, session, "city", "admin", jdz)
    web = _logged_in(app, "city")
    page = web.html("/admin/users")
    assert "全省（所有集群）" not in page and "韶关有色" not in page
    for cluster in ("", str(sg.id)):  # province-wide, or another city's cluster: both refused
        response = web.post("/admin/users", {"username": f"evil{cluster}", "role": "admin", "cluster": cluster,
                                             "password": "strong-pass-99"})
        assert response.status_code == 400
    assert session.scalar(select(User).where(User.username.like("evil%"))) is None
    response = web.post("/admin/users", {"username": "helper", "role": "commissioner", "password": "strong-pass-99"})
    assert response.status_code == 302
    helper = session.scalar(select(User).where(User.username == "helper"))
    assert helper is not None and helper.cluster_id == jdz.id  # a city admin's accounts are its cluster's


def test_a_city_admin_sees_and_edits_only_its_clusters_staff(app: Flask, people: People, session: Session,
                                                             clusters: tuple[Cluster, Cluster]) -> None:
    jdz, sg = clusters
    _user(people, session, "city", "admin", jdz)
    mine = _user(people, session, "jdz_viewer", "viewer", jdz)
    theirs = _user(people, session, "sg_viewer", "viewer", sg)
    province = _user(people, session, "prov_admin", "admin")
    web = _logged_in(app, "city")
    page = web.html("/admin/users")
    assert "jdz_viewer" in page and "sg_viewer" not in page and "prov_admin" not in page
    assert web.get(f"/admin/users/{mine.id}").status_code == 200
    for other in (theirs, province):
        assert web.get(f"/admin/users/{other.id}").status_code == 404  # the same as a missing id
        response = web.post(f"/admin/users/{other.id}/password", {"password": "taken-over-1",
                                                                  "password_again": "taken-over-1"})
        assert response.status_code == 404
    assert web.get("/admin/users/999999").status_code == 404
    assert web.get(f"/admin/users/{2**63}").status_code == 404


def test_an_admin_disables_an_account_and_its_session_ends(app: Flask, people: People, session: Session) -> None:
    _user(people, session, "chief", "admin")
    target = _user(people, session, "zhang", "commissioner")
    theirs = _logged_in(app, "zhang")
    assert theirs.get("/field/").status_code == 200
    web = _logged_in(app, "chief")
    web.get(f"/admin/users/{target.id}")
    response = web.post(f"/admin/users/{target.id}", {"display_name": "张", "role": "commissioner", "cluster": ""})
    assert response.status_code == 302
    session.refresh(target)
    assert target.active is False and target.display_name == "张"
    assert theirs.get("/field/").status_code == 302
    assert Web(app.test_client()).login("zhang").status_code == 401


def test_an_admin_resets_a_forgotten_password(app: Flask, people: People, session: Session) -> None:
    _user(people, session, "chief", "admin")
    owner = people.user("owner", enterprise=people.enterprise())
    before = _logged_in(app, "owner")
    web = _logged_in(app, "chief")
    assert "owner" in web.html("/admin/users?q=own")
    web.get(f"/admin/users/{owner.id}")
    weak = web.post(f"/admin/users/{owner.id}/password", {"password": "owner123456", "password_again": "owner123456"})
    assert weak.status_code == 400 and "不能包含用户名" in weak.get_data(as_text=True)
    response = web.post(f"/admin/users/{owner.id}/password", {"password": "fresh-start-7",
                                                              "password_again": "fresh-start-7"})
    assert response.status_code == 302
    assert before.get(f"/enterprises/{owner.enterprise_id}").status_code == 302  # old session ended
    assert Web(app.test_client()).login("owner", PASSWORD).status_code == 401
    assert Web(app.test_client()).login("owner", "fresh-start-7").status_code == 302


def test_an_admin_cannot_demote_or_disable_itself(app: Flask, people: People, session: Session) -> None:
    chief = _user(people, session, "chief", "admin")
    web = _logged_in(app, "chief")
    web.get(f"/admin/users/{chief.id}")
    response = web.post(f"/admin/users/{chief.id}", {"role": "viewer", "cluster": "", "active": "y"})
    assert response.status_code == 400
    session.refresh(chief)
    assert chief.role == "admin" and chief.active


def test_viewers_and_commissioners_cannot_manage_accounts(app: Flask, people: People, session: Session) -> None:
    target = _user(people, session, "zhang", "commissioner")
    _user(people, session, "reader", "viewer")
    web = _logged_in(app, "reader")
    assert web.get("/admin/users").status_code == 403
    assert web.get(f"/admin/users/{target.id}").status_code == 403
