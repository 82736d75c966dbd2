"""Who sees what: user A gets 404 (as for a missing row) on every URL of enterprise B; staff see what their
role allows.

The URL list is read from the app's own URL map, so a view added later is checked too: every rule that
names an enterprise, a submission or an assessment is requested with B's ids, by every method it
accepts, and must refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from diagnostics.store.models import Assessment, Assignment, Cluster, Enterprise, Submission
from tests.survey_app.survey_helpers import People, Web, fill_all, start_survey, submit

OWNED_ARGS = {"enterprise_id", "submission_id", "assessment_id"}


@dataclass
class World:
    a: Enterprise
    b: Enterprise
    b_draft: int
    b_submitted: int
    b_assessment: int
    b_assignment: int


@pytest.fixture
def world(app: Flask, people: People, session: Session) -> World:
    """Enterprise B with a draft, a submitted questionnaire and its diagnosis; A with nothing."""
    a, b = people.enterprise("甲公司"), people.enterprise("乙公司")
    people.user("user_a", enterprise=a)
    people.user("user_b", enterprise=b)
    web_b = Web(app.test_client())
    web_b.login("user_b")
    first = start_survey(web_b, b.id)
    fill_all(web_b, first)
    submit(web_b, first)
    draft = start_survey(web_b, b.id)
    assessment = session.query(Assessment).filter_by(submission_id=first).one()
    commissioner = people.user("someone_elses_commissioner", role="commissioner")
    session.add(Assignment(user_id=commissioner.id, enterprise_id=b.id))
    session.commit()
    assignment = session.query(Assignment).filter_by(enterprise_id=b.id).one()
    return World(a, b, draft, first, assessment.id, assignment.id)


def urls_naming_an_owned_row(app: Flask, w: World) -> list[tuple[str, str]]:
    """(method, path) for every rule with an enterprise, submission or assessment id, filled with B's."""
    out = []
    for rule in app.url_map.iter_rules():
        if not OWNED_ARGS & set(rule.arguments):
            continue
        for sub_id in (w.b_draft, w.b_submitted) if "submission_id" in rule.arguments else (None,):
            values = {"enterprise_id": w.b.id, "submission_id": sub_id, "assessment_id": w.b_assessment,
                      "code": "mini-survey", "page": 1, "assignment_id": w.b_assignment}
            built = rule.build({k: v for k, v in values.items() if k in rule.arguments})
            assert built is not None and rule.methods is not None
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((method, built[1]))
    return out


@pytest.mark.parametrize("role", ["enterprise", "commissioner"])
def test_every_url_of_enterprise_b_refuses_someone_without_access(app: Flask, world: World, people: People,
                                                                  session: Session, role: str) -> None:
    if role == "enterprise":
        username = "user_a"
    else:
        username = "unassigned_commissioner"
        people.user(username, role="commissioner")
    web = Web(app.test_client())
    web.login(username)
    urls = urls_naming_an_owned_row(app, world)
    assert len(urls) >= 18  # the survey, review, diagnosis, field and admin views are all in the map
    before = {s.id: (s.status, s.revision, dict(s.answers)) for s in session.query(Submission)}
    for method, path in urls:
        response = web.get(path) if method == "GET" else web.post(path, {"revision": "1", "note": "x"})
        assert response.status_code in (403, 404), (method, path, response.status_code)
    session.expire_all()
    assert {s.id: (s.status, s.revision, dict(s.answers)) for s in session.query(Submission)} == before


def test_the_owner_reaches_the_same_pages(app: Flask, world: World) -> None:
    web = Web(app.test_client())
    web.login("user_b")
    for path in (f"/enterprises/{world.b.id}", f"/enterprises/{world.b.id}/edit",
                 f"/submissions/{world.b_draft}/pages/1", f"/submissions/{world.b_draft}/review",
                 f"/submissions/{world.b_submitted}", f"/assessments/{world.b_assessment}"):
        assert web.get(path).status_code == 200, path
    assert web.get(f"/admin/enterprises/{world.b.id}/assignments").status_code == 403  # not an official


def test_missing_rows_are_404(app: Flask, world: World) -> None:
    web = Web(app.test_client())
    web.login("user_b")
    for path in ("/enterprises/999999", "/submissions/999999/pages/1", "/assessments/999999",
                 "/submissions/999999/diagnosis"):
        assert web.get(path).status_code == 404, path


def test_assigned_commissioner_sees_but_does_not_manage(app: Flask, world: World) -> None:
    web = Web(app.test_client())
    web.login("someone_elses_commissioner")
    assert "乙公司" in web.html("/field/")
    assert web.get(f"/assessments/{world.b_assessment}").status_code == 200
    assert web.get(f"/submissions/{world.b_submitted}").status_code == 200
    assert web.get(f"/enterprises/{world.b.id}/edit").status_code == 403
    assert web.get(f"/enterprises/{world.a.id}").status_code == 404


def test_viewer_reads_everything_and_changes_nothing(app: Flask, world: World, people: People) -> None:
    people.user("expert", role="viewer")
    web = Web(app.test_client())
    web.login("expert")
    assert "乙公司" in web.html("/admin/enterprises")
    assert web.get(f"/assessments/{world.b_assessment}").status_code == 200
    assert web.get(f"/enterprises/{world.b.id}/edit").status_code == 403
    assert web.get(f"/submissions/{world.b_draft}/pages/1").status_code == 403
    assert web.post(f"/submissions/{world.b_submitted}/verify").status_code == 403
    assert web.get("/admin/users").status_code == 403


@pytest.mark.parametrize("role", ["enterprise", "commissioner", "admin", "viewer"])
def test_every_navigation_link_opens_for_the_role_it_is_shown_to(app: Flask, people: People, role: str) -> None:
    """The top bar and the pages read one role table: no role is shown a link that answers it 403."""
    enterprise = people.enterprise()
    people.user("someone", role=role, enterprise=enterprise if role == "enterprise" else None)
    web = Web(app.test_client())
    web.login("someone")
    home = web.get("/", follow_redirects=True)
    assert home.status_code == 200
    nav = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', home.get_data(as_text=True), re.S)
    assert nav is not None
    links = re.findall(r'href="([^"]+)"', nav.group(1))
    assert links, f"{role} sees no navigation at all"
    for href in links:
        assert web.get(href).status_code == 200, f"{role} is shown {href} but may not open it"
    shown_dashboard = "/dashboard/" in links
    assert shown_dashboard == (role in ("admin", "viewer"))


def test_city_officials_see_only_their_cluster(app: Flask, people: People, session: Session) -> None:
    jdz = Cluster(code="jdz", name_zh="景德镇陶瓷", industry="ceramics")
    sg = Cluster(code="sg", name_zh="韶关有色", industry="nonferrous")
    session.add_all([jdz, sg])
    session.commit()
    mine, theirs = people.enterprise("景德镇甲瓷业"), people.enterprise("韶关乙冶炼")
    mine.cluster_id, theirs.cluster_id = jdz.id, sg.id
    city = people.user("jdz_official", role="viewer")
    city.cluster_id = jdz.id
    people.user("province_admin", role="admin")
    session.commit()
    web = Web(app.test_client())
    web.login("jdz_official")
    assert web.get(f"/enterprises/{mine.id}").status_code == 200
    assert web.get(f"/enterprises/{theirs.id}").status_code == 404
    listing = web.html("/admin/enterprises")
    assert "景德镇甲瓷业" in listing and "韶关乙冶炼" not in listing
    province = Web(app.test_client())
    province.login("province_admin")
    assert province.get(f"/enterprises/{theirs.id}").status_code == 200
