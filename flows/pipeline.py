"""The pipeline flow: score, then per cluster portraits -> needs -> industry map -> shortlist -> reports
-> research report (the 行业数字化转型研究报告 and the survey report, ``flows/research_report.py``).

Data flows one way. Each stage is a subflow that hands the next one snapshot ids per cluster (plain
integers, so no frame is ever serialised into Prefect): needs, map and shortlist read the portraits
snapshot of this very run, reports read all four. One ``PipelineRun`` row per cluster records the Prefect flow-run
id, start and end, the snapshot each stage produced or re-used, and the stage timings. Payloads carry
no run ids or times, so an unchanged cluster gives the same snapshots and writes no new rows.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from prefect import flow

from diagnostics.settings import settings
from diagnostics.store import cluster_data, inputs_digest, report_data
from diagnostics.store.db import get_engine, session_scope
from diagnostics.store.models import PipelineRun
from flows.context import DIRECT, PREFECT, Clusters, Runner, close_run, cluster_codes, fail_run, open_run
from flows.industry_map import industry_map_flow, run_industry_map
from flows.needs import needs_flow, run_needs
from flows.portraits import portraits_flow, run_portraits
from flows.reports import reports_flow, run_reports
from flows.research_report import research_report_flow, run_research_report
from flows.score import run_score, score_flow
from flows.shortlist import run_shortlist, shortlist_flow

STAGES = ("score", "portraits", "needs", "industry_map", "shortlist", "reports", "research_report")


VIEWS = ("portraits", "needs", "industry_map", "shortlist", "reports")


def check_unchanged(codes: list[str], scope: str) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, Any]]]:
    """(inputs digest per cluster, rows digest per cluster, reusable snapshot refs per unchanged cluster):
    one step, before any stage recomputes (``diagnostics.store.inputs_digest``). The rows digest is
    what the research-report stage's own digest is made from, so it is computed once per run."""
    digests: dict[str, str] = {}
    rows: dict[str, str] = {}
    reuse: dict[str, dict[str, Any]] = {}
    with session_scope(get_engine()) as s:
        for code in codes:
            cluster_id = cluster_data.cluster_by_code(s, code).id
            rows[code] = inputs_digest.rows_digest(s, cluster_id)
            digests[code] = inputs_digest.inputs_digest(s, cluster_id, report_scope=scope, rows=rows[code])
            refs = inputs_digest.reusable_run(s, cluster_id, digests[code], VIEWS, settings.report_dir)
            if refs is not None:
                reuse[code] = refs
    return digests, rows, reuse


def clear_residue(started: float) -> dict[str, Any]:
    """What a killed earlier run left: its "running" rows (marked abandoned when their process is gone)
    and its half-written ``.tmp`` files in the report folder (removed). ``started``: this run's start."""
    with session_scope(get_engine()) as s:
        abandoned = cluster_data.abandon_dead_runs(s, stale_after=timedelta(hours=settings.pipeline_stale_hours))
    removed = report_data.remove_orphan_tmp(settings.report_dir, before=started)
    return {"abandoned_runs": abandoned, "removed_tmp": [str(p) for p in removed]}


def link_snapshots(run_id: int, refs: dict[str, Any]) -> None:
    with session_scope(get_engine()) as s:
        cluster_data.update_run(s, run_id, snapshots=refs)


def run_pipeline_stages(cluster: str | None = None, *, scope: str | None = None, force: bool = False,
                        runner: Runner = DIRECT) -> dict[str, Any]:
    """Run every stage (the body of ``pipeline_flow``; ``DIRECT`` runs it without Prefect).

    Each stage is one subflow for all clusters (a subflow costs ~0.3 s of API round trips; one per
    cluster and stage would cost more than some stages' work). After scoring, a cluster whose inputs
    digest equals its last completed run's (and whose snapshots and workbooks are all still there) is
    not recomputed at all: the run links those snapshots (``force`` recomputes anyway). When only some
    clusters changed, the stages run for those (``context.per_cluster``: side by side when worth it).
    """
    timings = dict.fromkeys(STAGES, 0.0)
    scope = scope or settings.report_scope
    residue = runner.task(clear_residue, time.time())
    if residue["abandoned_runs"] or residue["removed_tmp"]:
        runner.log(f"pipeline: {len(residue['abandoned_runs'])} runs left running by a dead process marked "
                   f"abandoned {residue['abandoned_runs']}, {len(residue['removed_tmp'])} half-written files removed")

    def timed(stage: str, *call: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return runner.flow(*call, **kwargs)
        finally:
            timings[stage] += time.perf_counter() - start

    scored = timed("score", score_flow, run_score, cluster)
    codes = cluster_codes(cluster)
    flow_run_id = runner.flow_run_id()
    run_ids = {code: open_run(code, "pipeline", flow_run_id) for code in codes}
    try:
        start = time.perf_counter()
        digests, rows, reuse = runner.task(check_unchanged, codes, scope)
        if force:
            reuse = {}
        timings["unchanged_check"] = time.perf_counter() - start
        for code, refs in reuse.items():
            link_snapshots(run_ids[code], refs)
            runner.log(f"pipeline[{code}]: inputs unchanged since the last run ({digests[code][:12]}), "
                       "its snapshots re-used, nothing recomputed")
        changed = [c for c in codes if c not in reuse]
        # every stage once, for the clusters that changed (side by side when they are worth it)
        target: Clusters = cluster if len(changed) == len(codes) else changed
        if changed:
            ids = {c: run_ids[c] for c in changed}
            p = timed("portraits", portraits_flow, run_portraits, target, run_ids=ids)
            n = timed("needs", needs_flow, run_needs, target, portraits=p, run_ids=ids)
            m = timed("industry_map", industry_map_flow, run_industry_map, target, portraits=p, run_ids=ids)
            s = timed("shortlist", shortlist_flow, run_shortlist, target, portraits=p, run_ids=ids)
            snaps = {c: {"portraits": p[c], "needs": n[c], "industry_map": m[c], "shortlist": s[c]} for c in p}
            timed("reports", reports_flow, run_reports, target, snapshots=snaps, run_ids=ids, scope=scope)
        # every cluster, changed or not: the reports also read the programme records, which the views'
        # digest leaves out, so the stage keeps them by its own digest (``documents_digest``)
        timed("research_report", research_report_flow, run_research_report, cluster, run_ids=run_ids, force=force,
              rows=rows)
    except BaseException as exc:
        for run_id in run_ids.values():
            fail_run(run_id, exc)
        raise
    summary: dict[str, Any] = {"score": scored, "clusters": {}, "residue": residue}
    for code, run_id in run_ids.items():
        close_run(run_id, "completed", scored=scored, timings={k: round(v, 3) for k, v in timings.items()},
                  inputs_digest=digests[code], reused=code in reuse)
        with session_scope(get_engine()) as session:
            run = session.get(PipelineRun, run_id)
            got = (run.stats or {}).get("snapshots", {}) if run else {}
        summary["clusters"][code] = {"run_id": run_id, "snapshots": got, "reused": code in reuse}
        runner.log(f"pipeline[{code}]: done, snapshots "
                   + ", ".join(f"{k}={v['id']}{'*' if v['new'] else ''}" for k, v in got.items()) + " (* = new)")
    summary["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return summary


@flow(name="pipeline", persist_result=False)
def pipeline_flow(cluster: str | None = None, scope: str | None = None, force: bool = False) -> dict[str, Any]:
    """Score what is pending and rebuild every changed cluster's views (one cluster, or all)."""
    return run_pipeline_stages(cluster, scope=scope, force=force, runner=PREFECT)
