"""An enterprise's own pages: its profile, its questionnaires (start or resume) and its history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from diagnostics import drafts
from diagnostics.questionnaire_loader import LoadedQuestionnaire
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import catalogue
from diagnostics.store.models import Assessment, QuestionnaireVersion, Submission
from diagnostics.store.repo import audit, definition_of
from survey_app.access import allowed, enterprise_or_abort
from survey_app.dashboard.workbooks import workbook_or_page
from survey_app.db import db_session
from survey_app.enterprise import bp
from survey_app.enterprise.forms import TAG_LABELS, EnterpriseForm
from survey_app.forms import ButtonForm
from survey_app.i18n import tx


@dataclass
class QuestionnaireRow:
    code: str
    title: object
    draft: Submission | None
    percent: int | None
    outdated: bool
    done: list[Submission]


def _questionnaire_rows(enterprise_id: int, offered: list[LoadedQuestionnaire]) -> list[QuestionnaireRow]:
    db = db_session()
    subs = list(db.scalars(select(Submission).join(QuestionnaireVersion).where(
        Submission.enterprise_id == enterprise_id).order_by(Submission.id.desc())))
    rows = []
    for loaded in offered:
        mine = [s for s in subs if s.questionnaire_version.code == loaded.code]
        draft = next((s for s in mine if s.status == "draft"), None)
        percent = None
        if draft is not None:
            percent = drafts.progress(definition_of(draft.questionnaire_version), draft.answers).percent
        rows.append(QuestionnaireRow(
            loaded.code, loaded.definition.title, draft, percent,
            draft is not None and draft.questionnaire_version.content_hash != loaded.content_hash,
            [s for s in mine if s.status != "draft"]))
    return rows


@bp.route("/<int:enterprise_id>")
@login_required
def show(enterprise_id: int) -> str:
    enterprise = enterprise_or_abort(enterprise_id, "view")
    db = db_session()
    history = list(db.scalars(select(Assessment).where(Assessment.enterprise_id == enterprise.id)
                              .order_by(Assessment.created_at.desc(), Assessment.id.desc())))
    titles = {v.id: tx(definition_of(v).title) for v in db.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.id.in_({a.questionnaire_version_id for a in history})))} if history else {}
    return render_template(
        "enterprise/show.html", enterprise=enterprise, size_labels=SIZE_LABELS, tag_labels=TAG_LABELS,
        rows=_questionnaire_rows(enterprise.id, catalogue.offered_to(enterprise)), history=history,
        titles=titles, can_answer=allowed(current_user, enterprise.id, "answer"),
        can_manage=allowed(current_user, enterprise.id, "manage"), button=ButtonForm(),
        taxonomy=catalogue.taxonomy(catalogue.industry_for(enterprise)))


@bp.route("/<int:enterprise_id>/workbook.xlsx")
@login_required
def workbook(enterprise_id: int) -> ResponseReturnValue:
    """The enterprise's 诊断书 for whoever may see the enterprise (itself, its commissioners, officials)."""
    return workbook_or_page(enterprise_or_abort(enterprise_id, "view"))


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@login_required
def edit(enterprise_id: int) -> ResponseReturnValue:
    enterprise = enterprise_or_abort(enterprise_id, "manage")
    form = EnterpriseForm(obj=enterprise)
    if form.validate_on_submit():
        form.apply_to(enterprise)
        audit(db_session(), "update", "enterprise", enterprise.id, user_id=current_user.id)
        db_session().commit()
        flash(_("Profile saved."), "success")
        return redirect(url_for("enterprise.show", enterprise_id=enterprise.id))
    status = 400 if request.method == "POST" else 200
    return render_template("enterprise/edit.html", form=form, enterprise=enterprise), status
