"""The cluster's common needs (共性需求): weaknesses aggregated per scenario and per chain link, ranked.

A bureau funds solutions for scenarios, not for indicators, so every weakness is carried to the
taxonomy scenarios it feeds:

- a weak indicator names generic scenario codes in its ``feeds`` (questionnaire file); a scenario
  shortfall (rated level below the question's ``target_level``) names its own scenario;
- ``Taxonomy.scenarios_for(code)`` turns a code into map scenarios; of those, the ones in the
  enterprise's own chain links are kept. When none of its links has such a scenario, the need counts
  for every scenario serving the code: the enterprise still needs the capability, the map just places
  it elsewhere (e.g. a firing-only firm that is weak in sales);
- an enterprise's severity for a scenario is the largest severity among the weaknesses feeding it.

A scenario's ``need_score`` is the sum of those severities over enterprises (how many x how severe);
needs are ranked by need_score, then enterprises, then code. A need shared by at least ``common_share``
of the assessed enterprises is flagged ``common``. Chain links aggregate their scenarios the same way
(an enterprise counts once per link, with its largest severity there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from diagnostics.canonical import jsonable, jsonable_dict
from diagnostics.portraits import weakness_feeds
from diagnostics.taxonomy import Taxonomy

SIZES = ("large", "medium", "small", "micro", "unknown")


def _carry(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
           ) -> tuple[pd.DataFrame, dict[str, Counter[str]], Counter[str]]:
    """Carry every weakness to its scenarios.

    Returns (needs: one row per (enterprise, scenario) with its largest severity, link and size class;
    sources: per scenario, how many enterprises each weak indicator brought; unmapped: per feed code
    without a map scenario, how many enterprises). Weaknesses are grouped by (weak indicator, chain
    links): the scenarios they go to are chosen once per group and severities are folded in with numpy,
    so a 10 000-firm cluster is a few thousand small array operations, not millions of Python steps.
    """
    codes = [s.code for s in taxonomy.scenarios]
    col = {c: j for j, c in enumerate(codes)}
    n = len(portraits)
    ent_idx, src, sev, feeds_of, linkset = [], [], [], {}, []
    for i, (links, weak) in enumerate(zip(portraits["chain_links"], portraits["weaknesses"], strict=True)):
        linkset.append(tuple(links or ()))
        for w in weak or ():
            key = f"{w['q']}:{w['code']}"
            if key not in feeds_of:
                feeds_of[key] = tuple(weakness_feeds(w, feeds))
            ent_idx.append(i)
            src.append(key)
            sev.append(float(w["severity"]))
    need = np.full((n, len(codes)), -1.0)
    sources: dict[str, Counter[str]] = {}
    unmapped: Counter[str] = Counter()
    if ent_idx:
        frame = pd.DataFrame({"i": ent_idx, "src": src, "sev": sev})
        frame["links"] = [linkset[i] for i in ent_idx]
        for group, g in frame.groupby(["src", "links"], sort=True):
            key, links = cast(tuple[str, tuple[str, ...]], group)  # the two group columns
            rows = g["i"].to_numpy()
            values = g["sev"].to_numpy()
            targets: set[str] = set()
            for feed in feeds_of[key]:
                cands = taxonomy.scenarios_for(feed)
                own = [c.code for c in cands if c.link in links]
                targets.update(own or [c.code for c in cands])
            for code in sorted(targets):
                j = col[code]
                need[rows, j] = np.maximum(need[rows, j], values)
                sources.setdefault(code, Counter())[key] += len(rows)
        missing = {f for feeds in feeds_of.values() for f in feeds if not taxonomy.scenarios_for(f)}
        per_feed: dict[str, set[int]] = {}
        for key, key_feeds in feeds_of.items():
            lost = [f for f in key_feeds if f in missing]
            if lost:
                who = set(frame.loc[frame["src"] == key, "i"])
                for f in lost:
                    per_feed.setdefault(f, set()).update(who)
        unmapped = Counter({f: len(v) for f, v in per_feed.items()})
    rows_i, cols_j = np.nonzero(need >= 0)
    size = portraits["size_class"].to_numpy(object)
    eids = portraits["enterprise_id"].to_numpy()
    needs = pd.DataFrame({"enterprise_id": eids[rows_i].astype(int), "scenario": [codes[j] for j in cols_j],
                          "link": [taxonomy.scenarios[j].link for j in cols_j], "size_class": size[rows_i],
                          "severity": need[rows_i, cols_j]})
    return needs, sources, unmapped


def enterprise_scenario_needs(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
                              ) -> tuple[pd.DataFrame, Counter[str]]:
    """(needs, unmapped): one row per (enterprise, scenario) with its severity; enterprises per feed
    code the taxonomy has no scenario for. ``feeds`` is the portraits' ``feed_map``."""
    needs, _, unmapped = _carry(portraits, taxonomy, feeds)
    return needs, unmapped


