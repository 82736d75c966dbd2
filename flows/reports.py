"""Reports flow: the cluster workbook and the enterprise diagnosis workbooks (一企一诊断书).

Workbooks are content-named (``diagnostics.store.report_data``): a rerun on unchanged data writes no
file. Which enterprises get a workbook each run is ``settings.report_scope``: ``shortlist`` (default:
the pilot picks and near misses; every other enterprise's workbook is built on demand from the
dashboard) or ``all``. Writing one xlsx costs ~20-30 ms in xlsxwriter, so "all" on a 10 000-firm first
run takes minutes; afterwards only changed enterprises are rewritten. Enterprise workbooks are written
in batches of ``settings.report_batch_size`` per task, with a progress line per batch.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from diagnostics.settings import settings
from diagnostics.store import cluster_data, report_data
from diagnostics.store.batches import write_enterprise_batch
from diagnostics.store.db import get_engine, session_scope
from diagnostics.store.models import Cluster
from flows.context import (
    DIRECT,
    PREFECT,
    ClusterContext,
    Clusters,
    Runner,
    per_cluster,
    store_snapshot,
    upstream,
)

KINDS = ("portraits", "needs", "industry_map", "shortlist")


def plan_reports(ctx: ClusterContext, snapshots: dict[str, int], scope: str) -> list[int]:
    with session_scope(get_engine()) as s:
        portraits = cluster_data.portrait_set(s, snapshots["portraits"])
        payloads, _ = report_data.snapshot_payloads(s, {"shortlist": snapshots["shortlist"]})
    return report_data.report_scope(portraits, payloads.get("shortlist"), scope)


def write_cluster_workbook(ctx: ClusterContext, snapshots: dict[str, int]) -> str:
    with session_scope(get_engine()) as s:
        cluster = s.get_one(Cluster, ctx.id)
        portraits = cluster_data.portrait_set(s, snapshots["portraits"])
        payloads, hashes = report_data.snapshot_payloads(s, snapshots)
        feeds = cluster_data.portrait_feeds(s, snapshots["portraits"])
        names = report_data.titles(report_data.latest_definitions(s, [ctx.targets.questionnaire,
                                                                      *ctx.targets.modules]))
        rel, _ = report_data.write_cluster_file(settings.report_dir, cluster, payloads, hashes, portraits,
                                                taxonomy=ctx.taxonomy, feeds=feeds, names=names)
    return rel


def reports_body(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner, *,
                 snapshots: dict[str, dict[str, int]] | None, scope: str) -> int:
    given = (snapshots or {}).get(ctx.code, {})
    snaps = {k: upstream(ctx.id, k, given.get(k)) for k in KINDS}
    ids = plan_reports(ctx, snaps, scope)  # a lookup, not worth a task
    cluster_file = runner.task(write_cluster_workbook, ctx, snaps)
    paths: dict[str, str] = {}
    written = [0]
    size = settings.report_batch_size
    batches = [ids[i:i + size] for i in range(0, len(ids), size)]

    def progress(k: int, result: tuple[dict[str, str], int]) -> None:
        paths.update(result[0])
        written[0] += result[1]
        runner.log(f"reports[{ctx.code}]: batch {k}/{len(batches)}, {len(paths)}/{len(ids)} enterprise "
                   f"workbooks ({written[0]} written, {len(paths) - written[0]} unchanged)")

    # a workbook is ~20-30 ms of xlsxwriter: batches side by side when there are many (pool or Dask);
    # the weight counts each workbook as 20 rows of scoring work
    runner.map(write_enterprise_batch, [(ctx.code, snaps["portraits"], b) for b in batches], rows=20 * len(ids),
               each=progress)
    payload: dict[str, Any] = {"scope": scope, "cluster_workbook": cluster_file,
                               "enterprise_workbooks": dict(sorted(paths.items(), key=lambda kv: int(kv[0])))}
    snapshot_id = runner.task(store_snapshot, ctx.id, "reports", payload, run_id, flow_run_id)
    runner.log(f"reports[{ctx.code}]: {cluster_file} and {len(paths)} enterprise workbooks ({scope}), "
               f"snapshot {snapshot_id}")
    return snapshot_id


def run_reports(cluster: Clusters = None, *, snapshots: dict[str, dict[str, int]] | None = None,
                run_ids: dict[str, int] | None = None, scope: str | None = None,
                runner: Runner = DIRECT) -> dict[str, int]:
    return per_cluster(cluster, "reports", run_ids, runner, reports_body, snapshots=snapshots,
                       scope=scope or settings.report_scope)


@flow(name="reports", persist_result=False)
def reports_flow(cluster: Clusters = None, snapshots: dict[str, dict[str, int]] | None = None,
                 run_ids: dict[str, int] | None = None, scope: str | None = None) -> dict[str, int]:
    """Write the cluster and enterprise workbooks; returns the reports snapshot id per cluster.

    ``snapshots`` names, per cluster code, the portraits/needs/industry_map/shortlist snapshots to
    print (default: the latest of each).
    """
    return run_reports(cluster, snapshots=snapshots, run_ids=run_ids, scope=scope, runner=PREFECT)
