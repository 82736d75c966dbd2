"""The industry map and its four element lists (一图四清单), with coverage and the performance table.

The map is a grid: rows are the taxonomy's chain links, columns its business activities, each cell
the scenarios placed there. For every scenario the map shows how many of the cluster's enterprises
practise it and at which level, and which data elements, knowledge models, tool software and talent
skills it needs; the four lists invert that (each element with the scenarios that use it).

Practice: an enterprise practises scenario S when it works in S's chain link and rates S at level 1
or more. Its rating of S is its own rating of S when a module questionnaire rates map scenarios
directly, else the best of its ratings of the generic SME scenarios S serves (``sme_scenarios``).
``practised`` counts enterprises at ``practice_level`` or above.

Coverage is seed 000's definition: chain links with at least one typical scenario / all chain links,
stated with the taxonomy's ``chain_links_basis``. ``practised_coverage`` is the stricter, observed
figure: links where at least one enterprise practises a typical scenario at ``practice_level``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.canonical import jsonable_dict
from diagnostics.pilot import PilotTargets, indicator_table
from diagnostics.portraits import PortraitSet, as_set
from diagnostics.size_class import SIZE_CLASSES
from diagnostics.taxonomy import ELEMENT_KINDS, Taxonomy

LEVELS = (1, 2, 3, 4)


def scenario_practice(portraits: pd.DataFrame | PortraitSet, taxonomy: Taxonomy) -> pd.DataFrame:
    """enterprise x scenario matrix of practice levels (0 = not practised or not in the link).

    A scenario's level is the firm's rating of that scenario when any firm of the cluster rated it,
    else the best of its SME scenarios' ratings (none rated: 0). Read a part of a ``PortraitSet`` at a
    time: each part gives both candidates, and which one counts is decided once every part is in."""
    everyone = as_set(portraits)
    n = len(everyone)
    codes = [s.code for s in taxonomy.scenarios]
    if n == 0:
        return pd.DataFrame(np.zeros((0, len(codes)), dtype=np.int16), columns=codes)
    rated: set[str] = set()
    # both candidates for every firm, filled a part at a time in place (kept as lists of parts and then
    # concatenated and chosen between, they were ~100 MB at the map's peak for 300 000 firms; now ~35)
    own_all = np.zeros((n, len(codes)), dtype=np.int16)
    sme_all = np.zeros((n, len(codes)), dtype=np.int16)
    at = 0
    for part in everyone.parts(["scenario_levels"]):
        m = len(part)
        levels = pd.DataFrame.from_records(list(part["scenario_levels"].map(lambda d: d or {}))).fillna(0)
        rated.update(levels.columns)
        links = part["chain_links"].map(lambda c: set(c or [])).tolist()
        own, sme = own_all[at:at + m], sme_all[at:at + m]  # views: written in place
        at += m
        for k, s in enumerate(taxonomy.scenarios):
            in_link = np.fromiter((s.link in ls for ls in links), dtype=bool, count=m)
            if s.code in levels.columns:
                own[:, k] = np.where(in_link, levels[s.code].to_numpy(dtype=float), 0).astype(np.int16)
            cols = [c for c in s.sme_scenarios if c in levels.columns]  # ratings are >= 0: a column
            if cols:  # no firm of this part rated counts as 0 in the max, as leaving it out does
                sme[:, k] = np.where(in_link, levels[cols].to_numpy(dtype=float).max(axis=1), 0).astype(np.int16)
    use_own = np.array([s.code in rated for s in taxonomy.scenarios], dtype=bool)
    np.copyto(own_all, sme_all, where=~use_own)  # the SME candidate where no firm rated the scenario itself
    del sme_all
    return pd.DataFrame(own_all, columns=codes, index=everyone.light.index, copy=False)


def measured_metrics(taxonomy: Taxonomy, portraits: pd.DataFrame, coverage_rate: float) -> dict[str, float | None]:
    """The figures of the performance table, each counting what its ``METRICS`` line says.

    Diagnosed-firm figures come from the portraits; the programme's figures (participants, their chain
    leaders, providers, deployments) are "no data" here and come from its records (``build_industry_map``'s
    ``programme``).
    """
    counts = {k: len(taxonomy.elements(k)) for k in ELEMENT_KINDS}
    assessed = len(portraits)
    sizes = set(portraits["size_class"]) & set(SIZE_CLASSES) if assessed else set()
    return {
        "map_sets": 1.0,
        "enterprises": None,
        "chain_leaders": None,
        "chain_leader_share": None,
        "diagnosed_enterprises": float(assessed),
        "diagnosed_chain_leaders": float(portraits["chain_leader"].sum()) if assessed else 0.0,
        "trusted_enterprises": float(portraits["trusted"].sum()) if assessed else 0.0,
        "srdi_enterprises": float(portraits["srdi"].sum()) if assessed else 0.0,
        "size_classes": float(len(sizes)),
        "scenarios": float(sum(1 for s in taxonomy.scenarios if s.typical)),
        **{k: float(v) for k, v in counts.items()},
        "element_types": float(sum(counts.values())),
        "coverage": coverage_rate,
        "providers": None,
        "solutions": float(len(taxonomy.solutions)),
        "deployments": None,
    }


def build_industry_map(taxonomy: Taxonomy, portraits: pd.DataFrame | PortraitSet, targets: PilotTargets,
                       programme: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """The industry-map snapshot payload (grid, scenarios, four lists, coverage, indicator table).

    ``programme``: the figures the pilot programme's own records give (participants, their chain-leader
    share, providers, deployments; ``diagnostics.store.programme_data.indicator_measures``); without them
    those rows of the indicator table say "no data".
    """
    practice_level = targets.map.practice_level
    practice = scenario_practice(portraits, taxonomy)  # the one step that reads the nested profiles
    portraits = as_set(portraits).light
    assessed = len(portraits)
    solutions_by_scenario: dict[str, list[str]] = {}
    for sol in taxonomy.solutions:
        for code in sol.scenarios:
            solutions_by_scenario.setdefault(code, []).append(sol.code)

    scenarios = []
    for s in taxonomy.scenarios:
        lv = practice[s.code].to_numpy() if assessed else np.zeros(0)
        practising = int((lv >= 1).sum())
        scenarios.append({
            "code": s.code, "name": s.name.model_dump(), "link": s.link, "activity": s.activity,
            "typical": s.typical, "sme_scenarios": sorted(s.sme_scenarios),
            "elements": {k: list(getattr(s, k)) for k in ELEMENT_KINDS},
            "solutions": sorted(solutions_by_scenario.get(s.code, [])),
            "practice": {
                "enterprises": practising,
                "practised": int((lv >= practice_level).sum()),
                "levels": {str(level): int((lv == level).sum()) for level in LEVELS},
                "mean_level": round(float(lv[lv >= 1].mean()), 4) if practising else None,
            },
        })
    by_cell: dict[tuple[str, str], list[str]] = {}
    for s in taxonomy.scenarios:
        by_cell.setdefault((s.link, s.activity), []).append(s.code)
    grid = [{"link": c.code, "cells": [{"activity": a.code, "scenarios": sorted(by_cell.get((c.code, a.code), []))}
                                       for a in taxonomy.activities]} for c in taxonomy.chain_links]

    element_lists: dict[str, list[dict[str, Any]]] = {}
    for kind in ELEMENT_KINDS:
        users: dict[str, list[str]] = {}
        for s in taxonomy.scenarios:
            for code in getattr(s, kind):
                users.setdefault(code, []).append(s.code)
        element_lists[kind] = [{"code": e.code, "name": e.name.model_dump(),
                                "certification": e.certification.model_dump() if e.certification else None,
                                "scenarios": sorted(users.get(e.code, []))} for e in taxonomy.elements(kind)]

    typical_links = {s.link for s in taxonomy.scenarios if s.typical}
    practised_links = {s.link for s in taxonomy.scenarios
                       if s.typical and assessed and (practice[s.code] >= practice_level).any()}
    link_codes = [c.code for c in taxonomy.chain_links]
    total = len(link_codes)
    coverage: dict[str, Any] = {
        "links_total": total, "links_covered": len(typical_links & set(link_codes)),
        "rate": len(typical_links & set(link_codes)) / total if total else 0.0,
        "basis": taxonomy.chain_links_basis.model_dump(),
        "covered": [c for c in link_codes if c in typical_links],
        "uncovered": [c for c in link_codes if c not in typical_links],
        "practised": {"level_at_least": practice_level, "links": [c for c in link_codes if c in practised_links],
                      "rate": len(practised_links) / total if total else 0.0},
    }
    counted = portraits[portraits["trusted"].astype(bool)] if targets.indicators_verified_only and assessed \
        else portraits
    metrics = {**measured_metrics(taxonomy, counted, coverage["rate"]), **(programme or {})}
    return jsonable_dict({
        "taxonomy": {"code": taxonomy.code, "version": taxonomy.version, "title": taxonomy.title.model_dump()},
        "pilot": targets.code,
        "assessed": assessed,
        "links": [{"code": c.code, "name": c.name.model_dump(), "position": c.position} for c in taxonomy.chain_links],
        "activities": [{"code": a.code, "name": a.name.model_dump()} for a in taxonomy.activities],
        "grid": grid,
        "scenarios": scenarios,
        "element_lists": element_lists,
        "solutions": [{"code": s.code, "name": s.name.model_dump(), "scenarios": sorted(s.scenarios),
                       "provider": s.provider.model_dump() if s.provider else None} for s in taxonomy.solutions],
        "coverage": coverage,
        "counts": {k: metrics[k] for k in ("scenarios", *ELEMENT_KINDS, "element_types", "providers", "solutions",
                                           "deployments")},
        "indicator_table": indicator_table(targets, metrics),
    })
