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

The weaknesses are read into columns once (``_carry``), the rule is applied per distinct weakness key
and scenario code, and rows are expanded, filtered and grouped as arrays, a part of the cluster at a
time (``SHUZHEN_PART_FIRMS`` firms): between parts only counts, sums and maxima per scenario, link and size
class are kept (``_Tally``), so the stage's working set does not grow with the cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.canonical import jsonable, jsonable_dict
from diagnostics.portraits import PortraitSet, as_set
from diagnostics.recommend import weakness_feeds, weakness_key
from diagnostics.settings import settings
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


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ints as (offsets, values): list ``i`` is ``values[offsets[i]:offsets[i + 1]]``."""
    counts = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = np.fromiter((v for x in lists for v in x), dtype=np.int64, count=int(offsets[-1]))
    return offsets, values


def _expand(index: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element ``index[r]``, one output row per value of its list: (source row r, value)."""
    counts = offsets[index + 1] - offsets[index]
    rows = np.repeat(np.arange(len(index), dtype=np.int64), counts)
    if not len(rows):
        return rows, rows.copy()
    starts = np.repeat(offsets[index], counts)
    within = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, values[starts + within]


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array, through ``np.unique``'s sorting path: with no
    ``return_*`` flag numpy 2.4 takes a hash-based path that needs 1.3 s for 3 million codes with few
    repeats (a 100 000-firm cluster's weakness pairs), against 0.08 s for the sort."""
    return np.unique(codes, return_counts=True)[0]


def _carry(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(needs, sources, unmapped).

    needs: one row per (enterprise, scenario) with its largest severity (``NEED_COLUMNS``); sources: per
    (scenario, weakness key) how many enterprises it brought; unmapped: per feed code, the enterprises
    whose weakness found no scenario of that code in their own links.

    Columnar: each weakness becomes (enterprise row, key number, severity) in one pass over the stored
    lists; the rule (key -> feed codes -> map scenarios, own links only) is applied once per distinct
    key and feed, and the rows are expanded and filtered with numpy. A 100 000-firm cluster has ~2.4 M
    weaknesses: joining them as frames took ~70 s, this takes a few seconds.
    """
    empty = (pd.DataFrame(columns=NEED_COLUMNS), pd.DataFrame(columns=["scenario", "key", "enterprises"]),
             pd.DataFrame(columns=["feed", "enterprises"]))
    if portraits.empty:
        return empty
    ent_ids = portraits["enterprise_id"].astype(int).to_numpy()
    # one pass over the stored weakness lists: (row, key, severity); a weakness is never skipped
    keys: dict[str, int] = {}
    samples: list[Mapping[str, Any]] = []
    key_l: list[int] = []
    sev_l: list[float] = []
    # equal weaknesses are one shared object (``portraits.shared_items``): each is read once, by identity
    # (the frame keeps every item alive, so an id stands for one item throughout)
    seen: dict[int, tuple[int, float]] = {}
    lists = portraits["weaknesses"].tolist()
    for weak in lists:
        for w in weak or ():
            got = seen.get(id(w))
            if got is None:
                k = weakness_key(w)
                n = keys.get(k)
                if n is None:
                    n = keys[k] = len(samples)
                    samples.append(w)
                got = seen[id(w)] = (n, float(w["severity"]))
            key_l.append(got[0])
            sev_l.append(got[1])
    if not key_l:
        return empty
    w_row = np.repeat(np.arange(len(lists), dtype=np.int64), [len(weak or ()) for weak in lists])
    w_key = np.asarray(key_l, dtype=np.int64)
    w_sev = np.asarray(sev_l, dtype=float)
    key_names = list(keys)

    # the rule, once per distinct key and feed: key -> feed codes -> every map scenario of that code
    feed_no: dict[str, int] = {}
    key_feeds = [[feed_no.setdefault(f, len(feed_no)) for f in weakness_feeds(w, feeds)] for w in samples]
    feed_names = list(feed_no)
    scen_no: dict[str, int] = {}
    link_no: dict[str, int] = {}
    scen_link: list[int] = []
    feed_scens: list[list[int]] = []
    for f in feed_names:
        here = []
        for sc in taxonomy.scenarios_for(f):
            if sc.code not in scen_no:
                scen_no[sc.code] = len(scen_link)
                scen_link.append(link_no.setdefault(sc.link, len(link_no)))
            here.append(scen_no[sc.code])
        feed_scens.append(here)
    scen_names, link_names = list(scen_no), list(link_no)
    scen_link_a = np.asarray(scen_link, dtype=np.int64)

    # which of those links each enterprise operates: a boolean matrix (firms x links)
    operates = np.zeros((len(portraits), max(len(link_names), 1)), dtype=bool)
    for r, own in enumerate(portraits["chain_links"].tolist()):
        for c in own or ():
            j = link_no.get(c)
            if j is not None:
                operates[r, j] = True

    # weakness -> (weakness, feed) -> (weakness, feed, scenario) kept where the firm runs its link
    kf_off, kf_val = _csr(key_feeds)
    r_idx, r_feed = _expand(w_key, kf_off, kf_val)
    r_row = w_row[r_idx]
    fs_off, fs_val = _csr(feed_scens)
    p_idx, p_scen = _expand(r_feed, fs_off, fs_val)
    own = operates[r_row[p_idx], scen_link_a[p_scen]] if len(p_idx) else np.zeros(0, dtype=bool)
    p_idx, p_scen = p_idx[own], p_scen[own]
    p_row, p_feed = r_row[p_idx], r_feed[p_idx]
    p_key, p_sev = w_key[r_idx[p_idx]], w_sev[r_idx[p_idx]]

    n_s, n_k, n_f = len(scen_names), len(key_names), len(feed_names)
    pair = p_row * n_s + p_scen
    best = pd.Series(p_sev).groupby(pair, sort=True).max()
    codes = best.index.to_numpy(dtype=np.int64)
    rows_of, scens_of = codes // max(n_s, 1), codes % max(n_s, 1)
    size = portraits["size_class"].fillna(UNKNOWN).to_numpy(dtype=object)
    needs = pd.DataFrame({"enterprise_id": ent_ids[rows_of],
                          "scenario": np.asarray(scen_names, dtype=object)[scens_of],
                          "link": np.asarray(link_names, dtype=object)[scen_link_a[scens_of]],
                          "size_class": size[rows_of], "severity": best.to_numpy(dtype=float)})
    # rows come out by enterprise row, then scenario number: sort as the frame has always been sorted
    needs = needs.sort_values(["enterprise_id", "scenario", "link"], kind="stable").reset_index(drop=True)

    triple = _distinct(pair * n_k + p_key)  # an enterprise counts once per (scenario, key)
    sk, sk_n = np.unique(triple % (n_s * n_k), return_counts=True)
    sources = pd.DataFrame({"scenario": np.asarray(scen_names, dtype=object)[sk // n_k],
                            "key": np.asarray(key_names, dtype=object)[sk % n_k], "enterprises": sk_n})
    sources = sources.sort_values(["scenario", "key"], kind="stable").reset_index(drop=True)

    reached = _distinct(r_row * n_f + r_feed)
    placed = _distinct(p_row * n_f + p_feed)
    lost = np.setdiff1d(reached, placed, assume_unique=True)
    lf, lf_n = np.unique(lost % n_f, return_counts=True)
    unmapped = pd.DataFrame({"feed": np.asarray(feed_names, dtype=object)[lf], "enterprises": lf_n})
    unmapped = unmapped.sort_values("feed", kind="stable").reset_index(drop=True)
    return needs[NEED_COLUMNS], sources, unmapped


def enterprise_scenario_needs(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: Mapping[str, list[str]]
                              ) -> tuple[pd.DataFrame, dict[str, int]]:
    """(needs, unmapped): one row per (enterprise, scenario) with its severity; per feed code the number
    of enterprises whose weakness has no scenario of that code in their own links."""
    needs, _, unmapped = _carry(portraits, taxonomy, feeds)
    return needs, {str(f): int(n) for f, n in zip(unmapped["feed"], unmapped["enterprises"], strict=True)}


@dataclass
class _Tally:
    """What ``rank_needs`` reads of the (enterprise, scenario) needs, summed over parts of the cluster.

    Every figure is a count or a sum over firms (a firm is in exactly one part), or a maximum, so the
    parts add up to what one pass over the whole cluster gives, whatever the part size."""

    scenarios: list[pd.DataFrame] = field(default_factory=list)  # scenario: enterprises, need_score, max
    scenario_sizes: list[pd.DataFrame] = field(default_factory=list)  # (scenario, size): enterprises, score
    links: list[pd.DataFrame] = field(default_factory=list)  # link: enterprises, need_score (firm's max)
    link_sizes: list[pd.DataFrame] = field(default_factory=list)  # (link, size): enterprises
    sources: list[pd.DataFrame] = field(default_factory=list)
    unmapped: list[pd.DataFrame] = field(default_factory=list)
    with_needs: int = 0

    def add(self, needs: pd.DataFrame, sources: pd.DataFrame, unmapped: pd.DataFrame) -> None:
        self.sources.append(sources)
        self.unmapped.append(unmapped)
        if needs.empty:
            return
        self.with_needs += int(needs["enterprise_id"].nunique())
        # a need row is one (enterprise, scenario): counting rows counts firms
        self.scenarios.append(needs.groupby("scenario", sort=False).agg(
            enterprises=("severity", "size"), need_score=("severity", "sum"), severity_max=("severity", "max")))
        self.scenario_sizes.append(needs.groupby(["scenario", "size_class"], sort=False).agg(
            enterprises=("severity", "size"), need_score=("severity", "sum")))
        per_link = needs.groupby(["link", "enterprise_id"], sort=False).agg(
            severity=("severity", "max"), size_class=("size_class", "first"))
        self.links.append(per_link.groupby(level="link", sort=False).agg(
            enterprises=("severity", "size"), need_score=("severity", "sum")))
        self.link_sizes.append(per_link.groupby(["link", "size_class"], sort=False).agg(
            enterprises=("severity", "size")))

    @staticmethod
    def total(parts: list[pd.DataFrame], by: str | list[str], **how: str) -> pd.DataFrame:
        """The parts' rows summed (or ``how``: another reduction per column) per key, sorted by key."""
        both = pd.concat(parts)
        return both.groupby(level=by, sort=True).agg({c: how.get(c, "sum") for c in both.columns})


def _tally(portraits: PortraitSet, taxonomy: Taxonomy, feeds: Mapping[str, list[str]], chunk_firms: int) -> _Tally:
    """The tallies over the set's parts (their weaknesses read one part at a time), ``chunk_firms`` at a time."""
    tally = _Tally()
    step = max(int(chunk_firms), 1)
    if portraits.empty:  # an empty cluster: one empty part
        tally.add(*_carry(portraits.frame(), taxonomy, feeds))
    for part in portraits.parts(["weaknesses"]):
        for start in range(0, len(part), step):
            tally.add(*_carry(part.iloc[start:start + step], taxonomy, feeds))
    return tally


def _firms_per_link(chain_links: pd.Series) -> dict[str, int]:
    """How many firms (rows) are in each chain link, counted over the cluster's distinct link lists (a few
    dozen) instead of a row per firm and link (exploded, ~37 MB at the needs stage's peak for 300 000)."""
    out: Counter[str] = Counter()
    for links, firms in Counter(tuple(c) if isinstance(c, list) else () for c in chain_links.tolist()).items():
        for link in {x for x in links if isinstance(x, str)}:
            out[link] += firms
    return dict(out)


def _by_size(counts: pd.Series) -> dict[str, dict[str, int]]:
    """Firms per size class of each key, from counts indexed by (key, size class); the size classes in
    the vocabulary's order, zeros left out."""
    got: dict[str, dict[str, int]] = {}
    for (key, size), n in zip(counts.index.tolist(), counts.tolist(), strict=True):
        got.setdefault(str(key), {})[str(size)] = int(n)
    return {key: {s: here[s] for s in SIZE_ORDER if here.get(s, 0)} for key, here in got.items()}


def _ranked(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (-r["need_score"], -r["enterprises"], r[key]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows


def rank_needs(portraits: pd.DataFrame | PortraitSet, taxonomy: Taxonomy, feeds: Mapping[str, list[str]], *,
               common_share: float = 0.5, common_intensity: float = 0.0, top_sources: int = 5,
               top: int = 5, chunk_firms: int | None = None) -> dict[str, Any]:
    """The needs snapshot payload (see the module docstring for every figure's definition).

    The weaknesses are carried ``chunk_firms`` firms at a time (default ``SHUZHEN_PART_FIRMS``): its
    working set is several times the weaknesses it expands (a 60 000-firm cluster's ~1.5 M took ~650 MB
    at once), and only tallies (tens of rows per scenario and link) are kept between parts. The payload
    is the same for any part size. A ``PortraitSet``'s weaknesses are read a part of it at a time."""
    everyone = as_set(portraits)
    assessed = len(everyone)
    tally = _tally(everyone, taxonomy, feeds, chunk_firms or settings.part_firms)
    scen = {s.code: s for s in taxonomy.scenarios}
    links = {c.code: c for c in taxonomy.chain_links}
    portraits = everyone.light
    in_link = _firms_per_link(portraits["chain_links"])
    size_n = portraits["size_class"].fillna(UNKNOWN).value_counts().to_dict()
    sources = pd.concat(tally.sources).groupby(["scenario", "key"], sort=True)["enterprises"].sum().reset_index()
    src = {code: g.sort_values(["enterprises", "key"], ascending=[False, True]).head(top_sources)
           for code, g in sources.groupby("scenario")} if not sources.empty else {}

    scenario_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    by_link: dict[str, list[str]] = {}
    by_size: dict[str, list[dict[str, Any]]] = {}
    if tally.scenarios:
        agg = tally.total(tally.scenarios, "scenario", severity_max="max")
        scen_size = tally.total(tally.scenario_sizes, ["scenario", "size_class"])
        scen_sizes = _by_size(scen_size["enterprises"])
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
                "share_in_link": share_link, "sizes": scen_sizes[code],
                "severity_mean": float(r["need_score"]) / n, "severity_max": float(r["severity_max"]),
                "need_score": float(r["need_score"]), "intensity": intensity,
                "common": bool(share_link >= common_share - 1e-9 and intensity >= common_intensity - 1e-9),
                "sources": [] if g is None else [{"code": k, "enterprises": int(v)}
                                                 for k, v in zip(g["key"], g["enterprises"], strict=True)],
            })
        scenario_rows = _ranked(jsonable(scenario_rows), "scenario")

        per_link = tally.total(tally.links, "link")
        link_sizes = _by_size(tally.total(tally.link_sizes, ["link", "size_class"])["enterprises"])
        for link_key, r in per_link.iterrows():
            code = str(link_key)
            ranked_here = [row for row in scenario_rows if row["link"] == code]
            by_link[code] = [row["scenario"] for row in ranked_here[:top]]
            n, base = int(r["enterprises"]), int(in_link.get(code, 0))
            link_rows.append({
                "link": code, "name": links[code].name.model_dump(), "position": links[code].position,
                "enterprises": n, "enterprises_in_link": base, "share": n / assessed if assessed else 0.0,
                "share_in_link": n / base if base else 0.0, "sizes": link_sizes[code],
                "severity_mean": float(r["need_score"]) / n, "need_score": float(r["need_score"]),
                "top_scenarios": [row["scenario"] for row in ranked_here[:3]],
                "common": [row["scenario"] for row in ranked_here if row["common"]],
            })
        link_rows = _ranked(jsonable(link_rows), "link")

        per_size = scen_size.reset_index()
        for size, g in per_size.groupby("size_class", sort=True):
            g = g.sort_values(["need_score", "enterprises", "scenario"], ascending=[False, False, True]).head(top)
            base = int(size_n.get(size, 0))
            by_size[str(size)] = [{"scenario": c, "name": scen[c].name.model_dump(), "link": scen[c].link,
                                   "enterprises": int(e), "share_in_size": int(e) / base if base else 0.0,
                                   "need_score": float(v)}
                                  for c, e, v in zip(g["scenario"], g["enterprises"], g["need_score"], strict=True)]
        by_size = {s: by_size[s] for s in SIZE_ORDER if s in by_size}
    unmapped = pd.concat(tally.unmapped).groupby("feed", sort=True)["enterprises"].sum()
    unmapped_pairs = sorted(((str(f), int(n)) for f, n in unmapped.items()), key=lambda fn: (-fn[1], fn[0]))
    unmapped_rows = [{"feed": f, "enterprises": n} for f, n in unmapped_pairs]
    return jsonable_dict({
        "assessed": assessed, "common_share": common_share, "common_intensity": common_intensity,
        "definition": {"zh": DEFINITION["zh"].format(share=common_share, intensity=common_intensity),
                       "en": DEFINITION["en"].format(share=common_share, intensity=common_intensity)},
        "enterprises_with_needs": tally.with_needs,
        "scenarios": scenario_rows, "links": link_rows, "by_link": by_link,
        "by_size": by_size, "size_names": {s: size_text(s) for s in by_size},
        "unmapped": unmapped_rows,
        "common": [r["scenario"] for r in scenario_rows if r["common"]],
    })
