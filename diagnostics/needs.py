"""The cluster's common needs (共性需求): weaknesses carried to map scenarios, ranked overall, per link, per size.

A bureau funds solutions for scenarios, not for indicators, so every weakness is carried to taxonomy
scenarios by the one recommendation rule (``diagnostics.recommend``): a weak indicator or a scenario
rated below its size-class target reaches the map scenarios its code names **in the chain links the
enterprise operates**, never in links it does not run (such a weakness is reported as ``unmapped``:
the need is real, the map just has no scenario for it in that firm's links). An enterprise's severity
for a scenario is the largest severity (gap to target, 0..1) among the weaknesses feeding it.

Figures (``DEFINITION`` is printed beside every table):

- ``enterprises``: firms with the need; ``share``: of all assessed firms; ``share_in_link``: of the
  assessed firms operating the scenario's chain link (the firms that could have it);
- ``need_score``: the sum of severities (how many x how severe); rankings sort by need_score, then
  enterprises, then code;
- ``intensity``: need_score / firms operating the link: the mean gap over all the link's firms (a firm
  without the need counts 0), so it grows both with how many firms need it and how far they are short;
- ``common``: a need is common (共性) when ``share_in_link`` reaches the pilot file's
  ``needs.common_share`` and ``intensity`` its ``needs.common_intensity``: "most firms of this link
  need it, and need it badly", not "many firms of the cluster" (every firm short of some target would
  make every scenario common);
- rankings: overall (``scenarios``), per chain link (``links[].top_scenarios`` and ``by_link``) and per
  size class (``by_size``, shares of the firms of that size).

Everything is pandas: the weaknesses are exploded into one frame, joined with each weakness code's map
scenarios and with the enterprises' chain links, and grouped; no Python loop runs per enterprise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from diagnostics.canonical import jsonable, jsonable_dict
from diagnostics.recommend import weakness_feeds, weakness_key
from diagnostics.size_class import SIZE_ORDER, UNKNOWN, size_text
from diagnostics.taxonomy import Taxonomy

DEFINITION = {
    "zh": "需求口径：企业的短板（指标得分低于目标，或场景自评低于本规模企业的目标等级）只落到该企业自己开展的产业链"
          "环节中的场景；严重度 = 与目标的差距 ÷ 目标（0–1），一个场景取最重的一项。需求分 = 各企业严重度之和。"
          "占比 = 有该需求的企业 ÷ 已诊断企业；环节内占比 = 有该需求的企业 ÷ 开展该环节的已诊断企业；"
          "强度 = 需求分 ÷ 开展该环节的已诊断企业（该环节企业的平均差距）。环节内占比达到 {share:.0%}"
          "（试点文件 needs.common_share）且强度达到 {intensity:.2f}（needs.common_intensity）记为共性需求。",
    "en": "A weakness (an indicator below its target, or a scenario rated below the target level for the firm's "
          "size) counts only for scenarios in the chain links the firm itself operates; severity = gap to "
          "target / target (0-1), the largest per scenario. Need score = sum of severities over firms. Share = "
          "firms with the need / assessed firms; share in link = firms with the need / assessed firms operating "
          "that link; intensity = need score / assessed firms operating the link (their mean gap). A need is "
          "common when its share in link reaches {share:.0%} (pilot file needs.common_share) and its intensity "
          "{intensity:.2f} (needs.common_intensity).",
}
NEED_COLUMNS = ["enterprise_id", "scenario", "link", "size_class", "severity"]


def _weakness_rows(portraits: pd.DataFrame) -> pd.DataFrame:
    """One row per (enterprise, weakness): enterprise_id, key, severity, and the weakness itself."""
    frame = portraits[["enterprise_id", "weaknesses"]].explode("weaknesses").dropna(subset=["weaknesses"])
    if frame.empty:
        return pd.DataFrame(columns=["enterprise_id", "key", "severity", "w"])
    weak = frame["weaknesses"].tolist()
    return pd.DataFrame({"enterprise_id": frame["enterprise_id"].astype(int).to_numpy(),
                         "key": [weakness_key(w) for w in weak], "severity": [float(w["severity"]) for w in weak],
                         "w": weak})


def _carry(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(needs, sources, unmapped).

    needs: one row per (enterprise, scenario) with its largest severity (``NEED_COLUMNS``); sources: per
    (scenario, weakness key) how many enterprises it brought; unmapped: per feed code, the enterprises
    whose weakness found no scenario of that code in their own links.
    """
    rows = _weakness_rows(portraits)
    empty = pd.DataFrame(columns=NEED_COLUMNS)
    if rows.empty:
        return empty, pd.DataFrame(columns=["scenario", "key", "enterprises"]), pd.DataFrame(
            columns=["feed", "enterprises"])
    # each distinct weakness key -> its feed codes -> every map scenario of that code (taxonomy-wide)
    first = rows.drop_duplicates("key")
    key_feed = pd.DataFrame([(k, f) for k, w in zip(first["key"], first["w"], strict=True)
                             for f in weakness_feeds(w, feeds)], columns=["key", "feed"])
    feed_scen = pd.DataFrame([(f, s.code, s.link) for f in key_feed["feed"].unique()
                              for s in taxonomy.scenarios_for(f)], columns=["feed", "scenario", "link"])
    ent_links = portraits[["enterprise_id", "chain_links"]].explode("chain_links").dropna(subset=["chain_links"])
    ent_links = ent_links.rename(columns={"chain_links": "link"}).astype({"enterprise_id": int})
    reach = rows[["enterprise_id", "key", "severity"]].merge(key_feed, on="key")
    placed = reach.merge(feed_scen, on="feed").merge(ent_links, on=["enterprise_id", "link"])  # own links only
    size = portraits.set_index("enterprise_id")["size_class"].fillna(UNKNOWN)
    needs = (placed.groupby(["enterprise_id", "scenario", "link"], sort=True)["severity"].max().reset_index())
    needs["size_class"] = size.reindex(needs["enterprise_id"]).to_numpy()
    sources = (placed.drop_duplicates(["enterprise_id", "scenario", "key"]).groupby(["scenario", "key"])
               .size().rename("enterprises").reset_index())
    hit = placed[["enterprise_id", "feed"]].drop_duplicates()
    lost = reach[["enterprise_id", "feed"]].drop_duplicates().merge(hit, how="left", indicator=True)
    unmapped = (lost[lost["_merge"] == "left_only"].groupby("feed").size().rename("enterprises").reset_index())
    return needs[NEED_COLUMNS], sources, unmapped


