"""Roster import: upload → preview (what would be created, changed, refused, row by row) → confirm.

The uploaded file is kept under the upload folder by content hash between preview and confirm, and
confirm plans again against the register as it is then (someone may have imported meanwhile), so what
is written is always what the database can take; ``diagnostics.store.roster.apply`` writes it in one
transaction.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from diagnostics.roster import COLUMN_LABELS, TAG_LABELS, UNIT_TYPES, looks_like_formula
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import roster as roster_store
from diagnostics.store.models import Cluster
from diagnostics.store.models_field import RosterImport
from survey_app.access import area_required
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick
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


@bp.route("/", methods=["GET", "POST"])
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


@bp.route("/confirm", methods=["POST"])
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
