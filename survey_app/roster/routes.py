"""Roster import: upload → preview (what would be created, changed, refused, row by row) → confirm.

The uploaded file is kept under the upload folder by content hash between preview and confirm, and
confirm plans again against the register as it is then (someone may have imported meanwhile), so what
is written is always what the database can take; ``diagnostics.store.roster.apply`` writes it in one
transaction.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from diagnostics.field.audit import action_label, write_audit_xlsx
from diagnostics.roles import Role
from diagnostics.roster import COLUMN_LABELS, TAG_LABELS, UNIT_TYPES, looks_like_formula
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import audit_trail as audit_trail_store
from diagnostics.store import field_board
from diagnostics.store import roster as roster_store
from diagnostics.store.audit_trail import AuditFilter
from diagnostics.store.models import Assignment, Cluster, User
from diagnostics.store.models_field import RosterImport
from survey_app.access import area_required
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import lang, pick
from survey_app.roster import bp

ALLOWED = (".csv", ".xlsx", ".xlsm", ".xls")
MAX_BYTES = 10 * 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _store_dir() -> Path:
    folder = settings.upload_dir / "roster"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clusters() -> list[Cluster]:
    stmt = select(Cluster).order_by(Cluster.code)
    if current_user.cluster_id is not None:  # a city official imports into the city's cluster only
        stmt = stmt.where(Cluster.id == current_user.cluster_id)
    return list(db_session().scalars(stmt))


def _cluster_code(clusters: list[Cluster]) -> str | None:
    wanted = (request.form.get("cluster") or "").strip()
    if current_user.cluster_id is not None:
        return clusters[0].code if clusters else None
    if wanted and wanted not in {c.code for c in clusters}:
        abort(400)
    return wanted or None


@bp.route("/roster/", methods=["GET", "POST"])
@area_required("roster")
def upload() -> ResponseReturnValue:
    clusters = _clusters()
    form = ButtonForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        file = request.files.get("file")
        name = Path(file.filename or "").name if file else ""
        data = file.read(MAX_BYTES + 1) if file else b""
        if not name or not data:
            error = pick("请选择一个名录文件（CSV 或 XLSX）。", "Choose a roster file (CSV or XLSX).")
        elif Path(name).suffix.lower() not in ALLOWED:
            error = pick(f"“{name}”不是 CSV 或 XLSX 文件。", f"'{name}' is not a CSV or XLSX file.")
        elif len(data) > MAX_BYTES:
            error = pick("文件超过 10 MB。", "The file is larger than 10 MB.")
        else:
            sha = hashlib.sha256(data).hexdigest()
            (_store_dir() / sha).write_bytes(data)
            return _preview(sha, name, _cluster_code(clusters))
    recent = list(db_session().scalars(select(RosterImport).order_by(RosterImport.id.desc()).limit(10)))
    return render_template("roster/upload.html", form=form, clusters=clusters, error=error, recent=recent), \
        (422 if error else 200)


def _preview(sha: str, name: str, cluster_code: str | None) -> str:
    prev = roster_store.preview(db_session(), (_store_dir() / sha).read_bytes(), name, cluster_code=cluster_code)
    db_session().rollback()
    return render_template("roster/preview.html", prev=prev, plan=prev.plan, sha=sha, filename=name,
                           cluster_code=cluster_code or "", form=ButtonForm(), labels=COLUMN_LABELS,
                           unit_types=UNIT_TYPES, tag_labels=TAG_LABELS, size_labels=SIZE_LABELS,
                           formula=looks_like_formula)


@bp.route("/roster/confirm", methods=["POST"])
@area_required("roster")
def confirm() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    sha = request.form.get("sha", "")
    name = Path(request.form.get("filename", "")).name
    if not _SHA.fullmatch(sha) or not (_store_dir() / sha).is_file() or not name:
        abort(400)
    code = _cluster_code(_clusters())
    db = db_session()
    prev = roster_store.preview(db, (_store_dir() / sha).read_bytes(), name, cluster_code=code)
    record = roster_store.apply(db, prev, filename=name, user_id=current_user.id)
    flash(pick(f"已导入：新增 {record.created} 家，更新 {record.updated} 家，未变 {record.unchanged} 家，"
               f"拒收 {record.refused} 行。",
               f"Imported: {record.created} created, {record.updated} updated, {record.unchanged} unchanged, "
               f"{record.refused} rows refused."), "success")
    return redirect(url_for("roster.upload"))


# ---------------------------------------------------------------- assignments in bulk


def _filter_from(args: Any) -> field_board.Filter:
    return field_board.Filter(
        cluster_id=current_user.cluster_id, region=(args.get("region") or "").strip() or None,
        chain_link=(args.get("link") or "").strip() or None, unit_type=(args.get("unit_type") or "") or None,
        size_class=(args.get("size") or "") or None, unassigned_only=args.get("unassigned") == "1",
        search=(args.get("q") or "").strip() or None)


@bp.route("/assign", methods=["GET", "POST"])
@area_required("assignments")
def assign() -> ResponseReturnValue:
    """Choose enterprises by region, chain link, unit type, size or search; assign (or reassign) in one go."""
    db = db_session()
    commissioners = list(db.scalars(select(User).where(User.role == Role.COMMISSIONER, User.active.is_(True))
                                    .order_by(User.username)))
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        try:
            commissioner_id = int(request.form.get("commissioner_id", ""))
        except ValueError:
            abort(400)
        if commissioner_id not in {u.id for u in commissioners}:
            abort(400)
        chosen = {int(x) for x in request.form.getlist("enterprise_ids") if x.isdigit()}
        if request.form.get("all_matching") == "1":
            chosen = {e.id for e in field_board.select_enterprises(db, _filter_from(request.form))}
        allowed_ids = {e.id for e in field_board.select_enterprises(db, field_board.Filter(
            cluster_id=current_user.cluster_id), limit=1_000_000)} if current_user.cluster_id else None
        if allowed_ids is not None:
            chosen &= allowed_ids  # a city official assigns only the city's firms
        added, removed = field_board.assign_many(db, sorted(chosen), commissioner_id, user_id=current_user.id,
                                                 replace=request.form.get("replace") == "1")
        db.commit()
        flash(pick(f"已分派 {added} 家，移除原分派 {removed} 个。",
                   f"{added} assigned, {removed} earlier assignments removed."), "success")
        kept = ("region", "link", "unit_type", "size", "unassigned", "q")
        query: dict[str, Any] = {k: v for k, v in request.form.items() if k in kept}
        return redirect(url_for("roster.assign", **query))
    f = _filter_from(request.args)
    rows = field_board.select_enterprises(db, f, limit=500)
    ids = [e.id for e in rows]
    assigned: dict[int, list[str]] = {}
    for eid, name in db.execute(select(Assignment.enterprise_id, User.username).join(
            User, User.id == Assignment.user_id).where(Assignment.enterprise_id.in_(ids))) if ids else []:
        assigned.setdefault(eid, []).append(name)
    return render_template("roster/assign.html", rows=rows, assigned=assigned, commissioners=commissioners,
                           args=request.args, form=ButtonForm(), unit_types=UNIT_TYPES, size_labels=SIZE_LABELS)


# ---------------------------------------------------------------- the audit trail


def _audit_filter() -> AuditFilter:
    args = request.args

    def number(name: str) -> int | None:
        value = args.get(name, "")
        return int(value) if value.isdigit() else None

    def day(name: str, plus: int = 0) -> datetime | None:
        try:
            return datetime.strptime(args.get(name, ""), "%Y-%m-%d") + timedelta(days=plus)
        except ValueError:
            return None

    return AuditFilter(enterprise_id=number("enterprise"), user_id=number("user"),
                       action=(args.get("action") or "").strip() or None, date_from=day("from"),
                       date_to=day("to", 1), cluster_id=current_user.cluster_id)


@bp.route("/audit")
@area_required("audit")
def audit_trail() -> str:
    db = db_session()
    rows = audit_trail_store.query(db, _audit_filter())
    users = list(db.scalars(select(User).order_by(User.username)))
    return render_template("roster/audit.html", rows=rows, users=users, actions=audit_trail_store.actions_in_log(db),
                           args=request.args, action_label=action_label)


@bp.route("/audit.xlsx")
@area_required("audit")
def audit_export() -> Response:
    rows = audit_trail_store.query(db_session(), _audit_filter(), limit=100_000)
    buffer = io.BytesIO()
    write_audit_xlsx(rows, buffer, locale=lang())
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="audit-trail.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
