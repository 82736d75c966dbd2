"""The diagnosis a respondent sees right after submitting, and later from their history.

This page reads; it never scores. Everything comes from the stored ``Assessment`` (its explanation JSON
holds the trail from answers to level, the gates and why the next level was missed), the definition of
the exact questionnaire version it was scored against (for level names and meanings), the industry
taxonomy (for recommended scenarios and solutions) and the enterprise's previous assessment (T0 vs T1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from diagnostics.numbers import difference
from diagnostics.recommend import recommend
from diagnostics.store import catalogue
from diagnostics.store.models import Assessment, Enterprise, QuestionnaireVersion
from diagnostics.store.repo import assessments_of_submission, definition_of, trail
from survey_app.access import assessment_or_abort, submission_or_abort
from survey_app.db import db_session
from survey_app.diagnosis import bp, charts
from survey_app.diagnosis.history import answered_at, gate_hold
from survey_app.i18n import tx


@bp.route("/submissions/<int:submission_id>/diagnosis")
@login_required
def for_submission(submission_id: int) -> Response | str:
    sub = submission_or_abort(submission_id, "view")
    found = assessments_of_submission(db_session(), sub)
    if found:
        return redirect(url_for("diagnosis.show", assessment_id=found[-1].id))
    if sub.status == "draft":
        return redirect(url_for("survey.review", submission_id=sub.id))
    return render_template("diagnosis/pending.html", sub=sub)


def previous_assessment(current: Assessment, code: str) -> Assessment | None:
    """The enterprise's last assessment of the same questionnaire before this one, from another submission."""
    return db_session().scalars(
        select(Assessment).join(QuestionnaireVersion, Assessment.questionnaire_version_id == QuestionnaireVersion.id)
        .where(Assessment.enterprise_id == current.enterprise_id, QuestionnaireVersion.code == code,
               Assessment.submission_id != current.submission_id, Assessment.id < current.id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())).first()


@bp.app_template_global("answered_at")
def _answered_at_global(assessment: Assessment) -> Any:
    return answered_at(assessment)


@dataclass
class Comparison:
    label: str
    before: float
    after: float
    maximum: float | None

    @property
    def delta(self) -> float:
        """The change between the two values as shown (19.1 - 12.8 = +6.3, never +6.4)."""
        return difference(self.after, self.before)


def compare(before: Assessment, after: Assessment, before_trail: dict[str, Any],
            after_trail: dict[str, Any]) -> list[Comparison]:
    """Total, level and each scored dimension, T0 against T1 (dimensions matched by code)."""
    rows = [Comparison(_("Level"), before.level, after.level, None),
            Comparison(_("Total score"), before.total, after.total, after_trail.get("max_score"))]
    old_dims = {d["code"]: d for d in before_trail.get("dimensions", [])}
    for dim in after_trail.get("dimensions", []):
        if dim.get("scored") and dim["code"] in old_dims:
            rows.append(Comparison(tx(dim["title"]), old_dims[dim["code"]]["score"], dim["score"], dim["max"]))
    return rows


def _indicators(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**ind, "dimension": dim["title"]} for dim in explanation.get("dimensions", []) if dim.get("scored")
            for ind in dim.get("indicators", [])]


def _scenario_ratings(explanation: dict[str, Any], definition: Any) -> list[dict[str, Any]]:
    """The operations scenarios as rated (level questions), with their binding flag from the definition."""
    levels = {qq.id: qq for qq in definition.scenario_questions()}
    out = []
    for dim in explanation.get("dimensions", []):
        for ind in dim.get("indicators", []):
            for q in ind.get("questions", []):
                question = levels.get(q["id"])
                if question is not None:
                    top = max(int(o.code) for o in question.options)
                    out.append({"text": question.text, "level": q.get("answer"), "top": top,
                                "binding": question.binding})
    return out


@bp.route("/assessments/<int:assessment_id>")
@login_required
def show(assessment_id: int) -> str:
    assessment = assessment_or_abort(assessment_id, "view")
    db = db_session()
    version = db.get(QuestionnaireVersion, assessment.questionnaire_version_id)
    enterprise = db.get(Enterprise, assessment.enterprise_id)
    if version is None or enterprise is None:
        abort(404)
    definition = definition_of(version)
    explanation = trail(assessment)  # the stored compact record, expanded into readable rules (no scoring)
    previous = previous_assessment(assessment, version.code)
    previous_trail = trail(previous) if previous else None
    current_points = charts.dimension_percentages(explanation)
    previous_points = charts.dimension_percentages(previous_trail) if previous_trail else None
    indicators = _indicators(explanation)
    taxonomy = catalogue.taxonomy(catalogue.industry_for(enterprise))
    return render_template(
        "diagnosis/show.html", assessment=assessment, enterprise=enterprise, version=version, q=definition,
        explanation=explanation, level=definition.level(assessment.level), next_level=explanation.get("next_level"),
        next_level_def=definition.level(assessment.level + 1), indicators=indicators,
        strengths=[i for i in indicators if i.get("strong")], weaknesses=[i for i in indicators if i.get("weak")],
        scenarios=_scenario_ratings(explanation, definition),
        radar=charts.radar_json(current_points, previous_points, _("This assessment"), _("Previous assessment")),
        previous=previous, answered=answered_at(assessment),
        previous_answered=answered_at(previous) if previous else None,
        held=gate_hold(explanation, assessment.level),
        comparison=compare(previous, assessment, previous_trail, explanation) if previous and previous_trail else [],
        recommendations=recommend(explanation, definition, taxonomy, chain_links=enterprise.chain_links or None,
                                  size_class=enterprise.size_class), taxonomy=taxonomy,
        plotly_url=url_for("diagnosis.plotly_js", version=charts.PLOTLY_VERSION))


@bp.route("/assets/plotly-<version>.min.js")
def plotly_js(version: str) -> Response:
    """Plotly's bundle from the installed package; versioned URL, so it can be cached for a year."""
    if version != charts.PLOTLY_VERSION:
        return redirect(url_for("diagnosis.plotly_js", version=charts.PLOTLY_VERSION))
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    body = charts.plotly_js_gzip() if gzip_ok else charts.plotly_js()
    response = current_app.response_class(body, mimetype="application/javascript")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
