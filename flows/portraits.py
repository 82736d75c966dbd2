"""Portraits flow: read the cluster in bulk, build every enterprise's portrait, store snapshot + rows.

Three tasks: a chunked read (enterprises and the assessment that speaks for each), the pure
``diagnostics.portraits.build_portraits`` over the whole cluster, and one bulk write. An unchanged
cluster hashes to the snapshot it already has: no new snapshot row, no new portrait rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from prefect import flow

from diagnostics import portraits as portraits_mod
from diagnostics.questionnaire import Questionnaire
from diagnostics.settings import settings
from diagnostics.spool import TextSpool
from diagnostics.store import cluster_data
from diagnostics.store.db import get_engine, retry_busy, session_scope
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, per_cluster


@dataclass
class PortraitInputs:
    enterprises: pd.DataFrame
    assessments: pd.DataFrame
    definitions: dict[int, Questionnaire]


def read_cluster(ctx: ClusterContext, progress: Any = None) -> PortraitInputs:
    codes = [ctx.targets.questionnaire, *ctx.targets.modules]
    chunk = settings.read_chunk_size
    with session_scope(get_engine()) as s:
        ents = cluster_data.enterprise_frame(s, ctx.id, chunk_size=chunk, progress=progress or cluster_data._noop)
        assess = cluster_data.assessment_frame(s, ctx.id, codes, chunk_size=chunk,
                                               progress=progress or cluster_data._noop)
        defs = cluster_data.definitions(s, assess["questionnaire_version_id"].tolist())
    return PortraitInputs(ents, assess, defs)


@dataclass
class PortraitRows:
    """Portraits as stored: rows, their ``data`` as JSON text (serialised once, spooled to a temporary
    file until stored, then dropped), and the payload."""

    records: list[dict[str, Any]]
    texts: TextSpool
    payload: dict[str, Any]


def compute_portraits(ctx: ClusterContext, inputs: PortraitInputs) -> PortraitRows:
    """The cluster's portrait rows and snapshot payload. Takes the inputs over: once the portraits are
    built, the read frames (~270 MB for 60 000 firms) are emptied before the rows are serialised."""
    frame = portraits_mod.build_portraits(inputs.enterprises, inputs.assessments, inputs.definitions, ctx.taxonomy,
                                          primary=ctx.targets.questionnaire)
    enterprises_total, feeds = len(inputs.enterprises), portraits_mod.feed_map(inputs.definitions)
    inputs.enterprises = inputs.assessments = pd.DataFrame()
    records = portraits_mod.to_records(frame)
    texts = TextSpool(portraits_mod.data_text(r) for r in records)
    payload = portraits_mod.summary(frame, ctx.taxonomy, enterprises_total=enterprises_total,
                                    primary=ctx.targets.questionnaire, feeds=feeds, records=records, texts=texts)
    return PortraitRows(records, texts, payload)


def store_portraits(ctx: ClusterContext, rows: PortraitRows, run_id: int | None, flow_run_id: str | None) -> int:
    """Store the snapshot and its rows in one transaction, again if the database was busy (two clusters'
    lanes may write one SQLite file at once; a failed try rolled back, and the snapshot is found by hash)."""
    return retry_busy(_store_portraits, ctx, rows, run_id, flow_run_id)


def _store_portraits(ctx: ClusterContext, rows: PortraitRows, run_id: int | None, flow_run_id: str | None) -> int:
    with session_scope(get_engine()) as s:
        snapshot_id, created = cluster_data.save_snapshot(s, ctx.id, "portraits", rows.payload, run_id=run_id,
                                                          flow_run_id=flow_run_id)
        if created:
            cluster_data.save_portraits(s, snapshot_id, rows.records, texts=rows.texts,
                                        chunk_size=settings.read_chunk_size)
    # committed: the texts (~200 MB for 60 000 firms) are dropped before the frame cache is built
    rows.texts.close()
    with session_scope(get_engine()) as s:
        cluster_data.remember_portraits(s, snapshot_id, rows.records)
    return snapshot_id


def portraits_body(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner) -> int:
    inputs = runner.task(read_cluster, ctx, runner.log)
    rows = runner.task(compute_portraits, ctx, inputs)
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