def _sizes(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame.drop_duplicates("enterprise_id")["size_class"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SIZES if counts.get(s, 0)}


def rank_needs(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]], *,
               common_share: float = 0.3,
               top_sources: int = 5) -> dict[str, Any]:
    """The needs snapshot payload: ``scenarios`` and ``links`` ranked, plus ``unmapped`` feed codes."""
    assessed = len(portraits)
    needs, sources, unmapped = _carry(portraits, taxonomy, feeds)
    scen = {s.code: s for s in taxonomy.scenarios}
    links = {c.code: c for c in taxonomy.chain_links}
    in_link = {c: 0 for c in links}
    for ch in portraits["chain_links"]:
        for c in ch or []:
            if c in in_link:
                in_link[c] += 1

    scenario_rows = []
    for code, g in needs.groupby("scenario", sort=True):
        code = str(code)  # groupby keys are typed as any scalar
        src = sources.get(code, Counter())
        s = scen[code]
        n = int(g["enterprise_id"].nunique())
        scenario_rows.append({
            "scenario": code, "name": s.name.model_dump(), "link": s.link, "activity": s.activity,
            "enterprises": n, "share": n / assessed if assessed else 0.0, "sizes": _sizes(g),
            "severity_mean": float(g["severity"].mean()), "severity_max": float(g["severity"].max()),
            "need_score": float(g["severity"].sum()), "common": bool(assessed and n / assessed >= common_share - 1e-9),
            "sources": [{"code": k, "enterprises": int(v)}
                        for k, v in sorted(src.items(), key=lambda kv: (-kv[1], kv[0]))[:top_sources]],
        })
    scenario_rows = _ranked(jsonable(scenario_rows), "scenario")

    link_rows = []
    if not needs.empty:
        per_link = needs.groupby(["link", "enterprise_id"], sort=True).agg(
            severity=("severity", "max"), size_class=("size_class", "first")).reset_index()
        for code, g in per_link.groupby("link", sort=True):
            code = str(code)  # groupby keys are typed as any scalar
            top = [r["scenario"] for r in scenario_rows if r["link"] == code][:3]
            n = int(g["enterprise_id"].nunique())
            link_rows.append({
                "link": code, "name": links[code].name.model_dump(), "position": links[code].position,
                "enterprises": n, "enterprises_in_link": in_link.get(code, 0),
                "share": n / assessed if assessed else 0.0, "sizes": _sizes(g),
                "severity_mean": float(g["severity"].mean()), "need_score": float(g["severity"].sum()),
                "top_scenarios": top,
            })
    link_rows = _ranked(jsonable(link_rows), "link")
    unmapped_rows = [{"feed": f, "enterprises": n} for f, n in sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))]
    return jsonable_dict({
        "assessed": assessed, "common_share": common_share,
        "enterprises_with_needs": int(needs["enterprise_id"].nunique()) if not needs.empty else 0,
        "scenarios": scenario_rows, "links": link_rows, "unmapped": unmapped_rows,
        "common": [r["scenario"] for r in scenario_rows if r["common"]],
    })


def _ranked(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (-r["need_score"], -r["enterprises"], r[key]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows
