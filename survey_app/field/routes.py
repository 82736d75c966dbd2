"""Digital commissioners on site: their enterprises, the visit (answer by answer, with evidence), sign-off.

A commissioner sees only assigned enterprises (``survey_app.access``). The visit works on a field
submission, a copy of the self-assessment; the rules (checking an answer, conflicts, evidence, sign-off,
review states) are in ``diagnostics.store.visits`` and are the same for the pages and the offline sync
(``/field/visits/<id>/sync``). Signing off scores the field submission with ``score_one`` as trusted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from diagnostics.answers import visible_questions
from diagnostics.field.audit import action_label
from diagnostics.field.evidence import MAX_BYTES
from diagnostics.field.gaps import Priority, cluster_gaps, visit_priority
from diagnostics.field.progress import STAGE_LABELS, STAGES, build_board
from diagnostics.field.review import STATES
from diagnostics.field.skip_ast import skip_program
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import audit_trail, field_board, visits
from diagnostics.store.assessing import score_one
from diagnostics.store.models import Assessment, Assignment, Cluster, Enterprise, Evidence, Submission, utcnow
from diagnostics.store.models_field import Visit
from diagnostics.store.repo import audit, definition_of
from survey_app.access import allowed, area_required, enterprise_or_abort, submission_or_abort
from survey_app.db import db_session
from survey_app.field import bp
from survey_app.field.forms import VerifyForm
from survey_app.forms import ButtonForm
from survey_app.i18n import pick, tx
from survey_app.survey.pages import display

_QID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
STATIC = Path(__file__).resolve().parent.parent / "static"


# ---------------------------------------------------------------- my enterprises


def _status(sub: Submission | None, state: str | None, visit: Visit | None) -> tuple[str, str]:
    """(status, next step) of an enterprise in the commissioner's list, in the page's language."""
    if visit is not None and visit.status == "signed":
        return (pick("已现场核实", "Verified on site"),
                pick("无需操作；可查看核实结果", "Nothing to do; read the result"))
    if visit is not None:
        return (pick("走访进行中", "Visit in progress"),
                pick("继续走访，逐题确认并签字", "Continue the visit and sign off"))
    if state == "has_issues":
        return tx(STATES["has_issues"]), pick("等待企业修改后重新提交", "Wait for the firm to correct and resubmit")
    if sub is None:
        return pick("尚未自评", "No self-assessment"), pick("现场开始诊断", "Start the diagnosis on site")
    return tx(STATES.get(state or "submitted", STATES["submitted"])), pick("开始走访核实", "Start the visit")


@bp.route("/field/")
@area_required("field")
def index() -> str:
    db = db_session()
    enterprises = list(db.scalars(select(Enterprise).join(Assignment, Assignment.enterprise_id == Enterprise.id)
                                  .where(Assignment.user_id == current_user.id).order_by(Enterprise.name)))
    rows = []
    priority = priorities_for(enterprises)
    # unvisited firms with the largest expected change first; then the rest by name (the sort is stable)
    enterprises.sort(key=lambda e: priority[e.id].rank if e.id in priority else 1 << 30)
    for e in enterprises:
        sub = visits.latest_self_submission(db, e.id)
        state = visits.review_state(db, sub) if sub is not None else None
        visit = db.scalars(select(Visit).where(Visit.enterprise_id == e.id, Visit.commissioner_id == current_user.id)
                           .order_by(Visit.id.desc())).first()
        status, step = _status(sub, state, visit)
        rows.append({"enterprise": e, "submission": sub, "state": state, "visit": visit, "status": status,
                     "next": step, "priority": priority.get(e.id)})

    return render_template("field/index.html", rows=rows, form=ButtonForm())


@bp.route("/field/enterprises/<int:enterprise_id>/visit", methods=["POST"])
@area_required("field")
def start_visit(enterprise_id: int) -> Response:
    enterprise = enterprise_or_abort(enterprise_id, "verify")
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        visit = visits.open_visit(db, enterprise, current_user.id)
    except visits.VisitRefused as refused:
        db.rollback()
        flash(pick(refused.zh, refused.en), "warning")
        return redirect(url_for("field.index"))
    db.commit()
    return redirect(url_for("field.visit", visit_id=visit.id))


# ---------------------------------------------------------------- the visit


def _visit_or_abort(visit_id: int) -> Visit:
    """The visit, if it is the current commissioner's own and the enterprise is still assigned (else 404)."""
    visit = db_session().get(Visit, visit_id)
    if visit is None:
        abort(404)
    if visit.commissioner_id != current_user.id or not allowed(current_user, visit.enterprise_id, "verify"):
        abort(404)  # another's visit answers as a missing one: visit ids cannot be probed
    return visit


