"""What every console page shares: which clusters the official may read, the latest snapshots, names.

An official bound to one cluster (``users.cluster_id``) reads only that cluster; a province-level one
reads all and picks one (``?cluster=CODE``). A cluster the official may not read answers 404, as one that
does not exist (``access.py``: the uniform 404 tells nobody which codes exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
from flask import abort, request
from flask_login import current_user

from diagnostics.pilot import PilotTargets, targets_for_cluster
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import cluster_data
from diagnostics.store.models import Cluster, Snapshot
from diagnostics.taxonomy import Taxonomy, load_taxonomy
from survey_app.access import visible_clusters
from survey_app.db import db_session
from survey_app.i18n import tx

KINDS = ("portraits", "needs", "industry_map", "shortlist", "reports")


def clusters() -> list[Cluster]:
    """The clusters the current official may read (the one scope rule, ``access.visible_clusters``)."""
    return visible_clusters(current_user)


def cluster_or_abort(code: str | None) -> Cluster:
    found = clusters()
    if not found:
        abort(404)
    if code is None:
        return found[0]
    match = next((c for c in found if c.code == code), None)
    if match is None:
        abort(404)
    return match


def cluster_name(cluster: Cluster) -> str:
    return tx({"zh": cluster.name_zh, "en": cluster.name_en or cluster.name_zh})


@dataclass
class ClusterView:
    """A cluster with its latest snapshots, loaded once per request."""

    cluster: Cluster

    @cached_property
    def snapshots(self) -> dict[str, Snapshot]:
        db = db_session()
        out = {}
        for kind in KINDS:
            snap = cluster_data.latest_snapshot(db, self.cluster.id, kind)
            if snap is not None:
                out[kind] = snap
        return out

    def payload(self, kind: str) -> dict[str, Any]:
        snap = self.snapshots.get(kind)
        return dict(snap.payload) if snap is not None else {}

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The latest portraits snapshot's rows (empty before the first run)."""
        snap = self.snapshots.get("portraits")
        if snap is None:
            return pd.DataFrame(columns=["enterprise_id", "chain_links", "level", "name"])
        return cluster_data.portraits_frame(db_session(), snap.id)

    @cached_property
    def targets(self) -> PilotTargets:
        return targets_for_cluster(self.cluster.pilot_code)

    @cached_property
    def taxonomy(self) -> Taxonomy | None:
        try:
            return load_taxonomy(self.cluster.industry)
        except (FileNotFoundError, LookupError, ValueError):
            return None

    @cached_property
    def link_names(self) -> dict[str, str]:
        links = self.payload("industry_map").get("links") or (
            [{"code": c.code, "name": c.name.model_dump()} for c in self.taxonomy.chain_links] if self.taxonomy else [])
        return {link["code"]: tx(link["name"]) for link in links}

    @cached_property
    def scenario_names(self) -> dict[str, str]:
        return {s["code"]: tx(s["name"]) for s in self.payload("industry_map").get("scenarios") or []}


def current_view() -> ClusterView:
    return ClusterView(cluster_or_abort(request.args.get("cluster")))


def view_for(code: str) -> ClusterView:
    return ClusterView(cluster_or_abort(code))


def size_names() -> dict[str, str]:
    return {k: tx(v) for k, v in SIZE_LABELS.items()}
