"""诊断书 downloads: the workbook the last run wrote, else one built now (never a bare 404).

An enterprise that submitted after the last pipeline run has no row in the latest portraits snapshot;
its workbook is then built from a portraits frame computed now over the whole cluster (so its
percentile and peer comparison are right), with the same functions the reports flow uses. An
enterprise with no assessment at all gets a page saying so, not an error.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from flask import abort, render_template, send_file
from werkzeug.wrappers import Response

from diagnostics import portraits as portraits_mod
from diagnostics.settings import settings
from diagnostics.store import cluster_data, report_data
from diagnostics.store.models import Cluster, Enterprise
from diagnostics.workbooks.enterprise_report import write_enterprise_report
from survey_app.dashboard.common import ClusterView
from survey_app.db import db_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_file(relative: str) -> Path:
    """A stored workbook path, refused if it would leave the report folder."""
    root = settings.report_dir.resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        abort(404)
    return path


def fresh_portraits(cluster: Cluster, view: ClusterView) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The cluster's portraits computed now from the stored assessments (what the next run would store)."""
    db = db_session()
    codes = [view.targets.questionnaire, *view.targets.modules]
    ents = cluster_data.enterprise_frame(db, cluster.id)
    assess = cluster_data.assessment_frame(db, cluster.id, codes)
    if ents.empty or assess.empty or view.taxonomy is None:
        return pd.DataFrame(columns=portraits_mod.PORTRAIT_COLUMNS), {}
    defs = cluster_data.definitions(db, assess["questionnaire_version_id"].tolist())
    frame = portraits_mod.build_portraits(ents, assess, defs, view.taxonomy, primary=view.targets.questionnaire)
    return frame, portraits_mod.feed_map(defs)


def _inputs(view: ClusterView, ids: Sequence[int]) -> list[tuple[int, str, dict[str, object]]]:
    db = db_session()
    if view.taxonomy is None:
        return []
    codes = [view.targets.questionnaire, *view.targets.modules]
    frame = view.frame
    snap = view.snapshots.get("portraits")
    feeds = cluster_data.portrait_feeds(db, snap.id) if snap is not None else {}
    if frame.empty or not set(ids) <= set(frame["enterprise_id"].astype(int)):
        frame, feeds = fresh_portraits(view.cluster, view)  # someone submitted after the last run
    return report_data.enterprise_inputs(db, view.cluster, frame, list(ids), view.taxonomy, codes, feeds)


def written_workbook(view: ClusterView, enterprise_id: int) -> Path | None:
    reports = view.snapshots.get("reports")
    written = (reports.payload.get("enterprise_workbooks") or {}).get(str(enterprise_id)) if reports else None
    if written and (settings.report_dir / written).is_file():
        return report_file(written)
    return None


def enterprise_workbook(view: ClusterView, enterprise_id: int) -> Response | None:
    """The enterprise's workbook as a download, or None when it has no assessment yet."""
    path = written_workbook(view, enterprise_id)
    if path is not None:
        return send_file(path, mimetype=XLSX, as_attachment=True, download_name=path.name)
    inputs = _inputs(view, [enterprise_id])
    if not inputs:
        return None
    _, uscc, data = inputs[0]
    buffer = io.BytesIO()
    write_enterprise_report(buffer, data)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=f"{uscc}-诊断书.xlsx")


def workbooks_zip(view: ClusterView, enterprise_ids: Sequence[int]) -> io.BytesIO:
    """A zip of the selected enterprises' workbooks (those with an assessment), built in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        pending = []
        for eid in enterprise_ids:
            path = written_workbook(view, eid)
            if path is not None:
                archive.write(path, arcname=path.name)
            else:
                pending.append(eid)
        for _eid, uscc, data in (_inputs(view, pending) if pending else []):
            one = io.BytesIO()
            write_enterprise_report(one, data)
            archive.writestr(f"{uscc}-诊断书.xlsx", one.getvalue())
    buffer.seek(0)
    return buffer


def workbook_or_page(enterprise: Enterprise) -> Response | tuple[str, int]:
    """The enterprise's 诊断书, or a page saying it has no diagnosis yet (never a bare 404)."""
    if enterprise.cluster_id is None:
        return render_template("dashboard/no_workbook.html", enterprise=enterprise), 200
    cluster = db_session().get(Cluster, enterprise.cluster_id)
    response = enterprise_workbook(ClusterView(cluster), enterprise.id) if cluster is not None else None
    if response is None:
        return render_template("dashboard/no_workbook.html", enterprise=enterprise), 200
    return response
