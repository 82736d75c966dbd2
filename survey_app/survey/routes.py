"""Filling a questionnaire: start or resume a draft, one page per dimension, autosave, version changes.

A draft lives in the database from the first page, so it can be resumed from any device. Every page
change and every "save" stores the page's good answers (even when other answers on it are refused) and
re-evaluates skip logic on the server; the page's script also autosaves each change in the background.
Each save carries the revision the page was drawn from: when someone else saved in between (a
commissioner on a tablet, a second browser tab), nothing is overwritten; the page comes back with the
respondent's typed values, what the other person saved, and a clear message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from diagnostics import drafts
from diagnostics.answers import AnswerError, ValueProblem, parse_value, visible_questions
from diagnostics.questionnaire import Questionnaire
from diagnostics.roles import Role
from diagnostics.store import catalogue
from diagnostics.store.db import is_busy
from diagnostics.store.models import Enterprise, QuestionnaireVersion, Submission
from diagnostics.store.repo import audit, definition_of
from diagnostics.version_diff import carry_over, diff
from survey_app.access import enterprise_or_abort, submission_or_abort
from survey_app.db import db_session
from survey_app.errors import busy_message
from survey_app.forms import ButtonForm
from survey_app.i18n import lang, pick
from survey_app.survey import bp
from survey_app.survey.forms import AnswerForm, page_form, posted_answers, posted_revision, raw_answers
from survey_app.survey.pages import computed_display, display, page_links, page_views


def _definition(sub: Submission) -> Questionnaire:
    return definition_of(sub.questionnaire_version)


def _outdated(sub: Submission) -> bool:
    current = catalogue.current_hash(sub.questionnaire_version.code)
    return current is not None and current != sub.questionnaire_version.content_hash


def editable_or_redirect(sub: Submission) -> Response | None:
    """A submitted submission is no longer a draft: send the respondent to its diagnosis."""
    if sub.status != "draft":
        flash(_("This questionnaire has been submitted; here is its diagnosis."), "info")
        return redirect(url_for("diagnosis.for_submission", submission_id=sub.id))
    return None


def _open_draft(enterprise_id: int, code: str) -> Submission | None:
    return db_session().scalar(select(Submission).join(QuestionnaireVersion).where(
        Submission.enterprise_id == enterprise_id, Submission.status == "draft",
        QuestionnaireVersion.code == code).order_by(Submission.id.desc()))


def _new_draft(enterprise: Enterprise, code: str) -> Submission:
    """Begin a draft, pre-filled from the last submission (each carried answer to confirm); when a
    simultaneous click wins the race (index ``uq_one_draft``, or the first registration of the
    questionnaire version), land on the winner's draft instead."""
    db = db_session()
    for attempt in range(3):
        try:
            version = catalogue.current_version(db, code)
            answers, carried, previous_id = _starting_answers(enterprise, code, definition_of(version))
            draft = Submission(enterprise_id=enterprise.id, questionnaire_version_id=version.id, status="draft",
                               questionnaire_code=code, answers=answers, carried=carried or None,
                               created_by_id=current_user.id,
                               channel="self" if current_user.role == Role.ENTERPRISE else "field")
            db.add(draft)
            db.flush()
            audit(db, "start", "submission", draft.id, user_id=current_user.id, questionnaire=code,
                  carried_from=previous_id, carried=len(carried))
            db.commit()
            return draft
        except IntegrityError:
            db.rollback()
            winner = _open_draft(enterprise.id, code)
            if winner is not None:
                return winner
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@bp.route("/enterprises/<int:enterprise_id>/questionnaires/<code>/start", methods=["POST"])
@login_required
def start(enterprise_id: int, code: str) -> Response:
    """Resume this enterprise's open draft of ``code`` (any device, any version) or begin one."""
    enterprise = enterprise_or_abort(enterprise_id, "answer")
    if not ButtonForm().validate_on_submit():
        abort(400)
    if code not in {lq.code for lq in catalogue.offered_to(enterprise)}:
        abort(404)
    draft = _open_draft(enterprise.id, code) or _new_draft(enterprise, code)
    if _outdated(draft):
        return redirect(url_for("survey.changes", submission_id=draft.id))
    page = drafts.resume_page(_definition(draft), draft.answers) + 1
    return redirect(url_for("survey.page", submission_id=draft.id, page=page))


def _starting_answers(enterprise: Enterprise, code: str, q: Questionnaire) -> tuple[dict[str, Any], list[str],
                                                                                     int | None]:
    """A new draft starts from the last submitted answers of ``code`` and the registration profile."""
    previous = db_session().scalar(select(Submission).join(QuestionnaireVersion).where(
        Submission.enterprise_id == enterprise.id, Submission.status.in_(("submitted", "verified")),
        QuestionnaireVersion.code == code).order_by(Submission.submitted_at.desc(), Submission.id.desc()))
    taxonomy = catalogue.taxonomy(catalogue.industry_for(enterprise))
    links = {c.code for c in taxonomy.chain_links} if taxonomy else set()
    profile = drafts.profile_answers(q, list(enterprise.chain_links or []), links)
    answers, carried = drafts.prefill(q, previous.answers if previous else None, profile)
    return answers, carried, previous.id if previous else None