def visit_context(visit: Visit) -> dict[str, Any]:
    """What the visit page (and the offline script) need: questions, both answers, checks, evidence."""
    db = db_session()
    sub = visits.field_submission(db, visit)
    q = definition_of(sub.questionnaire_version)
    selfs = visits.self_answers(db, visit)
    checks = visits.checks_of(db, visit)
    visible = visible_questions(q, sub.answers)
    files: dict[str, list[Evidence]] = {}
    for ev in visits.evidence_of(db, [sub.id]):
        files.setdefault(ev.question_id, []).append(ev)
    sections = []
    for dim in q.dimensions:
        items = []
        for ind in dim.indicators:
            for question in ind.questions:
                if question.formula:
                    continue
                items.append({
                    "q": question, "visible": question.id in visible,
                    "self": display(question, selfs.get(question.id)), "value": sub.answers.get(question.id),
                    "shown": display(question, sub.answers.get(question.id)), "check": checks.get(question.id),
                    "files": files.get(question.id, []),
                })
        sections.append((tx(dim.title), items))
    enterprise = db.get(Enterprise, visit.enterprise_id)
    return {"visit": visit, "sub": sub, "q": q, "sections": sections, "enterprise": enterprise,
            "program": skip_program(q), "answers": sub.answers, "experts": visits.experts_of_visit(db, visit),
            "attachable": visits.attachable_experts(db, visit) if visit.status == "open" else [],
            "left": len(visits.unchecked(db, visit)), "form": ButtonForm(), "max_mb": MAX_BYTES // (1024 * 1024)}


@bp.route("/field/visits/<int:visit_id>")
@area_required("field")
def visit(visit_id: int) -> str:
    return render_template("field/visit.html", **visit_context(_visit_or_abort(visit_id)))


@bp.route("/field/sw.js")
def service_worker() -> Response:
    """The visit pages' service worker, served from /field/ so its scope covers the visit pages."""
    response = send_file(STATIC / "visit-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _posted_value(question_type: str) -> Any:
    if question_type == "multi":
        return request.form.getlist("value")
    return request.form.get("value")


def _revision() -> int:
    try:
        return int(request.form.get("revision", ""))
    except ValueError:
        abort(400)


@bp.route("/field/visits/<int:visit_id>/answers/<question_id>", methods=["POST"])
@area_required("field")
def check(visit_id: int, question_id: str) -> ResponseReturnValue:
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit() or not _QID.fullmatch(question_id):
        abort(400)
    db = db_session()
    sub = visits.field_submission(db, visit)
    question = definition_of(sub.questionnaire_version).question(question_id)
    if question is None:
        abort(404)
    verdict = request.form.get("verdict", "")
    try:
        outcome = visits.check_answer(db, visit, question_id, verdict, _posted_value(question.type),
                                      request.form.get("reason"), user_id=current_user.id, base_revision=_revision())
    except visits.VisitRefused as refused:
        db.rollback()
        flash(f"{tx(question.text)}: {pick(refused.zh, refused.en)}", "warning")
        return redirect(url_for("field.visit", visit_id=visit_id) + f"#q-{question_id}")
    except StaleDataError:
        db.rollback()
        flash(pick("答案刚被其他设备修改，请查看后再试", "The answers changed on another device; check and try again"),
              "warning")
        return redirect(url_for("field.visit", visit_id=visit_id) + f"#q-{question_id}")
    if isinstance(outcome, visits.Conflict):
        db.rollback()
        ctx = visit_context(visit)
        return render_template("field/conflict.html", conflicts=[{
            "q": question, "theirs": display(question, outcome.theirs), "mine": display(question, outcome.mine),
            "mine_raw": outcome.mine, "verdict": outcome.mine_verdict, "revision": outcome.revision,
            "reason": request.form.get("reason", "")}], **ctx), 409
    db.commit()
    return redirect(url_for("field.visit", visit_id=visit_id) + f"#q-{question_id}")


@bp.route("/field/visits/<int:visit_id>/answers/<question_id>/evidence", methods=["POST"])
@area_required("field")
def add_evidence(visit_id: int, question_id: str) -> ResponseReturnValue:
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit() or not _QID.fullmatch(question_id):
        abort(400)
    file = request.files.get("file")
    data = file.read(MAX_BYTES + 1) if file else b""
    db = db_session()
    key = request.form.get("key") or None
    try:
        row = visits.attach_evidence(db, visit, question_id, (file.filename if file else "") or "evidence", data,
                                     user_id=current_user.id, root=settings.upload_dir, key=key)
    except visits.VisitRefused as refused:
        db.rollback()
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"status": "refused", "message_zh": refused.zh, "message_en": refused.en}), 422
        flash(pick(refused.zh, refused.en), "warning")
        return redirect(url_for("field.visit", visit_id=visit_id) + f"#q-{question_id}")
    db.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"status": "applied", "evidence": row.id, "key": key})
    flash(pick("证据已上传", "Evidence uploaded"), "success")
    return redirect(url_for("field.visit", visit_id=visit_id) + f"#q-{question_id}")