def enterprise_scenario_needs(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
                              ) -> tuple[pd.DataFrame, dict[str, int]]:
    """(needs, unmapped): one row per (enterprise, scenario) with its severity; per feed code the number
    of enterprises whose weakness has no scenario of that code in their own links."""
    needs, _, unmapped = _carry(portraits, taxonomy, feeds)
    return needs, {str(f): int(n) for f, n in zip(unmapped["feed"], unmapped["enterprises"], strict=True)}


def _sizes(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame.drop_duplicates("enterprise_id")["size_class"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SIZE_ORDER if counts.get(s, 0)}


def _ranked(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (-r["need_score"], -r["enterprises"], r[key]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows


def rank_needs(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]], *,
               common_share: float = 0.5, common_intensity: float = 0.0, top_sources: int = 5,
               top: int = 5) -> dict[str, Any]:
    """The needs snapshot payload (see the module docstring for every figure's definition)."""
    assessed = len(portraits)
    needs, sources, unmapped = _carry(portraits, taxonomy, feeds)
    scen = {s.code: s for s in taxonomy.scenarios}
    links = {c.code: c for c in taxonomy.chain_links}
    ent_links = portraits[["enterprise_id", "chain_links"]].explode("chain_links").dropna(subset=["chain_links"])
    in_link = ent_links.groupby("chain_links")["enterprise_id"].nunique().to_dict()
    size_n = portraits["size_class"].fillna(UNKNOWN).value_counts().to_dict()
    src = {code: g.sort_values(["enterprises", "key"], ascending=[False, True]).head(top_sources)
           for code, g in sources.groupby("scenario")} if not sources.empty else {}

    scenario_rows: list[dict[str, Any]] = []
    if not needs.empty:
        agg = needs.groupby("scenario", sort=True).agg(
            enterprises=("enterprise_id", "nunique"), severity_mean=("severity", "mean"),
            severity_max=("severity", "max"), need_score=("severity", "sum"))
        sizes = {str(code): _sizes(g) for code, g in needs.groupby("scenario", sort=True)}
        for key, r in agg.iterrows():  # one row per scenario (tens), not per enterprise
            code = str(key)
            s = scen[code]
            n, base = int(r["enterprises"]), int(in_link.get(s.link, 0))
            share_link = n / base if base else 0.0
            intensity = float(r["need_score"]) / base if base else 0.0
            g = src.get(code)
            scenario_rows.append({
                "scenario": code, "name": s.name.model_dump(), "link": s.link, "activity": s.activity,
                "enterprises": n, "share": n / assessed if assessed else 0.0, "enterprises_in_link": base,
                "share_in_link": share_link, "sizes": sizes[code],
                "severity_mean": float(r["severity_mean"]), "severity_max": float(r["severity_max"]),
                "need_score": float(r["need_score"]), "intensity": intensity,
                "common": bool(share_link >= common_share - 1e-9 and intensity >= common_intensity - 1e-9),
                "sources": [] if g is None else [{"code": k, "enterprises": int(v)}
                                                 for k, v in zip(g["key"], g["enterprises"], strict=True)],
            })
    scenario_rows = _ranked(jsonable(scenario_rows), "scenario")

    link_rows: list[dict[str, Any]] = []
    by_link: dict[str, list[str]] = {}
    if not needs.empty:
        per_link = needs.groupby(["link", "enterprise_id"], sort=True).agg(
            severity=("severity", "max"), size_class=("size_class", "first")).reset_index()
        for link_key, g in per_link.groupby("link", sort=True):
            code = str(link_key)
            ranked_here = [r for r in scenario_rows if r["link"] == code]
            by_link[str(code)] = [r["scenario"] for r in ranked_here[:top]]
            n, base = int(g["enterprise_id"].nunique()), int(in_link.get(code, 0))
            link_rows.append({
                "link": code, "name": links[str(code)].name.model_dump(), "position": links[str(code)].position,
                "enterprises": n, "enterprises_in_link": base, "share": n / assessed if assessed else 0.0,
                "share_in_link": n / base if base else 0.0, "sizes": _sizes(g),
                "severity_mean": float(g["severity"].mean()), "need_score": float(g["severity"].sum()),
                "top_scenarios": [r["scenario"] for r in ranked_here[:3]],
                "common": [r["scenario"] for r in ranked_here if r["common"]],
            })
    link_rows = _ranked(jsonable(link_rows), "link")

    by_size: dict[str, list[dict[str, Any]]] = {}
    if not needs.empty:
        per_size = needs.groupby(["size_class", "scenario"], sort=True).agg(
            enterprises=("enterprise_id", "nunique"), need_score=("severity", "sum")).reset_index()
        for size, g in per_size.groupby("size_class", sort=True):
            g = g.sort_values(["need_score", "enterprises", "scenario"], ascending=[False, False, True]).head(top)
            base = int(size_n.get(size, 0))
            by_size[str(size)] = [{"scenario": c, "name": scen[c].name.model_dump(), "link": scen[c].link,
                                   "enterprises": int(e), "share_in_size": int(e) / base if base else 0.0,
                                   "need_score": float(v)}
                                  for c, e, v in zip(g["scenario"], g["enterprises"], g["need_score"], strict=True)]
        by_size = {s: by_size[s] for s in SIZE_ORDER if s in by_size}
    unmapped_pairs = sorted(((str(f), int(n)) for f, n in zip(unmapped["feed"], unmapped["enterprises"], strict=True)),
                            key=lambda fn: (-fn[1], fn[0]))
    unmapped_rows = [{"feed": f, "enterprises": n} for f, n in unmapped_pairs]
    return jsonable_dict({
        "assessed": assessed, "common_share": common_share, "common_intensity": common_intensity,
        "definition": {"zh": DEFINITION["zh"].format(share=common_share, intensity=common_intensity),
                       "en": DEFINITION["en"].format(share=common_share, intensity=common_intensity)},
        "enterprises_with_needs": int(needs["enterprise_id"].nunique()) if not needs.empty else 0,
        "scenarios": scenario_rows, "links": link_rows, "by_link": by_link,
        "by_size": by_size, "size_names": {s: size_text(s) for s in by_size},
        "unmapped": unmapped_rows,
        "common": [r["scenario"] for r in scenario_rows if r["common"]],
    })