def _page_or_404(q: Questionnaire, page: int) -> int:
    if not 1 <= page <= len(q.dimensions):
        abort(404)
    return page - 1


def _render_page(sub: Submission, q: Questionnaire, index: int, form: AnswerForm, visible: set[str],
                 status: int = 200, **extra: Any) -> tuple[str, int]:
    answers = extra.pop("answers", sub.answers)
    gaps = drafts.missing(q, answers)
    errors = dict(extra.pop("errors", None) or {})
    for qid in extra.get("flagged", []):
        errors.setdefault(qid, AnswerError(qid, "此题必答，请作答后再继续", "this question is required"))
    blocks = page_views(q, index, form, visible, errors, extra.pop("theirs", None),
                        computed_display(q, index, answers))
    flagged = extra.pop("flagged", [])
    return render_template(
        "survey/page.html", sub=sub, q=q, page=index + 1, pages=page_links(q, gaps), form=form, blocks=blocks,
        progress=drafts.progress(q, answers), outdated=_outdated(sub), carried=set(sub.carried or []),
        flagged=flagged, **extra), status


def _save_page(sub: Submission, q: Questionnaire, index: int, revision: str | None,
               posted: dict[str, Any]) -> drafts.PageSave | None:
    """Merge one page's answers into the draft and commit; None when someone else saved meanwhile.

    Both the page's own POST and its background autosave go through here, so they share the rule: a
    stale revision never overwrites (the caller shows both versions), good answers are kept even when
    others on the page are refused.
    """
    if revision != str(sub.revision):
        return None
    result = drafts.merge_page(q, sub.answers, index, posted)
    unconfirmed = drafts.confirm_page(q, sub.carried, index) if sub.carried else None
    if result.answers != sub.answers or (sub.carried and unconfirmed != sub.carried):
        sub.answers = result.answers
        if sub.carried:
            sub.carried = unconfirmed or None  # saving the page confirms its carried-over answers
        try:
            db_session().commit()
        except StaleDataError:
            db_session().rollback()
            return None
        except OperationalError as exc:  # the database is locked (SQLite) or busy: nothing was stored
            db_session().rollback()
            if is_busy(exc):
                raise DatabaseBusy from exc
            raise
    return result


class DatabaseBusy(Exception):
    """The save could not be stored right now; the caller keeps what was typed and asks to retry."""


@bp.route("/submissions/<int:submission_id>/pages/<int:page>", methods=["GET", "POST"])
@login_required
def page(submission_id: int, page: int) -> Response | tuple[str, int]:
    sub = submission_or_abort(submission_id, "answer")
    if (gone := editable_or_redirect(sub)) is not None:
        return gone
    q = _definition(sub)
    index = _page_or_404(q, page)
    content_hash = sub.questionnaire_version.content_hash
    if request.method == "GET":
        form = page_form(content_hash, q, index, lang(), answers=sub.answers, revision=sub.revision)
        return _render_page(sub, q, index, form, visible_questions(q, sub.answers))

    form = page_form(content_hash, q, index, lang(), formdata=request.form)
    form.validate()  # CSRF was checked before the view; answer values are parsed by the domain below
    posted = raw_answers(form, drafts.questions_on(q, index))
    try:
        result = _save_page(sub, q, index, form.revision.data, posted)
    except DatabaseBusy:  # the page comes back with everything typed, and nothing is lost
        flash(busy_message(), "error")
        return _render_page(sub, q, index, form, visible_questions(q, sub.answers), 503)
    if result is None:
        fresh = db_session().get(Submission, submission_id)
        if fresh is None:  # deleted meanwhile
            abort(404)
        return _conflict(fresh, q, index, form, posted)
    form.revision.data = str(sub.revision)
    if result.errors:
        return _render_page(sub, q, index, form, result.visible, 422, errors=result.errors)
    action = request.form.get("action", "save")
    if action == "next" and request.form.get("acknowledged") != "1":
        flagged = drafts.unanswered_required(q, sub.answers, index)
        if flagged:  # saved, but say which required questions are still open before moving on
            return _render_page(sub, q, index, form, result.visible, 200, flagged=flagged)
    if action == "prev" and index > 0:
        target = url_for("survey.page", submission_id=sub.id, page=page - 1)
    elif action == "next" and index + 1 < len(q.dimensions):
        target = url_for("survey.page", submission_id=sub.id, page=page + 1)
    elif action in ("next", "review"):
        target = url_for("survey.review", submission_id=sub.id)
    elif action.startswith("goto:") and action[5:].isdigit() and 1 <= int(action[5:]) <= len(q.dimensions):
        target = url_for("survey.page", submission_id=sub.id, page=int(action[5:]))
    else:
        flash(_("Saved."), "success")
        target = url_for("survey.page", submission_id=sub.id, page=page)
    return redirect(target)


