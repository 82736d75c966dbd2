"""The access matrix, generated from one table: every page naming an enterprise, a submission or an
assessment, and every area page, × every kind of person (incl. a city admin and a viewer of another
cluster and a commissioner not assigned), with the expected answer written down independently of the
role table the app uses. "ok" is a page or a redirect inside the site; "login" a redirect to log in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from diagnostics.store.models import Assessment, Cluster, User
from tests.survey_app.survey_helpers import People, Web, fill_all, start_survey, submit

PEOPLE = ("anonymous", "owner", "other_enterprise", "commissioner_assigned", "commissioner_unassigned",
          "admin_province", "admin_city", "admin_other_city", "viewer_other_city", "viewer_province")

SEES = {"owner", "commissioner_assigned", "admin_province", "admin_city", "viewer_province"}
ANSWERS = {"owner", "commissioner_assigned"}
MANAGES = {"owner", "admin_province", "admin_city"}
OFFICIALS = {"admin_province", "admin_city", "admin_other_city", "viewer_other_city", "viewer_province"}
ADMINS = {"admin_province", "admin_city", "admin_other_city"}
COMMISSIONERS = {"commissioner_assigned", "commissioner_unassigned"}


def _object_rule(allowed: set[str]) -> dict[str, str]:
    """A page about enterprise E: ok for ``allowed``, 403 for those who see E but may not do this,
    the same 404 as a missing row for everyone who does not see E."""
    return {p: "login" if p == "anonymous" else "ok" if p in allowed else "403" if p in SEES else "404"
            for p in PEOPLE}


def _area_rule(allowed: set[str]) -> dict[str, str]:
    return {p: "login" if p == "anonymous" else "ok" if p in allowed else "403" for p in PEOPLE}


def _assignments_rule() -> dict[str, str]:
    out = _area_rule({"admin_province", "admin_city"})
    out["admin_other_city"] = "404"  # an admin, but E is not in its cluster
    return out


# (method, url template, expected per person); {e} enterprise E, {s} its submitted questionnaire,
# {d} its draft, {a} the assessment
MATRIX: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/enterprises/{e}", _object_rule(SEES)),
    ("GET", "/enterprises/{e}/edit", _object_rule(MANAGES)),
    ("GET", "/submissions/{s}", _object_rule(SEES)),
    ("GET", "/submissions/{s}/diagnosis", _object_rule(SEES)),
    ("GET", "/assessments/{a}", _object_rule(SEES)),
    ("GET", "/submissions/{d}/pages/1", _object_rule(ANSWERS)),
    ("GET", "/submissions/{d}/review", _object_rule(ANSWERS)),
    ("GET", "/submissions/{d}/changes", _object_rule(ANSWERS)),
    ("POST", "/enterprises/{e}/questionnaires/mini-survey/start", _object_rule(ANSWERS)),
    ("GET", "/admin/enterprises/{e}/assignments", _assignments_rule()),
    ("GET", "/admin/enterprises", _area_rule(OFFICIALS)),
    ("GET", "/admin/users", _area_rule(ADMINS)),
    ("GET", "/field/", _area_rule(COMMISSIONERS)),
    ("GET", "/account/password", _area_rule(set(PEOPLE) - {"anonymous"})),
]


@dataclass
class World:
    ids: dict[str, int]
    browsers: dict[str, Web]


@pytest.fixture
def world(app: Flask, people: People, session: Session) -> World:
    jdz = Cluster(code="jdz", name_zh="景德镇陶瓷", industry="ceramics")
    sg = Cluster(code="sg", name_zh="韶关有色", industry="nonferrous")
    session.add_all([jdz, sg])
    session.commit()
    e, other = people.enterprise("甲公司"), people.enterprise("乙公司")
    e.cluster_id, other.cluster_id = jdz.id, sg.id
    session.commit()
    roles = {"owner": ("enterprise", e, None), "other_enterprise": ("enterprise", other, None),
             "commissioner_assigned": ("commissioner", None, None),
             "commissioner_unassigned": ("commissioner", None, None),
             "admin_province": ("admin", None, None), "admin_city": ("admin", None, jdz.id),
             "admin_other_city": ("admin", None, sg.id), "viewer_other_city": ("viewer", None, sg.id),
             "viewer_province": ("viewer", None, None)}
    users: dict[str, User] = {}
    for name, (role, enterprise, cluster) in roles.items():
        users[name] = people.user(name, role=role, enterprise=enterprise)
        users[name].cluster_id = cluster
    session.commit()
    people.assign(users["commissioner_assigned"], e)
    browsers = {"anonymous": Web(app.test_client())}
    for name in roles:
        browsers[name] = Web(app.test_client())
        assert browsers[name].login(name).status_code == 302
    owner = browsers["owner"]
    submitted = start_survey(owner, e.id)
    fill_all(owner, submitted)
    submit(owner, submitted)
    draft = start_survey(owner, e.id)
    assessment = session.query(Assessment).filter_by(submission_id=submitted).one()
    return World({"e": e.id, "s": submitted, "d": draft, "a": assessment.id}, browsers)


def _verdict(status: int, location: str) -> str:
    if status in (301, 302, 303):
        return "login" if "/login" in location else "ok"
    return "ok" if status == 200 else str(status)


def test_the_access_matrix(world: World) -> None:
    wrong = []
    for method, template, expected in MATRIX:
        url = template.format(**world.ids)
        for person in PEOPLE:
            browser = world.browsers[person]
            if browser.token is None:
                browser.get("/login")
            response = (browser.get(url) if method == "GET" else
                        browser.client.post(url, data={"csrf_token": browser.token}))
            got = _verdict(response.status_code, response.headers.get("Location", ""))
            if got != expected[person]:
                wrong.append(f"{method} {template} as {person}: {got}, expected {expected[person]}")
    assert wrong == []
