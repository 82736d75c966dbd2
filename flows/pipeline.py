"""The pipeline flow: score, then per cluster portraits -> needs -> industry map -> shortlist -> reports.

Data flows one way. Each stage is a subflow that hands the next one snapshot ids per cluster (plain
integers, so no frame is ever serialised into Prefect): needs, map and shortlist read the portraits
snapshot of this very run, reports read all four. One ``PipelineRun`` row per cluster records the Prefect flow-run
id, start and end, the snapshot each stage produced or re-used, and the stage timings. Payloads carry
no run ids or times, so an unchanged cluster gives the same snapshots and writes no new rows.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from diagnostics.store.db import get_engine, session_scope
from diagnostics.store.models import PipelineRun
from flows.context import DIRECT, PREFECT, Runner, close_run, cluster_codes, open_run
from flows.industry_map import industry_map_flow, run_industry_map
from flows.needs import needs_flow, run_needs
from flows.portraits import portraits_flow, run_portraits
from flows.reports import reports_flow, run_reports
from flows.score import run_score, score_flow
from flows.shortlist import run_shortlist, shortlist_flow

STAGES = ("score", "portraits", "needs", "industry_map", "shortlist", "reports")


def run_pipeline_stages(cluster: str | None = None, *, scope: str | None = None,
                        runner: Runner = DIRECT) -> dict[str, Any]:
    """Run every stage (the body of ``pipeline_flow``; ``DIRECT`` runs it without Prefect).

    Each stage is one subflow for all clusters (a subflow costs ~0.3 s of API round trips; one per
    cluster and stage would cost more than some stages' work).
    """
    timings = dict.fromkeys(STAGES, 0.0)

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
        p = timed("portraits", portraits_flow, run_portraits, cluster, run_ids=run_ids)
        n = timed("needs", needs_flow, run_needs, cluster, portraits=p, run_ids=run_ids)
        m = timed("industry_map", industry_map_flow, run_industry_map, cluster, portraits=p, run_ids=run_ids)
        s = timed("shortlist", shortlist_flow, run_shortlist, cluster, portraits=p, run_ids=run_ids)
        snaps = {c: {"portraits": p[c], "needs": n[c], "industry_map": m[c], "shortlist": s[c]} for c in codes}
        timed("reports", reports_flow, run_reports, cluster, snapshots=snaps, run_ids=run_ids, scope=scope)
    except BaseException as exc:
        for run_id in run_ids.values():
            close_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    summary: dict[str, Any] = {"score": scored, "clusters": {}}
    for code, run_id in run_ids.items():
        close_run(run_id, "completed", scored=scored, timings={k: round(v, 3) for k, v in timings.items()})
        with session_scope(get_engine()) as session:
            run = session.get(PipelineRun, run_id)
            got = (run.stats or {}).get("snapshots", {}) if run else {}
        summary["clusters"][code] = {"run_id": run_id, "snapshots": got}
        runner.log(f"pipeline[{code}]: done, snapshots "
                   + ", ".join(f"{k}={v['id']}{'*' if v['new'] else ''}" for k, v in got.items()) + " (* = new)")
    summary["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return summary


@flow(name="pipeline", persist_result=False)
def pipeline_flow(cluster: str | None = None, scope: str | None = None) -> dict[str, Any]:
    """Score what is pending and rebuild every cluster view (one cluster, or all)."""
    return run_pipeline_stages(cluster, scope=scope, runner=PREFECT)
