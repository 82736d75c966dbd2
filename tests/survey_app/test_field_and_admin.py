"""Bureau officials assign commissioners; a commissioner verifies a submitted self-assessment on site."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.store.models import Assessment, Assignment, Submission, User
from tests.survey_app.survey_helpers import People, Web, fill_all, start_survey, submit


def test_admin_creates_a_commissioner_and_assigns_an_enterprise(app: Flask, people: People, session: Session) -> None:
    enterprise = people.enterprise("乙公司")
    people.user("chief", role="admin")
    web = Web(app.test_client())
    web.login("chief")
    assert "乙公司" in web.html("/admin/enterprises?q=乙")
    response = web.post("/admin/users", {"username": "zhang", "display_name": "张专员", "role": "commissioner",
                                         "password": "field-visit-1"})
    assert response.status_code == 302
    zhang = session.scalar(select(User).where(User.username == "zhang"))
    assert zhang is not None and zhang.role == "commissioner" and zhang.password_hash.startswith("scrypt:")
    response = web.post(f"/admin/enterprises/{enterprise.id}/assignments", {"commissioner_id": str(zhang.id)})
    assert response.status_code == 302
    assert session.scalar(select(Assignment).where(Assignment.user_id == zhang.id)) is not None
    assert "张专员" in web.html(f"/admin/enterprises/{enterprise.id}/assignments")

    field = Web(app.test_client())
    field.login("zhang", "field-visit-1")
    assert "乙公司" in field.html("/field/")


def test_commissioner_verifies_a_submitted_questionnaire(app: Flask, people: People, session: Session) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    commissioner = people.user("zhang", role="commissioner")
    people.assign(commissioner, enterprise)
    owner = Web(app.test_client())
    owner.login("owner")
    sid = start_survey(owner, enterprise.id)
    fill_all(owner, sid)

    field = Web(app.test_client())
    field.login("zhang")
    assert "现场核实" not in field.html(f"/submissions/{sid}")  # a draft cannot be verified yet
    submit(owner, sid)
    page = field.html(f"/submissions/{sid}")
    assert "现场核实" in page and "信息系统覆盖情况" in page
    response = field.post(f"/submissions/{sid}/verify", {"note": "已查看ERP系统截图"})
    assert response.status_code == 302
    session.expire_all()
    sub = session.get(Submission, sid)
    assert sub is not None and sub.status == "verified" and sub.channel == "field"
    assert sub.verified_by_id == commissioner.id and "已查看ERP系统截图" in (sub.notes or "")
    trusted = session.scalars(select(Assessment).where(Assessment.submission_id == sid, Assessment.trusted)).all()
    assert len(trusted) == 1

    again = field.post(f"/submissions/{sid}/verify", {"note": "再次"})
    assert again.status_code == 302
    assert "只有已提交的问卷才能核实" in field.get(again.headers["Location"]).get_data(as_text=True)
    assert len(session.scalars(select(Assessment).where(Assessment.submission_id == sid)).all()) == 2

    diagnosis = owner.get(f"/submissions/{sid}/diagnosis", follow_redirects=True).get_data(as_text=True)
    assert "已现场核实" in diagnosis
    assert re.search(r'id="level-title">\s*二级', diagnosis)


def test_removing_an_assignment_takes_the_access_away(app: Flask, people: People, session: Session) -> None:
    enterprise = people.enterprise()
    commissioner = people.user("zhang", role="commissioner")
    people.assign(commissioner, enterprise)
    people.user("chief", role="admin")
    field = Web(app.test_client())
    field.login("zhang")
    assert field.get(f"/enterprises/{enterprise.id}").status_code == 200
    admin = Web(app.test_client())
    admin.login("chief")
    assignment = session.scalar(select(Assignment))
    assert assignment is not None
    response = admin.post(f"/admin/enterprises/{enterprise.id}/assignments/{assignment.id}/remove")
    assert response.status_code == 302
    assert field.get(f"/enterprises/{enterprise.id}").status_code == 404
