"""Needs flow: the cluster's common needs per scenario and chain link, ranked, from its portraits."""

from __future__ import annotations

from typing import Any

from prefect import flow

from diagnostics.needs import rank_needs
from diagnostics.portraits import PortraitSet
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, run_view


def compute_needs(ctx: ClusterContext, portraits: PortraitSet, feeds: dict[str, list[str]]) -> dict[str, Any]:
    return rank_needs(portraits, ctx.taxonomy, feeds, common_share=ctx.targets.needs.common_share,
                      common_intensity=ctx.targets.needs.common_intensity)


def run_needs(cluster: Clusters = None, *, portraits: dict[str, int] | None = None,
              run_ids: dict[str, int] | None = None, runner: Runner = DIRECT) -> dict[str, int]:
    return run_view(cluster, "needs", compute_needs, portraits=portraits, run_ids=run_ids, runner=runner)


@flow(name="needs", persist_result=False)
def needs_flow(cluster: Clusters = None, portraits: dict[str, int] | None = None,
               run_ids: dict[str, int] | None = None) -> dict[str, int]:
    """Rank each cluster's needs (one cluster, or all); returns the needs snapshot id per cluster.

    ``portraits`` names the portraits snapshot to read per cluster (default: the latest).
    """
    return run_needs(cluster, portraits=portraits, run_ids=run_ids, runner=PREFECT)