@bp.route("/field/visits/<int:visit_id>/notes", methods=["POST"])
@area_required("field")
def notes(visit_id: int) -> Response:
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        visits.set_notes(db, visit, (request.form.get("notes") or "")[:5000], user_id=current_user.id)
    except visits.VisitRefused as refused:
        db.rollback()
        flash(pick(refused.zh, refused.en), "warning")
        return redirect(url_for("field.visit", visit_id=visit_id))
    db.commit()
    flash(pick("走访记录已保存", "Visit notes saved"), "success")
    return redirect(url_for("field.visit", visit_id=visit_id) + "#notes")


def _expert_id() -> int:
    try:
        return int(request.form.get("expert_id", ""))
    except ValueError:
        abort(400)


@bp.route("/field/visits/<int:visit_id>/experts", methods=["POST"])
@area_required("field")
def add_visit_expert(visit_id: int) -> Response:
    """Add a 懂行人 of the visited firm's cluster to the visit; another cluster's is not found (404)."""
    return _change_visit_expert(visit_id, remove=False)


@bp.route("/field/visits/<int:visit_id>/experts/remove", methods=["POST"])
@area_required("field")
def remove_visit_expert(visit_id: int) -> Response:
    return _change_visit_expert(visit_id, remove=True)


def _change_visit_expert(visit_id: int, *, remove: bool) -> Response:
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    change = visits.detach_expert if remove else visits.attach_expert
    try:
        expert = change(db, visit, _expert_id(), user_id=current_user.id)
    except LookupError:
        db.rollback()
        abort(404)
    except visits.VisitRefused as refused:
        db.rollback()
        flash(pick(refused.zh, refused.en), "warning")
        return redirect(url_for("field.visit", visit_id=visit_id) + "#experts")
    db.commit()
    flash(pick(f"已移除懂行人：{expert.name}", f"Removed: {expert.name}") if remove
          else pick(f"已加入懂行人：{expert.name}", f"Added: {expert.name}"), "success")
    return redirect(url_for("field.visit", visit_id=visit_id) + "#experts")


@bp.route("/field/visits/<int:visit_id>/sign", methods=["POST"])
@area_required("field")
def sign(visit_id: int) -> Response:
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    try:
        assessment = visits.sign_off(db, visit, user_id=current_user.id, base_revision=_revision())
    except visits.VisitRefused as refused:
        db.rollback()
        flash(pick(refused.zh, refused.en), "warning")
        return redirect(url_for("field.visit", visit_id=visit_id) + "#sign")
    db.commit()
    flash(pick("已签字确认。核实后的诊断结果将替代企业自评用于评分。",
               "Signed off. The verified answers now replace the self-assessment for scoring."), "success")
    if assessment is not None:
        return redirect(url_for("diagnosis.show", assessment_id=assessment.id))
    return redirect(url_for("field.index"))


