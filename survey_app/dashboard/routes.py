"""The officials' overview: pilot indicators, survey progress, levels, the last run and "run now".

Officials (``admin``) and experts (``viewer``) land here. Everything shown comes from the latest
snapshots the pipeline stored (read through ``dashboard.adapters``) and from the survey tables (progress,
what changed since the last run). Run details a developer needs (snapshot hashes, Prefect flow-run ids,
timings) are on the technical page, for admins only. The other pages: ``map_pages`` (industry map),
``directory`` (enterprises and portraits), ``pilot_pages`` (needs and shortlist), ``downloads``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from diagnostics.settings import settings
from diagnostics.store import cluster_data, console
from flows.trigger import run_now
from survey_app.access import area_required, enterprise_or_abort
from survey_app.dashboard import adapters, bp, figures
from survey_app.dashboard.common import KINDS, cluster_name, clusters, current_view, size_names, view_for
from survey_app.dashboard.workbooks import XLSX, report_file, workbook_or_page
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick

STAGE_LABELS = {"registered": ("已登记", "Registered"), "drafting": ("填报中", "Drafting"),
                "submitted": ("已提交", "Submitted"), "verified": ("已现场核验", "Verified on site")}
RUN_STATE_LABELS = {"queued": ("排队中", "queued"), "running": ("运行中", "running"), "done": ("已完成", "done"),
                    "failed": ("失败", "failed")}
KIND_LABELS = {"portraits": ("企业画像", "Portraits"), "needs": ("共性需求", "Needs"),
               "industry_map": ("场景图谱", "Industry map"), "shortlist": ("试点名单", "Shortlist"),
               "reports": ("诊断报表", "Workbooks"), "research_report": ("研究报告", "Research report"),
               "survey_report": ("调研诊断报告", "Survey report")}
RUN_STATUS = {"completed": ("已完成", "completed"), "running": ("运行中", "running"), "failed": ("失败", "failed"),
              "abandoned": ("已中断（进程已退出）", "abandoned (its process died)")}


def stage_names() -> dict[str, str]:
    return {k: pick(*v) for k, v in STAGE_LABELS.items()}


def _request_json(row: Any) -> dict[str, Any]:
    if row is None:
        return {"state": None, "label": pick("尚未从看板运行", "not run from the dashboard yet")}
    return {"id": row.id, "state": row.state, "label": pick(*RUN_STATE_LABELS[row.state]),
            "message": row.message or "", "requested_at": row.requested_at.strftime("%Y-%m-%d %H:%M"),
            "finished_at": row.finished_at.strftime("%Y-%m-%d %H:%M") if row.finished_at else None}


@bp.route("/")
@area_required("dashboard")
def index() -> str:
    if not clusters() and request.args.get("cluster") is None:
        return render_template("dashboard/no_cluster.html")  # a fresh installation: say so, don't 404
    view = current_view()
    db = db_session()
    cluster = view.cluster
    imap, portraits = view.payload("industry_map"), view.payload("portraits")
    stages = console.enterprise_stages(db, cluster.id, view.targets.questionnaire)
    progress = console.progress(stages)
    last = console.last_run(db, cluster.id)
    done = console.last_completed_run(db, cluster.id)
    changed = console.changes_since(db, cluster.id, done.started_at if done else None)
    sizes = size_names()
    by_size = adapters.levels_by_size(portraits)
    by_link = adapters.levels_by_link(portraits, view.frame, list(view.link_names))
    return render_template(
        "dashboard/index.html", view=view, cluster=cluster, clusters=clusters(), name=cluster_name(cluster),
        indicators=adapters.indicator_rows(imap), progress=progress, stage_names=stage_names(),
        link_names=view.link_names, size_names=sizes, last_run=last, last_done=done, changed=changed,
        run_status=RUN_STATUS, run_request=_request_json(console.latest_request(db)),
        level_counts=adapters.level_counts(portraits), types=adapters.portrait_types(portraits),
        cross_tabs=adapters.cross_tabs(portraits),
        portraits=portraits, has_snapshots=bool(view.snapshots),
        fig_size=figures.level_bars(by_size, sizes, pick("按规模", "By size")) if by_size else None,
        fig_link=(figures.level_bars(by_link, view.link_names, pick("按产业链环节", "By chain link"))
                  if by_link else None),
        fig_progress_region=(figures.stage_bars(progress.by_region, {"": pick("未填写", "not given")}, stage_names(),
                                                pick("按区县", "By district")) if progress.by_region else None),
        fig_progress_link=(figures.stage_bars(progress.by_link, view.link_names, stage_names(),
                                              pick("按产业链环节", "By chain link")) if progress.by_link else None),
        level_name=figures.level_name, form=ButtonForm())


@bp.route("/run", methods=["POST"])
@area_required("pilot_decisions")
def run() -> Response:
    """Run the pipeline now (one request at a time); the overview polls its state."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    already = console.active_request(db)
    row = console.open_request(db, None, "prefect" if settings.prefect_api_url else "embedded", current_user.id)
    db.commit()
    if already is None:
        run_now(row.id, None)
        flash(pick("已开始运行流水线，完成后看板自动更新。",
                   "The pipeline run has started; the dashboard updates when it is done."), "success")
    else:
        flash(pick("流水线已在运行，请等待其完成。",
                   "A pipeline run is already under way; wait for it to finish."), "info")
    return redirect(url_for("dashboard.index", cluster=request.form.get("cluster") or None))


@bp.route("/run/state")
@area_required("dashboard")
def run_state() -> Response:
    db = db_session()
    console.active_request(db)  # closes a request whose process died
    db.commit()
    return jsonify(_request_json(console.latest_request(db)))


@bp.route("/technical")
@area_required("technical")
def technical() -> str:
    """For admins: each view's snapshot (hash, Prefect flow run) and the run history with timings."""
    view = current_view()
    runs = cluster_data.snapshot_history(db_session(), view.cluster.id, limit=200)
    return render_template("dashboard/technical.html", view=view, cluster=view.cluster, name=cluster_name(view.cluster),
                           clusters=clusters(), runs=runs, kinds=KINDS, kind_labels=KIND_LABELS, run_status=RUN_STATUS,
                           stage_labels={**KIND_LABELS, "score": ("评分", "Scoring"),
                                         "unchanged_check": ("输入未变检查", "Unchanged-input check")})


@bp.route("/<cluster_code>/history")
@area_required("technical")
def history(cluster_code: str) -> Response:
    return redirect(url_for("dashboard.technical", cluster=view_for(cluster_code).cluster.code))


@bp.route("/<cluster_code>/workbook.xlsx")
@area_required("dashboard")
def cluster_workbook(cluster_code: str) -> Response:
    view = view_for(cluster_code)
    snap = view.snapshots.get("reports")
    if snap is None:
        abort(404)
    path = report_file(snap.payload["cluster_workbook"])
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=f"{view.cluster.code}-诊断汇总.xlsx")


@bp.route("/enterprises/<int:enterprise_id>/workbook.xlsx")
@area_required("dashboard")
def enterprise_workbook(enterprise_id: int) -> Response | tuple[str, int]:
    """Officials' link: the same download, within the official's cluster."""
    enterprise = enterprise_or_abort(enterprise_id, "view")
    return workbook_or_page(enterprise)
