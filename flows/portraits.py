"""Portraits flow: read the cluster a part at a time, build every enterprise's portrait, store snapshot + rows.

Two tasks: the cluster read and profiled a part at a time (enterprises and the assessment that speaks
for each, through the pure ``diagnostics.portraits.build_set``), and one bulk write. An unchanged
cluster hashes to the snapshot it already has: no new snapshot row, no new portrait rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prefect import flow
from sqlalchemy.orm import Session

from diagnostics import portraits as portraits_mod
from diagnostics.questionnaire import Questionnaire
from diagnostics.settings import settings
from diagnostics.spool import FrameSpool, TextSpool
from diagnostics.store import cluster_data
from diagnostics.store.db import get_engine, retry_busy, session_scope
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, per_cluster


@dataclass
class PortraitRows:
    """Portraits as stored: the portraits themselves (``portraits.PortraitSet``: light rows in
    ``stored_form``, whose indexed columns are the table's and are hashed; nested profiles in a file a
    part at a time), every row's ``data`` as JSON text (serialised once, spooled to a temporary file
    until stored, then dropped) and the payload. The portraits are the later stages' cache as they are."""

    portraits: portraits_mod.PortraitSet
    texts: TextSpool
    payload: dict[str, Any]


def build_cluster(ctx: ClusterContext, progress: Any = None) -> PortraitRows:
    """The cluster's portrait rows and snapshot payload, read and profiled ``SHUZHEN_PART_FIRMS`` firms
    at a time (``portraits.build_set``) in one read transaction, then serialised a part at a time: a
    part's decoded assessments (~4.5 KB a firm) go once its portraits are built, and its nested profiles
    (~3 KB a firm) wait in a file (``spool.FrameSpool``), so the stage holds one part's, not the
    cluster's, beside the light rows."""
    codes = [ctx.targets.questionnaire, *ctx.targets.modules]
    chunk, log = settings.read_chunk_size, progress or cluster_data._noop
    defs: dict[int, Questionnaire] = {}
    firms = 0

    def parts(s: Session) -> Iterator[portraits_mod.Part]:
        nonlocal firms
        for ids in cluster_data.enterprise_id_ranges(s, ctx.id, settings.part_firms):
            ents = cluster_data.enterprise_frame(s, ctx.id, chunk_size=chunk, progress=log, ids=ids)
            assess = cluster_data.assessment_frame(s, ctx.id, codes, chunk_size=chunk, progress=log, ids=ids)
            # each questionnaire version is read once, by the first part whose firms answered it
            defs.update(cluster_data.definitions(s, set(assess["questionnaire_version_id"].tolist()) - defs.keys()))
            firms += len(ents)
            yield ents, assess, defs
            del ents, assess  # not kept while the next part is read

    with session_scope(get_engine()) as s:
        cluster_data.forget_portraits(s, ctx.id)
        # light rows as they read back: the stored rows, the digest and the later stages' cache are made
        # from them, so the cluster's rows are never held as records as well
        built = portraits_mod.build_set(parts(s), ctx.taxonomy, primary=ctx.targets.questionnaire,
                                        heavy=FrameSpool()).stored()
    texts = TextSpool(portraits_mod.data_text(r) for part in built.parts() for r in portraits_mod.to_records(part))
    payload = portraits_mod.summary(built, ctx.taxonomy, enterprises_total=firms, primary=ctx.targets.questionnaire,
                                    feeds=portraits_mod.feed_map(defs), texts=texts)
    return PortraitRows(built, texts, payload)


def store_portraits(ctx: ClusterContext, rows: PortraitRows, run_id: int | None, flow_run_id: str | None) -> int:
    """Store the snapshot and its rows in one transaction, again if the database was busy (two clusters'
    lanes may write one SQLite file at once; a failed try rolled back, and the snapshot is found by hash)."""
    return retry_busy(_store_portraits, ctx, rows, run_id, flow_run_id)


def _store_portraits(ctx: ClusterContext, rows: PortraitRows, run_id: int | None, flow_run_id: str | None) -> int:
    with session_scope(get_engine()) as s:
        snapshot_id, created = cluster_data.save_snapshot(s, ctx.id, "portraits", rows.payload, run_id=run_id,
                                                          flow_run_id=flow_run_id)
        if created:
            cluster_data.save_portraits(s, snapshot_id, rows.portraits.light, texts=rows.texts,
                                        chunk_size=settings.read_chunk_size)
    # committed: the texts (~200 MB for 60 000 firms) are dropped before the cache is primed
    rows.texts.close()
    with session_scope(get_engine()) as s:
        cluster_data.remember_portraits(s, snapshot_id, rows.portraits)
    return snapshot_id


def portraits_body(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner) -> int:
    rows = runner.task(build_cluster, ctx, runner.log)
    snapshot_id = runner.task(store_portraits, ctx, rows, run_id, flow_run_id)
    payload = rows.payload
    runner.log(f"portraits[{ctx.code}]: {payload['assessed']} of {payload['enterprises']} enterprises, "
               f"snapshot {snapshot_id}")
    return snapshot_id


def run_portraits(cluster: Clusters = None, *, run_ids: dict[str, int] | None = None,
                  runner: Runner = DIRECT) -> dict[str, int]:
    return per_cluster(cluster, "portraits", run_ids, runner, portraits_body)


@flow(name="portraits", persist_result=False)
def portraits_flow(cluster: Clusters = None, run_ids: dict[str, int] | None = None) -> dict[str, int]:
    """Build and store portraits (one cluster, or all); returns the portraits snapshot id per cluster."""
    return run_portraits(cluster, run_ids=run_ids, runner=PREFECT)
