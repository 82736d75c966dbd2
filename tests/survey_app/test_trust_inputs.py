"""Every bad input answered, never a 500: a corpus of hostile values against every form, the autosave
and the URLs, on each backend; stored data stays what it was (or its cleaned form)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from diagnostics.drafts import questions_on
from diagnostics.questionnaire_loader import load_file, shipped_files
from diagnostics.settings import ROOT
from diagnostics.store.models import Enterprise, Submission
from survey_app import create_app
from survey_app.survey.forms import page_form, posted_answers, posted_revision, raw_answers
from tests.survey_app.survey_helpers import People, Web, form_value, save_page, start_survey

CORPUS: dict[str, str] = {
    "nul": "ab\x00cd",
    "controls": "x\x01\x02\x1b\x7fy",
    "digits400": "9" * 400,
    "huge_float": "1e309",
    "big_number": "1e15",
    "negative": "-5",
    "script": "<script>alert(1)</script>",
    "formula": "=HYPERLINK(\"http://x\",\"y\")",
    "long": "长" * 150_000,
    "bad_utf8_replacement": "\ufffd\ufffd",
    "empty": "",
}


def _no_controls(text: str | None) -> bool:
    return text is None or not any(ord(c) < 32 and c not in "\t\n\r" for c in text)


@pytest.fixture
def owner(app: Flask, people: People) -> tuple[Web, Enterprise]:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    web.login("owner")
    return web, enterprise


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_registration_and_login_never_500(app: Flask, kind: str, session: Session) -> None:
    bad = CORPUS[kind]
    web = Web(app.test_client())
    for field in ("username", "name", "region", "employees", "revenue_10k", "contact_phone", "uscc", "password"):
        data: dict[str, Any] = {"username": "maker", "password": "factory-2024", "password_again": "factory-2024",
                                "name": "某公司", "uscc": "91360200MA35XY120X", "industry_code": "3074",
                                "employees": "10", "revenue_10k": "100"}
        data[field] = bad
        response = web.post("/register", data)
        assert response.status_code < 500, (field, response.status_code)
    assert web.post("/login", {"username": bad, "password": bad}).status_code < 500
    for name in session.scalars(select(Enterprise.name)):
        assert _no_controls(name)


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_profile_edit_and_size_class_never_500(owner: tuple[Web, Enterprise], kind: str, session: Session) -> None:
    web, enterprise = owner
    bad = CORPUS[kind]
    web.get(f"/enterprises/{enterprise.id}/edit")
    for field in ("name", "employees", "revenue_10k", "contact_email", "contact_name"):
        data = {"name": "新名称", "industry_code": "3074", "employees": "10", "revenue_10k": "100", field: bad}
        assert web.post(f"/enterprises/{enterprise.id}/edit", data).status_code < 500, field
    assert web.get(f"/size-class?employees={bad[:2000]}&revenue={bad[:2000]}").status_code < 500
    session.expire_all()
    row = session.get(Enterprise, enterprise.id)
    assert row is not None and _no_controls(row.name) and _no_controls(row.contact_name)
    assert row.employees is None or row.employees < 10**8


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_every_answer_and_the_autosave_never_500_and_keep_what_was_stored(
        owner: tuple[Web, Enterprise], kind: str, session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    good = {"net": ["A"], "info_sys": "B", "has_erp": "yes", "erp_years": "3", "devices": "10", "notes": "ok"}
    assert save_page(web, sid, 1, good).status_code == 302
    session.expire_all()
    stored = dict(session.get(Submission, sid).answers)  # type: ignore[union-attr]
    bad = CORPUS[kind]
    for question in ("net", "info_sys", "has_erp", "erp_years", "devices", "notes"):
        response = save_page(web, sid, 1, {**good, question: bad})
        assert response.status_code < 500, (question, response.status_code)
        html = web.html(f"/submissions/{sid}/pages/1")
        revision = form_value(html, "revision")
        response = web.post(f"/submissions/{sid}/pages/1/autosave", {**good, question: bad, "revision": revision},
                            headers={"X-Requested-With": "fetch", "Accept": "application/json"})
        assert response.status_code < 500 and response.is_json, (question, response.status_code)
        session.expire_all()
        now = session.get(Submission, sid).answers  # type: ignore[union-attr]
        for qid, value in stored.items():
            if qid != question or kind in ("empty",):
                continue
            # a refused value keeps the stored answer; an accepted one is a clean value of the right type
            assert now.get(qid) == value or _no_controls(str(now.get(qid))), (qid, now.get(qid))
        assert all(_no_controls(v) for v in now.values() if isinstance(v, str))
        assert len(str(now.get("notes") or "")) <= 2000


def test_unknown_yes_no_is_refused_and_keeps_the_stored_answer(owner: tuple[Web, Enterprise],
                                                               session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    save_page(web, sid, 1, {"has_erp": "yes", "info_sys": "B"})
    for field, value in (("has_erp", "maybe"), ("info_sys", "Z")):
        response = save_page(web, sid, 1, {"has_erp": "yes", "info_sys": "B", field: value})
        assert response.status_code == 422
    session.expire_all()
    answers = session.get(Submission, sid).answers  # type: ignore[union-attr]
    assert answers["has_erp"] is True and answers["info_sys"] == "B"


def test_numbers_without_a_maximum_are_bounded_and_text_answers_have_a_length(
        owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    response = save_page(web, sid, 1, {"devices": "1e15", "notes": "x" * 2001, "info_sys": "B",
                                       "erp_years": "y" * 5000})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "数值过大" in text and "过长" in text
    messages = " ".join(re.findall(r'class="field-error"[^>]*>([^<]*)<', text))
    assert "y" * 41 not in messages and "y" * 40 + "…" in messages  # a bad input is quoted short, not echoed whole
    session.expire_all()
    answers = session.get(Submission, sid).answers  # type: ignore[union-attr]
    assert "devices" not in answers and "notes" not in answers and answers["info_sys"] == "B"


def test_control_characters_are_removed_with_a_message(owner: tuple[Web, Enterprise], session: Session) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    response = save_page(web, sid, 1, {"notes": "line\x00one\x01", "info_sys": "B"})
    assert response.status_code == 302
    assert "控制字符" in web.html(f"/submissions/{sid}/pages/1")
    session.expire_all()
    assert session.get(Submission, sid).answers["notes"] == "lineone"  # type: ignore[union-attr]


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_beyond_the_integer_range_are_not_found(owner: tuple[Web, Enterprise], number: int) -> None:
    web, _enterprise = owner
    for url in (f"/enterprises/{number}", f"/submissions/{number}/pages/1", f"/submissions/1/pages/{number}",
                f"/assessments/{number}", f"/submissions/{number}/diagnosis"):
        assert web.get(url).status_code == 404, url


def test_absurd_page_numbers_are_not_found(app: Flask, people: People) -> None:
    people.user("chief", role="admin")
    web = Web(app.test_client())
    web.login("chief")
    assert web.get("/admin/enterprises?page=99999999999999999999").status_code == 404
    assert web.get("/admin/enterprises?page=abc").status_code == 200
    assert web.get("/admin/enterprises?q=%00x").status_code == 200


def test_an_oversized_body_is_413_on_every_route_even_anonymous(db_url: str, engine: object,
                                                                questionnaire_dir: object) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "MAX_CONTENT_LENGTH": 10_000,
                      "MAX_FORM_MEMORY_SIZE": 10_000})
    client = app.test_client()
    for url in ("/login", "/register", "/lang", "/logout"):
        response = client.post(url, data={"username": "x" * 20_000})
        assert response.status_code == 413, url
        assert "提交的内容过大" in response.get_data(as_text=True)
    response = client.post("/login", data={"x": "y" * 20_000}, headers={"Accept": "application/json"})
    assert response.status_code == 413 and response.is_json


def test_a_locked_database_answers_try_again_and_keeps_what_was_typed(
        owner: tuple[Web, Enterprise], session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    html = web.html(f"/submissions/{sid}/pages/1")
    revision = form_value(html, "revision")

    def locked(_self: object) -> None:
        raise OperationalError("UPDATE submissions", {}, Exception("database is locked"))

    monkeypatch.setattr(Session, "commit", locked)
    response = web.post(f"/submissions/{sid}/pages/1", {"notes": "typed on the phone", "info_sys": "B",
                                                         "revision": revision, "action": "save"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "数据库正忙" in page and "typed on the phone" in page
    response = web.post(f"/submissions/{sid}/pages/1/autosave", {"notes": "again", "revision": revision},
                        headers={"X-Requested-With": "fetch", "Accept": "application/json"})
    assert response.status_code == 503 and response.get_json()["error"] == "busy"
    monkeypatch.undo()
    session.expire_all()
    assert "notes" not in session.get(Submission, sid).answers  # type: ignore[union-attr]


def test_error_pages_are_bilingual_and_json_clients_get_json(web: Web) -> None:
    response = web.get("/no/such/page")
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在" in text and "This page does not exist." in text
    assert 'class="topbar"' in text  # the site's own page, not Werkzeug's
    response = web.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["ok"] is False


def test_a_bug_is_our_own_500_page(db_url: str, engine: object, questionnaire_dir: object, people: People) -> None:
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "x" * 40})

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "系统出现问题" in text and "Traceback" not in text and "RuntimeError" not in text


def test_a_text_answer_over_its_questions_limit_is_refused_by_name_and_the_rest_kept(
        owner: tuple[Web, Enterprise], session: Session) -> None:
    """``max_length: 500`` on "其他说明" in the questionnaire file: 501 characters are refused with the
    question and the limit named, on the page and by the autosave; the page's other answers are stored."""
    web, enterprise = owner
    sid = start_survey(web, enterprise.id)
    save_page(web, sid, 1, {"notes": "short", "info_sys": "A"})
    response = save_page(web, sid, 1, {"notes": "字" * 501, "info_sys": "B", "erp_years": "4", "has_erp": "yes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“其他说明”过长：最多 500 个字符，当前 501 个" in page
    assert "字" * 501 in page  # what was typed is still in the box, to shorten
    session.expire_all()
    answers = session.get(Submission, sid).answers  # type: ignore[union-attr]
    assert answers["notes"] == "short" and answers["info_sys"] == "B" and answers["erp_years"] == 4
    revision = form_value(web.html(f"/submissions/{sid}/pages/1"), "revision")
    saved = web.post(f"/submissions/{sid}/pages/1/autosave",
                     {"notes": "x" * 501, "info_sys": "C", "revision": revision},
                     headers={"X-Requested-With": "fetch", "Accept": "application/json"})
    assert saved.is_json and "“其他说明”过长：最多 500 个字符" in saved.json["errors"]["notes"]  # type: ignore[index]
    session.expire_all()
    answers = session.get(Submission, sid).answers  # type: ignore[union-attr]
    assert answers["notes"] == "short" and answers["info_sys"] == "C"
    assert len(save_page(web, sid, 1, {"notes": "字" * 500, "info_sys": "C"}).get_data(as_text=True)) > 0
    session.expire_all()
    assert session.get(Submission, sid).answers["notes"] == "字" * 500  # type: ignore[union-attr]


def test_max_length_belongs_to_text_questions() -> None:
    from diagnostics.questionnaire import Question  # noqa: PLC0415  (the model alone, for its own rule)

    with pytest.raises(ValueError, match="max_length belongs to 'text'"):
        Question(id="n", type="number", text="件数", max_length=10)
    assert Question(id="t", type="text", text="说明", max_length=10).max_length == 10


def _postings(questions: list[Any]) -> list[list[tuple[str, str]]]:
    """Posted bodies for one page: every corpus value in every field, fields left out, a multiple choice
    ticked twice, a yes/no that is neither, several values where one is expected."""
    ids = [q.id for q in questions]
    bodies: list[list[tuple[str, str]]] = [[], [("revision", "3")], [("revision", "")]]
    for bad in [*CORPUS.values(), "yes", "no", "A", "B", " 12 ", "1,200", "a\nb\n\n c "]:
        bodies.append([("revision", "7"), *((qid, bad[:5000]) for qid in ids)])  # within the body limit
        for qid in ids:
            bodies.append([("revision", "7"), (qid, bad)])
            bodies.append([(qid, bad), (qid, "A"), ("revision", "7"), ("revision", "8")])
    return bodies


def test_the_autosave_reads_a_page_exactly_as_the_page_form_does(app: Flask, questionnaire_dir: Any) -> None:
    """The autosave reads posted fields without building the page's WTForms form; for every question
    type (the test questionnaire and the shipped ones, which have evidence lists) and every bad posting,
    it gets the same answers and the same revision as the form would."""
    files = [questionnaire_dir / "mini.yaml", *shipped_files(ROOT / "questionnaires")]
    checked = set()
    for path in files:
        loaded = load_file(path)
        q = loaded.definition
        for index in range(len(q.dimensions)):
            questions = questions_on(q, index)
            for body in _postings(questions):
                with app.test_request_context(method="POST", data=MultiDict(body)):
                    form = page_form(loaded.content_hash, q, index, "zh", formdata=request.form)
                    assert posted_answers(request.form, questions) == raw_answers(form, questions), (path.name, body)
                    assert posted_revision(request.form) == form.revision.data
            checked |= {qq.type for qq in questions}
    assert checked >= {"single", "multi", "yesno", "number", "text", "level", "evidence"}
