"""Review, submit (exactly once) and read a submission.

The review page lists every question that applies with its answer, and the unanswered ones with a link
to their page. It carries a fresh idempotency key: the first submit stores it on the submission, so a
double click or a retry after a time-out finds that submission and shows the same diagnosis instead of
submitting again. After submit the submission is scored at once (``score_one``, the same function the
flows use) and, when configured, the cluster pipeline is asked to run.
"""

from __future__ import annotations

import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from diagnostics import drafts
from diagnostics.answers import visible_questions
from diagnostics.settings import settings
from diagnostics.store.assessing import score_one
from diagnostics.store.models import Submission, utcnow
from diagnostics.store.repo import assessments_of_submission, audit, definition_of
from diagnostics.store.visits import COMMITMENT_TEXT, open_issues, record_submit
from flows.trigger import request_pipeline_run
from survey_app.access import allowed, submission_or_abort
from survey_app.db import db_session
from survey_app.field.forms import VerifyForm
from survey_app.forms import ButtonForm
from survey_app.survey import bp
from survey_app.survey.pages import page_links, review_items
from survey_app.survey.routes import editable_or_redirect

_KEY = re.compile(r"^[A-Za-z0-9\-]{16,64}$")


def _review(sub: Submission, status: int = 200, error: str | None = None) -> tuple[str, int]:
    q = definition_of(sub.questionnaire_version)
    problems = drafts.problems(q, sub.answers)
    gaps = drafts.missing(q, sub.answers)
    return render_template(
        "survey/review.html", sub=sub, q=q, gaps=gaps, pages=page_links(q, gaps), form=ButtonForm(),
        sections=review_items(q, sub.answers, visible_questions(q, sub.answers), problems),
        progress=drafts.progress(q, sub.answers), key=uuid.uuid4().hex, error=error,
        commitment=COMMITMENT_TEXT, issues=open_issues(db_session(), sub)), status


@bp.route("/submissions/<int:submission_id>/review")
@login_required
def review(submission_id: int) -> Response | tuple[str, int]:
    sub = submission_or_abort(submission_id, "answer")
    if (gone := editable_or_redirect(sub)) is not None:
        return gone
    return _review(sub)


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@login_required
def submit(submission_id: int) -> Response | tuple[str, int]:
    sub = submission_or_abort(submission_id, "answer")
    if not ButtonForm().validate_on_submit():
        abort(400)
    key = request.form.get("idempotency_key", "")
    if not _KEY.fullmatch(key):
        abort(400)
    db = db_session()
    earlier = db.scalar(select(Submission).where(Submission.idempotency_key == key))
    if earlier is not None:  # a retry of a submit that went through: same diagnosis
        if earlier.id != sub.id:
            abort(409)
        return redirect(url_for("diagnosis.for_submission", submission_id=sub.id))
    if sub.status != "draft":
        flash(_("This questionnaire was already submitted; here is its diagnosis."), "info")
        return redirect(url_for("diagnosis.for_submission", submission_id=sub.id))
    if request.form.get("revision") != str(sub.revision):
        return _review(sub, 409, _("The answers changed after this page was opened (another window or person). "
                                   "Check them below and submit again."))
    q = definition_of(sub.questionnaire_version)
    if drafts.missing(q, sub.answers):
        return _review(sub, 422, _("Some questions still need an answer; they are marked below."))
    if request.form.get("commitment") != "yes":
        return _review(sub, 422, _("Tick the authenticity commitment to submit."))
    sub.status = "submitted"
    sub.submitted_at = utcnow()
    sub.idempotency_key = key
    try:
        db.flush()
    except (IntegrityError, StaleDataError):  # a simultaneous submit of the same draft won the race
        db.rollback()
        return redirect(url_for("diagnosis.for_submission", submission_id=submission_id))
    record_submit(db, sub, user_id=current_user.id)
    assessment = score_one(db, sub)
    audit(db, "submit", "submission", sub.id, user_id=current_user.id, revision=sub.revision,
          assessment=assessment.id if assessment else None)
    db.commit()
    _request_pipeline(sub)
    flash(_("Submitted. Here is your diagnosis."), "success")
    return redirect(url_for("diagnosis.for_submission", submission_id=sub.id))


def _request_pipeline(sub: Submission) -> None:
    """Ask the flows to refresh the cluster views, when the deployment wants that after each submit."""
    if not settings.trigger_pipeline_on_submit:
        return
    request_pipeline_run(reason=f"submission {sub.id} submitted")


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int) -> str:
    """The answers of a submission, read-only (staff, and the enterprise after submitting)."""
    sub = submission_or_abort(submission_id, "view")
    q = definition_of(sub.questionnaire_version)
    can_verify = sub.status == "submitted" and allowed(current_user, sub.enterprise_id, "verify")
    return render_template(
        "survey/submission.html", sub=sub, q=q,
        sections=review_items(q, sub.answers, visible_questions(q, sub.answers), drafts.problems(q, sub.answers)),
        assessments=assessments_of_submission(db_session(), sub), can_verify=can_verify,
        verify_form=VerifyForm() if can_verify else None)
