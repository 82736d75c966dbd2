"""The cluster dashboard (read-only): what the pipeline last computed for a cluster, and its history.

Officials (``admin``) and experts (``viewer``) read here the latest snapshot of every view the flows
store: levels and portrait types, ranked common needs, the scenario map with coverage, the indicator
table against the pilot's targets, the shortlist with its reasons, and the workbooks to download. An
official bound to one cluster (``users.cluster_id``) sees only that cluster. Nothing is computed here
except an enterprise workbook that the last run did not write, which is built on demand from the latest
portraits snapshot (the same functions the reports flow uses).

Which snapshot is "latest" is the one the most recent completed pipeline run saw
(``cluster_data.latest_snapshot``); the history page lists every run with its Prefect flow-run id, its
times, and whether each view was new or re-used.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import abort, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from diagnostics.pilot import targets_for_cluster
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import cluster_data, report_data
from diagnostics.store.models import Cluster
from diagnostics.taxonomy import load_taxonomy
from diagnostics.workbooks.enterprise_report import write_enterprise_report
from survey_app.access import area_required, enterprise_or_abort, visible_clusters
from survey_app.dashboard import bp
from survey_app.db import db_session

KINDS = ("portraits", "needs", "industry_map", "shortlist", "reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _clusters() -> list[Cluster]:
    return visible_clusters(current_user)


def _cluster_or_abort(code: str | None) -> Cluster:
    clusters = _clusters()
    if not clusters:
        abort(404)
    if code is None:
        return clusters[0]
    found = next((c for c in clusters if c.code == code), None)
    if found is None:  # another city's cluster answers as a missing one (access.py: uniform 404)
        abort(404)
    return found


def _latest(cluster: Cluster) -> dict[str, Any]:
    db = db_session()
    out = {}
    for kind in KINDS:
        snap = cluster_data.latest_snapshot(db, cluster.id, kind)
        if snap is not None:
            out[kind] = snap
    return out


@bp.route("/")
@area_required("dashboard")
def index() -> str:
    if not _clusters() and request.args.get("cluster") is None:
        return render_template("dashboard/no_cluster.html")  # a fresh installation: say so, don't 404
    cluster = _cluster_or_abort(request.args.get("cluster"))
    latest = _latest(cluster)
    payload = {k: s.payload for k, s in latest.items()}
    imap = payload.get("industry_map") or {}
    return render_template(
        "dashboard/index.html", cluster=cluster, clusters=_clusters(), latest=latest, p=payload,
        scenarios={s["code"]: s for s in imap.get("scenarios", [])},
        links={c["code"]: c for c in imap.get("links", [])},
        history=cluster_data.snapshot_history(db_session(), cluster.id, limit=5), size_labels=SIZE_LABELS,
    )


@bp.route("/<cluster_code>/history")
@area_required("dashboard")
def history(cluster_code: str) -> str:
    cluster = _cluster_or_abort(cluster_code)
    runs = cluster_data.snapshot_history(db_session(), cluster.id, limit=200)
    return render_template("dashboard/history.html", cluster=cluster, runs=runs, kinds=KINDS)


def _report_file(relative: str) -> Path:
    """A stored workbook path, refused if it would leave the report folder."""
    root = settings.report_dir.resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        abort(404)
    return path


@bp.route("/<cluster_code>/workbook.xlsx")
@area_required("dashboard")
def cluster_workbook(cluster_code: str) -> Response:
    cluster = _cluster_or_abort(cluster_code)
    snap = cluster_data.latest_snapshot(db_session(), cluster.id, "reports")
    if snap is None:
        abort(404)
    path = _report_file(snap.payload["cluster_workbook"])
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=f"{cluster.code}-诊断汇总.xlsx")


@bp.route("/enterprises/<int:enterprise_id>/workbook.xlsx")
@area_required("dashboard")
def enterprise_workbook(enterprise_id: int) -> Response:
    """The enterprise's diagnosis workbook: the one the last run wrote, else built now."""
    db = db_session()
    enterprise = enterprise_or_abort(enterprise_id)
    if enterprise.cluster_id is None:
        abort(404)
    cluster = _cluster_or_abort(db.scalar(select(Cluster.code).where(Cluster.id == enterprise.cluster_id)))
    reports = cluster_data.latest_snapshot(db, cluster.id, "reports")
    written = (reports.payload.get("enterprise_workbooks") or {}).get(str(enterprise_id)) if reports else None
    if written and (settings.report_dir / written).is_file():
        return send_file(_report_file(written), mimetype=XLSX, as_attachment=True, download_name=Path(written).name)
    portraits_snap = cluster_data.latest_snapshot(db, cluster.id, "portraits")
    if portraits_snap is None:
        abort(404)
    frame = cluster_data.portraits_frame(db, portraits_snap.id)
    targets = targets_for_cluster(cluster.pilot_code)
    inputs = report_data.enterprise_inputs(
        db, cluster, frame, [enterprise_id], load_taxonomy(cluster.industry),
        [targets.questionnaire, *targets.modules], cluster_data.portrait_feeds(db, portraits_snap.id))
    if not inputs:
        abort(404)
    _, uscc, data = inputs[0]
    buffer = io.BytesIO()
    write_enterprise_report(buffer, data)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=f"{uscc}-诊断书.xlsx")