def _theirs(q: Questionnaire, stored: dict[str, Any], posted: dict[str, Any], index: int) -> dict[str, str]:
    """Questions on the page where the saved answer differs from what this person typed."""
    out = {}
    for question in drafts.questions_on(q, index):
        try:
            mine = parse_value(question, posted.get(question.id))
        except ValueProblem:
            mine = object()  # unreadable input always differs
        if mine != stored.get(question.id):
            out[question.id] = display(question, stored.get(question.id))
    return out


def _conflict(sub: Submission, q: Questionnaire, index: int, form: AnswerForm,
              posted: dict[str, Any]) -> tuple[str, int]:
    """Someone saved this draft after the page was drawn: keep the typed values, show theirs, don't save."""
    form.revision.data = str(sub.revision)
    message = _("Someone else saved this questionnaire while you were editing it (for example a commissioner "
                "on site, or another browser window). Nothing of yours was saved yet. Your entries are still "
                "in the form; where the saved answer differs it is shown below the question. Check them and "
                "save again.")
    visible = drafts.merge_page(q, sub.answers, index, posted).visible  # as if saved, to show what was typed
    return _render_page(sub, q, index, form, visible, 409, theirs=_theirs(q, sub.answers, posted, index),
                        conflict=message)


@bp.route("/submissions/<int:submission_id>/pages/<int:page>/autosave", methods=["POST"])
@login_required
def autosave(submission_id: int, page: int) -> tuple[Response, int]:
    """The page's background save after each change: same rules as the page, answered in JSON."""
    sub = submission_or_abort(submission_id, "answer")
    if sub.status != "draft":
        return jsonify({"ok": False, "error": "submitted",
                        "message": _("This questionnaire has already been submitted.")}), 409
    q = _definition(sub)
    index = _page_or_404(q, page)
    posted = posted_answers(request.form, drafts.questions_on(q, index))  # no form to draw: no form built
    try:
        result = _save_page(sub, q, index, posted_revision(request.form), posted)
    except DatabaseBusy:
        return jsonify({"ok": False, "error": "busy", "message": busy_message()}), 503
    if result is None:
        return jsonify({"ok": False, "error": "conflict", "message": _(
            "Someone else saved this questionnaire meanwhile. Press “Save” to see their answers next to yours.")}), 409
    page_ids = [qq.id for qq in drafts.questions_on(q, index)]
    computed = computed_display(q, index, result.answers)
    return jsonify({
        "ok": True, "revision": sub.revision,
        "visible": [qid for qid in page_ids if qid in result.visible] + list(computed), "computed": computed,
        "errors": {qid: pick(e.message_zh, e.message_en) for qid, e in result.errors.items()},
        "progress": drafts.progress(q, result.answers, result.visible).percent,
        # when, in UTC: the page shows it on the reader's own clock (HH:mm was the server's UTC)
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }), 200


@bp.route("/submissions/<int:submission_id>/changes")
@login_required
def changes(submission_id: int) -> Response | str:
    """What changed since the draft's version, and which answers would carry over."""
    sub = submission_or_abort(submission_id, "answer")
    if (gone := editable_or_redirect(sub)) is not None:
        return gone
    if not _outdated(sub):
        return redirect(url_for("survey.page", submission_id=sub.id, page=1))
    db = db_session()
    new_version = catalogue.current_version(db, sub.questionnaire_version.code)
    db.commit()
    old, new = _definition(sub), definition_of(new_version)
    carried = carry_over(new, sub.answers)
    questions = {qq.id: qq for qq in old.questions()}
    return render_template("survey/changes.html", sub=sub, old_version=sub.questionnaire_version,
                           new_version=new_version, changes=diff(old, new), carried=carried, questions=questions,
                           form=ButtonForm(), display=display)


@bp.route("/submissions/<int:submission_id>/upgrade", methods=["POST"])
@login_required
def upgrade(submission_id: int) -> Response:
    """Move a draft to the current version, keeping every answer the new version accepts."""
    sub = submission_or_abort(submission_id, "answer")
    if (gone := editable_or_redirect(sub)) is not None:
        return gone
    if not ButtonForm().validate_on_submit():
        abort(400)
    if request.form.get("revision") != str(sub.revision):
        flash(_("The draft changed meanwhile; look at the changes again."), "warning")
        return redirect(url_for("survey.changes", submission_id=sub.id))
    db = db_session()
    new_version = catalogue.current_version(db, sub.questionnaire_version.code)
    carried = carry_over(definition_of(new_version), sub.answers)
    old_id = sub.questionnaire_version_id
    sub.questionnaire_version_id = new_version.id
    sub.answers = carried.kept
    audit(db, "upgrade", "submission", sub.id, user_id=current_user.id, from_version=old_id,
          to_version=new_version.id, dropped=sorted(carried.dropped))
    try:
        db.commit()
    except StaleDataError:
        db.rollback()
        flash(_("The draft changed meanwhile; look at the changes again."), "warning")
        return redirect(url_for("survey.changes", submission_id=submission_id))
    db.refresh(sub)
    flash(_("The draft now uses the new version. %(n)d answer(s) carried over.", n=len(carried.kept)), "success")
    page = drafts.resume_page(definition_of(new_version), sub.answers) + 1
    return redirect(url_for("survey.page", submission_id=sub.id, page=page))
