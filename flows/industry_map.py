"""Industry-map flow: the 一图四清单 snapshot (grid, practice, four lists, coverage, indicator table)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from diagnostics.industry_map import build_industry_map
from diagnostics.portraits import PortraitSet
from diagnostics.store.db import get_engine, session_scope
from diagnostics.store.programme_data import indicator_measures
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, run_view


def compute_map(ctx: ClusterContext, portraits: PortraitSet, feeds: dict[str, list[str]]) -> dict[str, Any]:
    with session_scope(get_engine()) as session:  # the programme's records: participants, providers, deployments
        programme = indicator_measures(session, ctx.id)
    return build_industry_map(ctx.taxonomy, portraits, ctx.targets, programme)


def run_industry_map(cluster: Clusters = None, *, portraits: dict[str, int] | None = None,
                     run_ids: dict[str, int] | None = None, runner: Runner = DIRECT) -> dict[str, int]:
    return run_view(cluster, "industry_map", compute_map, portraits=portraits, run_ids=run_ids, runner=runner)


@flow(name="industry-map", persist_result=False)
def industry_map_flow(cluster: Clusters = None, portraits: dict[str, int] | None = None,
                      run_ids: dict[str, int] | None = None) -> dict[str, int]:
    """Build each cluster's industry map; returns the industry_map snapshot id per cluster."""
    return run_industry_map(cluster, portraits=portraits, run_ids=run_ids, runner=PREFECT)
