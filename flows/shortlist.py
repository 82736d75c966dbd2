"""Shortlist flow: N pilot enterprises under the pilot's quotas, each pick and near miss explained."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import flow

from diagnostics.portraits import PortraitSet
from diagnostics.shortlist import select_shortlist
from diagnostics.store import cluster_data, console
from diagnostics.store.db import get_engine, session_scope
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, run_view


def max_score(portraits: pd.DataFrame) -> float:
    """The primary questionnaire's maximum, from the stored definitions the portraits were scored on."""
    with session_scope(get_engine()) as s:
        defs = cluster_data.definitions(s, portraits["questionnaire_version_id"].dropna().astype(int).unique())
    return max((q.max_score for q in defs.values()), default=100.0)


def compute_shortlist(ctx: ClusterContext, portraits: PortraitSet, feeds: dict[str, list[str]]) -> dict[str, Any]:
    with session_scope(get_engine()) as s:
        pins = console.active_pins(s, ctx.id)  # officials' pinned / excluded firms, with their reasons
    return select_shortlist(portraits.light, ctx.targets.quotas, [c.code for c in ctx.taxonomy.chain_links],
                            max_score=max_score(portraits.light),
                            link_names={c.code: c.name.model_dump() for c in ctx.taxonomy.chain_links},
                            pinned=pins["pinned"], excluded_by_official=pins["excluded"])


def run_shortlist(cluster: Clusters = None, *, portraits: dict[str, int] | None = None,
                  run_ids: dict[str, int] | None = None, runner: Runner = DIRECT) -> dict[str, int]:
    return run_view(cluster, "shortlist", compute_shortlist, portraits=portraits, run_ids=run_ids, runner=runner)


@flow(name="shortlist", persist_result=False)
def shortlist_flow(cluster: Clusters = None, portraits: dict[str, int] | None = None,
                   run_ids: dict[str, int] | None = None) -> dict[str, int]:
    """Select each cluster's pilot shortlist; returns the shortlist snapshot id per cluster."""
    return run_shortlist(cluster, portraits=portraits, run_ids=run_ids, runner=PREFECT)