@bp.route("/field/visits/<int:visit_id>/sync", methods=["POST"])
@area_required("field")
def sync(visit_id: int) -> ResponseReturnValue:
    """Changes a device kept while offline: each applied once (by its key), or answered as a conflict."""
    visit = _visit_or_abort(visit_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    payload = request.get_json(silent=True) or {}
    changes = payload.get("changes")
    if not isinstance(changes, list) or len(changes) > 500:
        abort(400)
    db = db_session()
    results = []
    for change in changes:
        if not isinstance(change, dict):
            abort(400)
        try:
            results.append(visits.apply_change(db, visit, change, user_id=current_user.id))
            db.commit()
        except visits.VisitRefused as refused:
            db.rollback()
            results.append({"key": change.get("key"), "status": "refused", "message_zh": refused.zh,
                            "message_en": refused.en})
        except StaleDataError:
            db.rollback()
            results.append({"key": change.get("key"), "status": "retry"})
    sub = visits.field_submission(db, visit)
    return jsonify({"results": results, "revision": sub.revision, "answers": sub.answers})


# ---------------------------------------------------------------- evidence download


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int) -> Response:
    """A file, only for people allowed to see its enterprise, always as a download (never rendered inline)."""
    db = db_session()
    row = db.get(Evidence, evidence_id)
    sub = db.get(Submission, row.submission_id) if row is not None else None
    if row is None or sub is None or not allowed(current_user, sub.enterprise_id, "view"):
        abort(404)  # the same answer for "not yours" and "not there": ids cannot be probed
    path = visits.evidence_path(settings.upload_dir, row.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.content_type or "application/octet-stream", as_attachment=True,
                         download_name=row.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- review actions on a self-assessment


@bp.route("/field/submissions/<int:submission_id>/review", methods=["POST"])
@area_required("field")
def review(submission_id: int) -> Response:
    """Send a self-assessment back to the firm with the questions named, or reject it; with the reason."""
    sub = submission_or_abort(submission_id, "verify")
    if not ButtonForm().validate_on_submit():
        abort(400)
    new = request.form.get("state", "")
    if new not in ("has_issues", "rejected"):
        abort(400)
    db = db_session()
    questions = [q for q in request.form.getlist("questions") if _QID.fullmatch(q)]
    try:
        visits.change_review(db, sub, new, user_id=current_user.id, reason=request.form.get("reason"),
                             questions=questions)
        open_visit = db.scalar(select(Visit).where(Visit.self_submission_id == sub.id, Visit.status == "open"))
        if new == "rejected" and open_visit is not None:
            open_visit.status = "closed"
    except (visits.VisitRefused, ValueError) as refused:
        db.rollback()
        message = pick(getattr(refused, "zh", str(refused)), getattr(refused, "en", str(refused)))
        flash(message, "warning")
        return redirect(request.referrer or url_for("field.index"))
    db.commit()
    flash(pick("已记录", "Recorded"), "success")
    return redirect(url_for("field.index"))


# ---------------------------------------------------------------- whole-submission verification (kept)


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
    assessment: Assessment | None = score_one(db, sub)
    audit(db, "verify", "submission", sub.id, user_id=current_user.id, note=note or None,
          assessment=assessment.id if assessment else None)
    db.commit()
    flash(_("Verified. The diagnosis now counts as checked on site."), "success")
    return redirect(url_for("survey.submission", submission_id=sub.id))


# ---------------------------------------------------------------- the progress board (officials)


def _board_cluster() -> Cluster | None:
    """The cluster the board shows: the official's own, else the one asked for, else the first."""
    db = db_session()
    if current_user.cluster_id is not None:
        return db.get(Cluster, current_user.cluster_id)
    code = request.args.get("cluster")
    stmt = select(Cluster).order_by(Cluster.code)
    if code:
        found = db.scalar(select(Cluster).where(Cluster.code == code))
        if found is None:
            abort(404)
        return found
    return db.scalars(stmt).first()


@bp.route("/field/board")
@area_required("progress")
def board() -> str:
    db = db_session()
    cluster = _board_cluster()
    cluster_id = cluster.id if cluster else None
    built = build_board(field_board.firm_progress(db, cluster_id), now=utcnow())
    gaps, candidates, firms = field_board.gaps_and_candidates(db, cluster_id)
    clusters = list(db.scalars(select(Cluster).order_by(Cluster.code))) if current_user.cluster_id is None else []
    return render_template("field/board.html", board=built, cluster=cluster, clusters=clusters,
                           stages=STAGES, stage_labels=STAGE_LABELS, summary=cluster_gaps(gaps),
                           priorities=visit_priority(candidates, gaps)[:30], firms=firms, size_labels=SIZE_LABELS,
                           gaps=gaps)


def priorities_for(enterprises: list[Enterprise]) -> dict[int, Priority]:
    """Visit priority of these firms, estimated from the gaps seen in their clusters."""
    db = db_session()
    out: dict[int, Priority] = {}
    wanted = {e.id for e in enterprises}
    for cluster_id in sorted({e.cluster_id for e in enterprises}, key=lambda c: c or 0):
        gaps, candidates, _ = field_board.gaps_and_candidates(db, cluster_id)
        for p in visit_priority([c for c in candidates if c.enterprise_id in wanted], gaps):
            out[p.enterprise_id] = p
    return out


@bp.route("/enterprises/<int:enterprise_id>/history")
@login_required
def history(enterprise_id: int) -> str:
    """An enterprise's own trail (its submissions, reviews, visits, evidence, assignments, roster changes)."""
    enterprise = enterprise_or_abort(enterprise_id, "view")
    rows = audit_trail.query(db_session(), audit_trail.AuditFilter(enterprise_id=enterprise.id))
    return render_template("field/history.html", enterprise=enterprise, rows=rows, action_label=action_label)
