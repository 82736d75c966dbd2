"""Digital commissioners: the enterprises assigned to them, and verifying a submitted self-assessment.

A commissioner sees only assigned enterprises, can verify only a submitted submission, and verifying
re-scores it (``score_one``, the function the flows use) as a trusted (on-site) assessment.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from diagnostics.store.assessing import score_one
from diagnostics.store.models import Assignment, Enterprise, Submission, utcnow
from diagnostics.store.repo import audit
from survey_app.access import area_required, submission_or_abort
from survey_app.db import db_session
from survey_app.field import bp
from survey_app.field.forms import VerifyForm


@bp.route("/field/")
@area_required("field")
def index() -> str:
    db = db_session()
    enterprises = list(db.scalars(select(Enterprise).join(Assignment, Assignment.enterprise_id == Enterprise.id)
                                  .where(Assignment.user_id == current_user.id).order_by(Enterprise.name)))
    ids = [e.id for e in enterprises]
    subs = list(db.scalars(select(Submission).where(Submission.enterprise_id.in_(ids))
                           .order_by(Submission.id.desc()))) if ids else []
    by_enterprise: dict[int, list[Submission]] = {}
    for sub in subs:
        by_enterprise.setdefault(sub.enterprise_id, []).append(sub)
    return render_template("field/index.html", enterprises=enterprises, submissions=by_enterprise)


@bp.route("/submissions/<int:submission_id>/verify", methods=["POST"])
@area_required("field")
def verify(submission_id: int) -> Response:
    sub = submission_or_abort(submission_id, "verify")
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    if sub.status != "submitted":
        flash(_("Only a submitted questionnaire can be verified; this one is %(status)s.", status=sub.status),
              "warning")
        return redirect(url_for("survey.submission", submission_id=sub.id))
    db = db_session()
    sub.status = "verified"
    sub.channel = "field"
    sub.verified_by_id = current_user.id
    sub.verified_at = utcnow()
    note = (form.note.data or "").strip()
    if note:
        stamp = f"[{sub.verified_at:%Y-%m-%d %H:%M} {current_user.name}] "
        sub.notes = ((sub.notes + "\n") if sub.notes else "") + stamp + note
    try:
        db.flush()
    except StaleDataError:
        db.rollback()
        flash(_("The submission changed meanwhile; check it and verify again."), "warning")
        return redirect(url_for("survey.submission", submission_id=submission_id))
    assessment = score_one(db, sub)
    audit(db, "verify", "submission", sub.id, user_id=current_user.id, note=note or None,
          assessment=assessment.id if assessment else None)
    db.commit()
    flash(_("Verified. The diagnosis now counts as checked on site."), "success")
    return redirect(url_for("survey.submission", submission_id=sub.id))
