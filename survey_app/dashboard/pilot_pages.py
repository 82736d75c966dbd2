"""Needs (overall, per chain link, per size class, with their definition) and the pilot shortlist
(each quota's check, each pick's reasons), where an admin pins or excludes an enterprise with a reason
and re-runs the shortlist at once. Pins are stored (``shortlist_pins``), audited, and passed to
``diagnostics.shortlist.select_shortlist`` by this page and by the pipeline's shortlist stage."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from diagnostics.shortlist import select_shortlist
from diagnostics.store import cluster_data, console
from survey_app.access import area_required, enterprise_or_abort
from survey_app.dashboard import adapters, bp, figures
from survey_app.dashboard.common import ClusterView, cluster_name, clusters, current_view, size_names, view_for
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick


@bp.route("/needs")
@area_required("dashboard")
def needs() -> str:
    view = current_view()
    payload = view.payload("needs")
    overall, by_link = adapters.needs_overall(payload), adapters.needs_by_link(payload)
    return render_template(
        "dashboard/needs.html", view=view, clusters=clusters(), name=cluster_name(view.cluster),
        has=bool(payload), definition=adapters.needs_definition(payload) if payload else None,
        overall=overall, by_link=by_link,
        fig_needs=figures.need_matrix(overall, view.link_names, float(payload.get("common_share") or 0),
                                      float(payload.get("common_intensity") or 0)) if overall else None,
        fig_links=figures.link_need_bars(by_link, view.link_names) if by_link else None,
        by_size=adapters.needs_by_size(payload), assessed=payload.get("assessed"), link_names=view.link_names,
        scenario_names=view.scenario_names, size_names=size_names())


@bp.route("/shortlist")
@area_required("dashboard")
def shortlist() -> str:
    view = current_view()
    payload = view.payload("shortlist")
    pins = console.active_pins(db_session(), view.cluster.id)
    names = {}
    if not view.frame.empty:
        names = dict(zip(view.frame["enterprise_id"].astype(int), view.frame["name"], strict=True))
    return render_template(
        "dashboard/shortlist.html", view=view, clusters=clusters(), name=cluster_name(view.cluster),
        has=bool(payload), sl=adapters.shortlist_view(payload), pins=pins, names=names, size_names=size_names(),
        link_names=view.link_names, form=ButtonForm(), candidates=sorted(names.items(), key=lambda kv: kv[1]))


def rerun_shortlist(view: ClusterView, user_id: int | None) -> int:
    """Select the shortlist again on the latest portraits with the current pins; store it as a run."""
    db = db_session()
    frame = view.frame
    if frame.empty or view.taxonomy is None:
        raise LookupError("no portraits yet / 尚无画像数据")
    defs = cluster_data.definitions(db, frame["questionnaire_version_id"].dropna().astype(int).unique())
    pins = console.active_pins(db, view.cluster.id)
    payload = select_shortlist(frame, view.targets.quotas, [c.code for c in view.taxonomy.chain_links],
                               max_score=max((q.max_score for q in defs.values()), default=100.0),
                               link_names={c.code: c.name.model_dump() for c in view.taxonomy.chain_links},
                               pinned=pins["pinned"], excluded_by_official=pins["excluded"])
    run_id = cluster_data.start_run(db, view.cluster.id, None, "shortlist")
    snapshot_id, _ = cluster_data.save_snapshot(db, view.cluster.id, "shortlist", payload, run_id=run_id,
                                                flow_run_id=None)
    cluster_data.update_run(db, run_id, status="completed", requested_by=user_id)
    return snapshot_id


@bp.route("/<cluster_code>/shortlist/pins", methods=["POST"])
@area_required("pilot_decisions")
def pin(cluster_code: str) -> Response:
    """Pin, exclude or release an enterprise (a reason is required to pin or exclude), then re-run."""
    view = view_for(cluster_code)
    if not ButtonForm().validate_on_submit():
        abort(400)
    eid = request.form.get("enterprise_id", type=int)
    kind = request.form.get("kind", "")
    reason = (request.form.get("reason") or "").strip()
    if eid is None:
        abort(400)
    enterprise = enterprise_or_abort(eid, "view")
    if enterprise.cluster_id != view.cluster.id:
        abort(400)
    db = db_session()
    if kind == "release":
        console.remove_pin(db, view.cluster.id, eid, current_user.id)
    elif kind in ("pinned", "excluded"):
        if not reason:
            flash(pick("请填写理由：确定入选或排除都需要说明原因。",
                       "Give a reason: pinning or excluding needs one."), "error")
            return redirect(url_for("dashboard.shortlist", cluster=view.cluster.code))
        console.set_pin(db, view.cluster.id, eid, kind, reason[:500], current_user.id)
    else:
        abort(400)
    try:
        rerun_shortlist(view, current_user.id)
        flash(pick("已保存并重新生成试点名单。", "Saved; the shortlist was selected again."), "success")
    except LookupError:
        flash(pick("已保存；尚无画像数据，名单将在流水线运行后生成。",
                   "Saved; there are no portraits yet, the shortlist follows the next pipeline run."), "info")
    db.commit()
    return redirect(url_for("dashboard.shortlist", cluster=view.cluster.code))


@bp.route("/<cluster_code>/shortlist/rerun", methods=["POST"])
@area_required("pilot_decisions")
def shortlist_rerun(cluster_code: str) -> Response:
    view = view_for(cluster_code)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        rerun_shortlist(view, current_user.id)
        db_session().commit()
        flash(pick("已重新生成试点名单。", "The shortlist was selected again."), "success")
    except LookupError:
        flash(pick("尚无画像数据：请先运行流水线。", "No portraits yet: run the pipeline first."), "error")
    return redirect(url_for("dashboard.shortlist", cluster=view.cluster.code))
