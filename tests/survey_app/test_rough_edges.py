"""The rough edges every role met (issue 9): dates, labels, rounding, gates, pre-fill, required, names."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.store.models import Assessment, Submission, User
from tests.survey_app.survey_helpers import (
    FULL_ANSWERS,
    People,
    Web,
    fill_all,
    form_value,
    save_page,
    start_survey,
    submit,
)


def _owner(app: Flask, people: People) -> tuple[Web, int]:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    web.login("owner")
    return web, enterprise.id


def _submitted(web: Web, enterprise_id: int, pages: list[dict] | None = None) -> str:
    sid = start_survey(web, enterprise_id)
    fill_all(web, sid, pages)
    return web.get(submit(web, sid).headers["Location"], follow_redirects=True).get_data(as_text=True)


def test_history_and_t0_t1_show_the_answering_date(app: Flask, people: People, session: Session) -> None:
    web, eid = _owner(app, people)
    _submitted(web, eid)
    first = session.scalars(select(Submission).where(Submission.enterprise_id == eid)).one()
    first.submitted_at = datetime(2025, 4, 10, 9, 0)
    session.commit()
    html = _submitted(web, eid, [{**FULL_ANSWERS[0], "info_sys": "D"}, {"quality": "better"},
                                 {"s_design": "3", "s_production": "3"}])
    first_scored = session.scalars(select(Assessment).order_by(Assessment.id)).first()
    assert first_scored is not None
    scored_on = first_scored.created_at.strftime("%Y-%m-%d")
    assert scored_on != "2025-04-10"
    assert "T0：2025-04-10" in html or "T0: 2025-04-10" in html
    assert "作答于" in html and "变化" in html and "修改" not in html
    history = web.html(f"/enterprises/{eid}")
    assert "2025-04-10" in history


def test_the_banner_says_a_gate_holds_the_level_down(app: Flask, people: People) -> None:
    web, eid = _owner(app, people)
    html = _submitted(web, eid, [FULL_ANSWERS[0], {"quality": "same"}, {"s_design": "1", "s_production": "1"}])
    hero = html[html.index('data-testid="level"'):html.index("</section>", html.index('data-testid="level"'))]
    assert re.search(r'id="level-title">\s*一级', hero)  # 45 points: level 2 by score, held at level 1
    assert 'data-testid="gate-hold"' in hero and "二级" in hero and "40" in hero
    assert "初步使用信息工具" not in hero  # not the meaning of the band the score contradicts


def test_reassessment_starts_from_the_last_answers_marked_to_confirm(app: Flask, people: People,
                                                                     session: Session) -> None:
    web, eid = _owner(app, people)
    _submitted(web, eid)
    sid = start_survey(web, eid)
    draft = session.get(Submission, sid)
    assert draft is not None
    session.refresh(draft)
    assert draft.status == "draft" and draft.answers["info_sys"] == "B" and draft.answers["quality"] == "same"
    assert "info_sys" in (draft.carried or [])
    page = web.html(f"/submissions/{sid}/pages/1")
    assert "沿用上次答案，请确认" in page and page.count("data-carried") >= 3
    assert save_page(web, sid, 1, FULL_ANSWERS[0], action="save").status_code == 302
    session.refresh(draft)
    assert "info_sys" not in (draft.carried or []) and "quality" in (draft.carried or [])
    assert "data-carried" not in web.html(f"/submissions/{sid}/pages/1")


def test_next_flags_unanswered_required_questions_and_still_saves(app: Flask, people: People,
                                                                    session: Session) -> None:
    web, eid = _owner(app, people)
    sid = start_survey(web, eid)
    response = save_page(web, sid, 1, {"net": ["A"]}, action="next")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="required-flagged"' in html and "#q-info_sys" in html
    saved = session.get(Submission, sid)
    assert saved is not None and saved.answers.get("net") == ["A"]  # saved all the same
    again = save_page(web, sid, 1, {"net": ["A"], "acknowledged": form_value(html, "acknowledged")},
                      revision=form_value(html, "revision"), action="next")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/submissions/{sid}/pages/2")


def test_display_names_and_favicon(app: Flask, people: People, session: Session) -> None:
    enterprise = people.enterprise()
    commissioner = people.user("wang", role="commissioner")
    commissioner.display_name = "数字专员 王工"
    admin = people.user("boss", role="admin")
    admin.display_name = "工信局 李处"
    session.commit()
    people.assign(commissioner, enterprise)
    web = Web(app.test_client())
    web.login("boss")
    html = web.html("/admin/enterprises")
    assert "数字专员 王工" in html and ">wang<" not in html
    assert 'data-testid="whoami">工信局 李处<' in html
    assert 'rel="icon" href="/static/favicon.svg"' in html
    for name in ("favicon.svg", "favicon.ico"):
        assert web.get(f"/static/{name}").status_code == 200
    assert session.scalar(select(User.display_name).where(User.username == "wang")) == "数字专员 王工"
