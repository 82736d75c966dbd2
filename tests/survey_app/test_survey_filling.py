"""Filling the questionnaire: drafts that survive, skip logic, messages in place, conflicts, one submit."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store.models import Assessment, Enterprise, Submission
from survey_app.survey import submission as submission_views
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


@pytest.fixture
def owner(app: Flask, people: People) -> tuple[Web, Enterprise]:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    web.login("owner")
    return web, enterprise


def question_block(html: str, qid: str) -> str:
    """The HTML of one question's block on a page."""
    start = html.index(f'id="q-{qid}"')
    end = html.find('<div class="question', start + 10)
    return html[start: end if end > 0 else len(html)]


def stored(session: Session, submission_id: int) -> Submission:
    session.expire_all()
    row = session.get(Submission, submission_id)
    assert row is not None
    return row


def test_draft_is_saved_on_page_change_and_resumed_on_another_device(owner: tuple[Web, Enterprise], app: Flask,
                                                                     session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    response = save_page(web, sid, 1, {"net": ["A", "C"], "info_sys": "D", "has_erp": "no"}, action="next")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/submissions/{sid}/pages/2")
    assert stored(session, sid).answers == {"net": ["A", "C"], "info_sys": "D", "has_erp": False}

    phone = Web(app.test_client())  # later, from the manager's phone
    phone.login("owner")
    assert start_survey(phone, enterprise.id) == sid  # the same draft, not a new one
    page = phone.html(f"/submissions/{sid}/pages/1")
    assert re.search(r'value="C" checked', question_block(page, "net"))
    assert re.search(r'value="D" checked', question_block(page, "info_sys"))
    assert 'value="no" checked' in question_block(page, "has_erp")
    resume = phone.post(f"/enterprises/{enterprise.id}/questionnaires/mini-survey/start")
    assert resume.headers["Location"].endswith(f"/submissions/{sid}/pages/2")  # first page with a gap


def test_save_on_demand_keeps_the_respondent_on_the_page(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    response = save_page(web, sid, 2, {"quality": "better"}, action="save")
    assert response.headers["Location"].endswith(f"/submissions/{sid}/pages/2")
    assert "已保存" in web.html(response.headers["Location"])
    assert stored(session, sid).answers == {"quality": "better"}


def test_skip_logic_hides_and_drops_follow_up_questions(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    page = web.html(f"/submissions/{sid}/pages/1")
    assert re.search(r'id="q-erp_years"[^>]*hidden', page)  # unanswered parent: follow-up hidden
    save_page(web, sid, 1, {"has_erp": "yes", "erp_years": "4"})
    page = web.html(f"/submissions/{sid}/pages/1")
    assert not re.search(r'id="q-erp_years"[^>]*hidden', page)
    assert stored(session, sid).answers["erp_years"] == 4.0

    save_page(web, sid, 1, {"has_erp": "no", "erp_years": "4"})  # the hidden input still posts its value
    assert "erp_years" not in stored(session, sid).answers
    review = web.html(f"/submissions/{sid}/review")
    assert "ERP已使用几年" not in review  # not asked, so not missing either


def test_autosave_answers_with_the_questions_now_shown(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    revision = form_value(web.html(f"/submissions/{sid}/pages/1"), "revision")
    response = web.post(f"/submissions/{sid}/pages/1/autosave", {"has_erp": "yes", "revision": revision},
                        headers={"X-Requested-With": "fetch"})
    data = response.get_json()
    assert response.status_code == 200 and data["ok"] is True
    assert "erp_years" in data["visible"] and data["revision"] > int(revision)
    response = web.post(f"/submissions/{sid}/pages/1/autosave",
                        {"has_erp": "yes", "erp_years": "x", "revision": data["revision"]})
    assert response.get_json()["errors"] == {"erp_years": "“x”不是数字"}
    assert stored(session, sid).answers == {"has_erp": True}


def test_requests_do_not_define_a_session_class_each(owner: tuple[Web, Enterprise], session: Session) -> None:
    """Each ``sessionmaker`` defines a ``Session`` subclass whose first use sets up event dispatch: made per
    request, that was 8 % of an autosave's CPU (``bench/autosave.py``). Saves still land, one revision each."""
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    revision = int(form_value(web.html(f"/submissions/{sid}/pages/1"), "revision"))
    classes = len(Session.__subclasses__())
    for k in range(10):
        data = web.post(f"/submissions/{sid}/pages/1/autosave",
                        {"info_sys": "CB"[k % 2], "revision": revision}).get_json()
        assert data["ok"] is True and data["revision"] == revision + 1
        revision = data["revision"]
    assert len(Session.__subclasses__()) == classes
    assert stored(session, sid).answers["info_sys"] == "B"


def test_computed_values_are_shown_not_asked(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    page = web.html(f"/submissions/{sid}/pages/1")
    assert re.search(r'id="q-online_rate"[^>]*hidden', page)  # nothing to compute from yet
    assert 'name="online_rate"' not in page
    revision = form_value(page, "revision")
    response = web.post(f"/submissions/{sid}/pages/1/autosave", {"devices": "40", "devices_online": "10",
                                                                 "revision": revision})
    data = response.get_json()
    assert data["computed"] == {"online_rate": "25 %"} and "online_rate" in data["visible"]
    block = question_block(web.html(f"/submissions/{sid}/pages/1"), "online_rate")
    assert "25 %" in block and "hidden" not in block.split(">")[0]
    assert "online_rate" not in stored(session, sid).answers  # derived on demand, never stored as typed


def test_refused_answers_are_explained_in_place_and_the_good_ones_kept(owner: tuple[Web, Enterprise],
                                                                       session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    save_page(web, sid, 1, {"has_erp": "yes", "erp_years": "5"})
    response = save_page(web, sid, 1, {"net": ["A", "N"], "info_sys": "C", "has_erp": "yes", "erp_years": "60",
                                       "devices": "１，２００"}, action="next")
    assert response.status_code == 422  # stays on the page
    html = response.get_data(as_text=True)
    assert "选项 N 不能与其他选项同时选择" in question_block(html, "net")
    assert "不能大于 50" in question_block(html, "erp_years")
    assert 'value="60"' in question_block(html, "erp_years")  # what was typed stays in the box
    assert 'aria-invalid="true"' in question_block(html, "erp_years")
    answers = stored(session, sid).answers
    assert answers["info_sys"] == "C" and answers["devices"] == 1200.0  # full-width digits read as typed
    assert answers["erp_years"] == 5.0  # the last good value is not lost
    assert "net" not in answers


def test_messages_follow_the_language(owner: tuple[Web, Enterprise]) -> None:
    web, enterprise = owner
    web.post("/lang", {"lang": "en"})
    sid = start_survey(web, enterprise.id)
    response = save_page(web, sid, 1, {"has_erp": "yes", "erp_years": "abc"})
    html = response.get_data(as_text=True)
    assert "&#39;abc&#39; is not a number" in question_block(html, "erp_years")
    assert "For how many years?" in html


def test_a_stale_save_does_not_overwrite_and_keeps_what_was_typed(owner: tuple[Web, Enterprise], app: Flask,
                                                                  people: People, session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    commissioner = people.user("tablet", role="commissioner")
    people.assign(commissioner, enterprise)
    tablet = Web(app.test_client())
    tablet.login("tablet")
    revision = form_value(web.html(f"/submissions/{sid}/pages/1"), "revision")
    assert save_page(tablet, sid, 1, {"info_sys": "B"}, revision=revision).status_code == 302  # tablet first

    response = save_page(web, sid, 1, {"info_sys": "D", "net": ["A"]}, revision=revision)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "有其他人保存了这份问卷" in html
    assert 'value="D" checked' in question_block(html, "info_sys")  # the typed answer is still selected
    assert "他人已保存的答案" in question_block(html, "info_sys") and "单一环节" in question_block(html, "info_sys")
    assert stored(session, sid).answers == {"info_sys": "B"}  # nothing overwritten

    fresh = form_value(html, "revision")  # the page now carries the current revision: saving again works
    assert save_page(web, sid, 1, {"info_sys": "D", "net": ["A"]}, revision=fresh).status_code == 302
    assert stored(session, sid).answers == {"info_sys": "D", "net": ["A"]}


def test_a_stale_autosave_reports_a_conflict(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    revision = form_value(web.html(f"/submissions/{sid}/pages/1"), "revision")
    save_page(web, sid, 1, {"info_sys": "B"})
    response = web.post(f"/submissions/{sid}/pages/1/autosave", {"info_sys": "C", "revision": revision})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    assert stored(session, sid).answers == {"info_sys": "B"}


def test_review_lists_unanswered_questions_and_refuses_an_incomplete_submit(owner: tuple[Web, Enterprise],
                                                                            session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    fill_all(web, sid, [FULL_ANSWERS[0], {}, FULL_ANSWERS[2]])
    review = web.html(f"/submissions/{sid}/review")
    assert "还有 1 道题需要作答" in review and f"/submissions/{sid}/pages/2#q-quality" in review
    response = submit(web, sid)
    assert response.status_code == 422
    assert stored(session, sid).status == "draft"


def test_submitting_twice_makes_one_submission_and_one_diagnosis(owner: tuple[Web, Enterprise],
                                                                 session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    fill_all(web, sid)
    html = web.html(f"/submissions/{sid}/review")
    form = {"idempotency_key": form_value(html, "idempotency_key"), "revision": form_value(html, "revision"),
            "commitment": "yes"}
    first = web.post(f"/submissions/{sid}/submit", form)
    retry = web.post(f"/submissions/{sid}/submit", form)  # double click, or a retry after a time-out
    assert first.status_code == retry.status_code == 302
    assert first.headers["Location"] == retry.headers["Location"] == f"/submissions/{sid}/diagnosis"
    again = web.post(f"/submissions/{sid}/submit", {**form, "idempotency_key": "another-key-0123456789"})
    assert again.headers["Location"] == f"/submissions/{sid}/diagnosis"  # an old review tab cannot resubmit
    row = stored(session, sid)
    assert row.status == "submitted" and row.idempotency_key == form["idempotency_key"]
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
    assert session.scalar(select(func.count()).select_from(Assessment)) == 1
    assert web.get(f"/submissions/{sid}/pages/1").status_code == 302  # no more editing


def test_pipeline_is_requested_after_submit_when_configured(owner: tuple[Web, Enterprise],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(submission_views, "request_pipeline_run", lambda reason: calls.append(reason))
    monkeypatch.setattr(settings, "trigger_pipeline_on_submit", True)
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    fill_all(web, sid)
    assert submit(web, sid).status_code == 302
    assert calls == [f"submission {sid} submitted"]


def test_every_input_has_an_accessible_label(owner: tuple[Web, Enterprise]) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    pages = [web.html(f"/submissions/{sid}/pages/{n}") for n in (1, 2, 3)]
    web.post("/logout")
    pages.append(web.html("/register"))
    for html in pages:
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(hidden|submit)"', tag) or "aria-label" in tag:
                continue
            found = re.search(r'id="([^"]+)"', tag)
            assert found and found.group(1) in labelled, tag


def test_page_numbers_outside_the_questionnaire_are_404(owner: tuple[Web, Enterprise]) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    assert web.get(f"/submissions/{sid}/pages/0").status_code == 404
    assert web.get(f"/submissions/{sid}/pages/4").status_code == 404


def test_level_ratings_show_every_description(owner: tuple[Web, Enterprise]) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    block = question_block(web.html(f"/submissions/{sid}/pages/3"), "s_design")
    assert block.count('class="level-card"') == 4
    for text in ("使用电子表格记录", "信息系统规范管理", "系统间数据共享", "模型预测优化"):
        assert text in block
