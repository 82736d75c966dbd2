"""The pilot shortlist (试点企业名单): N enterprises chosen under quotas, every choice explained.

Objective (weights in the pilot file, ``shortlist.objective``). Each candidate gets
``score = w_readiness x readiness + w_need x need + w_scale x scale``:

- ``readiness`` (0..1) is ``total / max_score``, discounted by ``self_assessed_weight`` when the score
  was not verified on site: a firm needs a foundation to absorb a transformation;
- ``need`` (0..1) is the portrait's mean gap to target: room for the funding to make a difference;
- ``scale`` (0..1) is the size class (large 1, medium 2/3, small 1/3, micro 0): a transformed large
  firm reaches further along the chain (suppliers, customers) - the "1+N" the programmes ask for.
  A weighted sum, not the former product need x readiness, which peaked at borderline firms (need and
  total move in opposite directions) and kept chain leaders at the quota minimum.

Representativeness: when ``cover_chain_links``, as many chain links as possible are represented first
(lexicographically before the score); sizes and chain leaders are quotas.

Quotas (``PilotTargets.shortlist``): ``size`` picks; at least ceil(share x size) chain leaders; at least
``min_per_size[c]`` of each size class; at most ``max_per_group`` per enterprise group; only willing
enterprises when ``willing_only``.

A shortlist always answers. An exact integer programme (``scipy.optimize.milp``, HiGHS, gap 0) solves
the quotas as hard constraints; when they cannot all hold it solves them as soft ones, lexicographic:
fewest weighted missing places (``violation_weights``), then most links, then the largest score, and
names every violated quota with how far it falls short (status ``best_effort``). With fewer candidates
than places every candidate is listed. Only an empty pool gives an empty list.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from diagnostics.canonical import jsonable_dict
from diagnostics.pilot import ShortlistQuotas
from diagnostics.portraits import PortraitSet, as_set
from diagnostics.recommend import recommend_portrait
from diagnostics.size_class import size_label
from diagnostics.taxonomy import Taxonomy
from diagnostics.workbooks.safe import text_of

SCALE = {"large": 1.0, "medium": 2 / 3, "small": 1 / 3, "micro": 0.0}


def objective_text(quotas: ShortlistQuotas) -> dict[str, str]:
    """The objective in words, with the pilot file's weights."""
    o = quotas.objective
    return {
        "zh": f"综合得分 = {o.readiness:g}×就绪度 + {o.need:g}×需求度 + {o.scale:g}×带动力。就绪度 = 总分/满分"
              f"（自评未经现场评定乘 {quotas.self_assessed_weight:g}）；需求度 = 各计分指标与目标的平均差距（0–1）；"
              "带动力按规模（大型1、中型2/3、小型1/3、微型0）。先尽量覆盖更多产业链环节，再比综合得分；"
              "链主占比与大中小企业数量为配额，配额无法全部满足时取违反（加权）最少的名单并逐项说明。",
        "en": f"score = {o.readiness:g} x readiness + {o.need:g} x need + {o.scale:g} x scale. Readiness = total / "
              f"max (x {quotas.self_assessed_weight:g} when self-assessed); need = mean gap of scored indicators to "
              "target (0-1); scale by size (large 1, medium 2/3, small 1/3, micro 0). Most chain links first, then "
              "the score; chain-leader share and size mix are quotas; when they cannot all hold, the list with the "
              "fewest weighted violations, each named.",
    }


# what the shortlist reads of a portrait (the objective, the quotas, each pick's entry): only these are
# copied for every candidate, not the whole row (with it, the stage peaked at 647 MB for a 300 000-firm
# cluster; with these, 594 MB)
TERMS = frozenset({"enterprise_id", "name", "uscc", "size_class", "chain_links", "chain_leader", "group_name",
                   "level", "total", "trusted", "need", "pilot_willing"})


def score_terms(portraits: pd.DataFrame, quotas: ShortlistQuotas, max_score: float = 100.0) -> pd.DataFrame:
    """need, readiness, scale and score for every portrait (rounded so reruns compare equal)."""
    df = portraits[[c for c in portraits.columns if c in TERMS]].copy()
    o = quotas.objective
    weight = np.where(df["trusted"].astype(bool), 1.0, quotas.self_assessed_weight)
    df["readiness"] = np.round(np.clip(df["total"].astype(float) / max_score, 0, 1) * weight, 6)
    df["need"] = np.round(df["need"].astype(float), 6)
    df["scale"] = np.round(df["size_class"].map(SCALE).fillna(0.0).astype(float), 6)
    df["score"] = np.round(o.readiness * df["readiness"] + o.need * df["need"] + o.scale * df["scale"], 6)
    return df


class _Problem:
    """The integer programme for one pool and one set of active quotas."""

    def __init__(self, pool: pd.DataFrame, quotas: ShortlistQuotas, links: list[str], active: set[str], *,
                 soft: bool = False) -> None:
        self.q, self.active, self.soft = quotas, active, soft
        pool = _prune(pool, quotas, active)
        self.pool = pool
        n = len(pool)
        self.n = n
        self.places = min(quotas.size, n)  # soft: fewer candidates than places lists them all
        member = pool["chain_links"].tolist()
        self.links = [lk for lk in links if any(lk in m for m in member)] if quotas.cover_chain_links else []
        self.m = len(self.links)
        rows: list[tuple[np.ndarray, float, float, str | None, float]] = []  # coeff, lo, hi, quota, sense

        def add(coeff: np.ndarray, low: float, high: float, quota: str | None = None, sense: float = 0.0) -> None:
            rows.append((coeff, low, high, quota, sense))

        width = n + self.m
        size_row = np.zeros(width)
        size_row[:n] = 1.0
        places = self.places if soft else quotas.size
        add(size_row, places, places)
        if "pinned" in pool.columns and pool["pinned"].any():  # officials' pins: every one is picked
            pinned = np.zeros(width)
            pinned[:n] = pool["pinned"].to_numpy(float)
            add(pinned, float(pinned.sum()), float(pinned.sum()))
        if "leaders" in active and self.min_leaders > 0:
            coeff = np.zeros(width)
            coeff[:n] = pool["chain_leader"].to_numpy(float)
            add(coeff, self.min_leaders, np.inf, "leaders", 1.0)
        for cls, k in sorted(quotas.min_per_size.items()):
            if f"size:{cls}" in active and k > 0:
                coeff = np.zeros(width)
                coeff[:n] = (pool["size_class"] == cls).to_numpy(float)
                add(coeff, k, np.inf, f"size:{cls}", 1.0)
        if "group" in active and quotas.max_per_group:
            for g, idx in sorted(pool.groupby("group_name").indices.items()):
                if len(idx) > quotas.max_per_group:
                    coeff = np.zeros(width)
                    coeff[idx] = 1.0
                    add(coeff, -np.inf, quotas.max_per_group, f"group:{g}", -1.0)
        for j, lk in enumerate(self.links):
            coeff = np.zeros(width)
            coeff[[i for i, mem in enumerate(member) if lk in mem]] = -1.0
            coeff[n + j] = 1.0
            add(coeff, -np.inf, 0.0)
        # soft quotas: one slack column per quota row (>= rows gain +slack, <= rows lose it)
        self.slacks = [(r, q) for r, (_, _, _, q, _) in enumerate(rows) if soft and q is not None]
        self.k = len(self.slacks)
        vw = quotas.violation_weights
        self.penalty = np.array([vw.leaders if q == "leaders" else vw.min_per_size if q.startswith("size:")
                                 else vw.max_per_group for _, q in self.slacks], dtype=float)
        matrix = np.zeros((len(rows), width + self.k))
        for r, (coeff, _, _, _, _) in enumerate(rows):
            matrix[r, :width] = coeff
        for s_idx, (r, _) in enumerate(self.slacks):
            matrix[r, width + s_idx] = rows[r][4]
        self.A = csr_matrix(matrix) if rows else None
        self.lo = np.array([r[1] for r in rows])
        self.hi = np.array([r[2] for r in rows])
        self.N = width + self.k

    @property
    def min_leaders(self) -> int:
        return math.ceil(self.q.min_chain_leader_share * self.q.size - 1e-9)

    def vector(self, picks: np.ndarray | None = None, links: np.ndarray | None = None,
               slacks: np.ndarray | None = None) -> np.ndarray:
        """An objective or constraint row over (picks, link flags, slacks)."""
        out = np.zeros(self.N)
        if picks is not None:
            out[:self.n] = picks
        if links is not None:
            out[self.n:self.n + self.m] = links
        if slacks is not None:
            out[self.n + self.m:] = slacks
        return out

    def solve(self, objective: np.ndarray, extra: list[tuple[np.ndarray, float, float]] | None = None
              ) -> np.ndarray | None:
        A, lo, hi = self.A, self.lo, self.hi
        if A is None:
            return None
        if extra:
            A = csr_matrix(np.vstack([A.toarray(), *[e[0] for e in extra]]))
            lo = np.append(lo, [e[1] for e in extra])
            hi = np.append(hi, [e[2] for e in extra])
        upper = np.concatenate([np.ones(self.n + self.m), np.full(self.k, float(max(self.q.size, 1)))])
        res = milp(objective, constraints=LinearConstraint(A, lo, hi), integrality=np.ones(self.N, dtype=np.int64),
                   bounds=Bounds(np.zeros(self.N), upper),
                   options={"mip_rel_gap": 0.0, "presolve": True, "time_limit": 120})
        if res.status != 0 or res.x is None:
            return None
        return np.round(res.x).astype(int)

    def feasible(self) -> bool:
        return self.solve(np.zeros(self.N)) is not None

    def best(self) -> tuple[np.ndarray | None, int]:
        """Lexicographic: (soft) fewest weighted violations, then most links covered, then score."""
        score = self.pool["score"].to_numpy(float)
        fixed: list[tuple[np.ndarray, float, float]] = []
        if self.k:
            x0 = self.solve(self.vector(slacks=self.penalty))
            if x0 is None:
                return None, 0
            cost = float(self.penalty @ x0[self.n + self.m:])
            fixed.append((self.vector(slacks=self.penalty), -np.inf, cost + 1e-6))
        covered = 0
        if self.m:
            x1 = self.solve(self.vector(links=-np.ones(self.m)), fixed)
            if x1 is None:
                return None, 0
            covered = int(x1[self.n:self.n + self.m].sum())
            fixed.append((self.vector(links=np.ones(self.m)), covered, np.inf))
        return self.solve(self.vector(picks=-score), fixed), covered


def _prune(pool: pd.DataFrame, quotas: ShortlistQuotas, active: set[str]) -> pd.DataFrame:
    """Drop candidates that can never be needed, so the exact solver stays fast on 10 000 firms.

    j dominates i when j has a higher score (ties: lower id), is a chain leader if i is one, has the same
    size class (any class when i's class has no minimum) and every chain link of i. i is dropped when
    ``size`` dominators are ungrouped or in i's own group, or ``max_per_group`` of them are in i's own
    group: any list holding i then leaves one of them out, and swapping i for it keeps every quota, the
    group counts and the links and does not lower the score. So the optimum over the kept candidates
    is the optimum over all (the brute-force test checks this).
    """
    n = len(pool)
    if n <= 4 * quotas.size:
        return pool
    lead_on = "leaders" in active and quotas.min_chain_leader_share > 0
    cap = quotas.max_per_group if "group" in active else None
    sized = {c for c, k in quotas.min_per_size.items() if k > 0 and f"size:{c}" in active}
    lead = pool["chain_leader"].to_numpy(bool) if lead_on else np.zeros(n, bool)
    size = pool["size_class"].map(lambda c: c if c in sized else "*").to_numpy(object)
    # one set per distinct link list (a cluster has a few dozen), not one per candidate (~40 MB at 300 000)
    link_set = functools.cache(frozenset[str])
    linkset = [link_set(tuple(c or []) if quotas.cover_chain_links else ()) for c in pool["chain_links"].tolist()]
    group = pool["group_name"].map(lambda g: g if cap and isinstance(g, str) else "").to_numpy(object)
    ids = pool["enterprise_id"].to_numpy(np.int64)
    key = np.round(pool["score"].to_numpy(float) * 1e6).astype(np.int64) * 10**8 + (10**8 - 1 - ids)
    classes: dict[tuple[bool, str, frozenset[str]], list[int]] = {}
    for idx, cls in enumerate(zip(lead, size, linkset, strict=True)):
        classes.setdefault(cls, []).append(idx)
    keep = np.zeros(n, dtype=bool)
    for (c_lead, c_size, c_links), members in classes.items():
        dom = np.concatenate([np.asarray(m) for (d_lead, d_size, d_links), m in classes.items()
                              if (d_lead or not c_lead) and (c_size == "*" or d_size == c_size) and c_links <= d_links])
        mem = np.asarray(members)
        free_keys = np.sort(key[dom[group[dom] == ""]])
        better_free = len(free_keys) - np.searchsorted(free_keys, key[mem], side="right")
        better_own = np.zeros(len(mem), dtype=np.int64)
        for g in set(group[mem]) - {""}:
            own = np.sort(key[dom[group[dom] == g]])
            sel = group[mem] == g
            better_own[sel] = len(own) - np.searchsorted(own, key[mem[sel]], side="right")
        drop = (better_free + better_own >= quotas.size) | ((better_own >= cap) if cap else False)
        keep[mem] = ~drop
    if "pinned" in pool.columns:
        keep |= pool["pinned"].to_numpy(bool)  # a pinned firm is always a candidate (keeping more is safe)
    return pool[keep].reset_index(drop=True)


def _labels(quotas: ShortlistQuotas, min_leaders: int) -> dict[str, tuple[str, str]]:
    out = {"size": (f"名单规模 {quotas.size} 家", f"list size {quotas.size}"),
           "leaders": (f"链主或骨干企业占比不低于 {quotas.min_chain_leader_share:.0%}（至少 {min_leaders} 家）",
                       f"chain leaders at least {quotas.min_chain_leader_share:.0%} (at least {min_leaders})"),
           "group": (f"同一集团最多 {quotas.max_per_group} 家", f"at most {quotas.max_per_group} per group")}
    for cls, k in quotas.min_per_size.items():
        out[f"size:{cls}"] = (f"{size_label(cls)}企业至少 {k} 家", f"at least {k} {cls} enterprises")
    return out


def _capped(frame: pd.DataFrame, cap: int | None) -> int:
    """How many of ``frame`` can be picked when at most ``cap`` come from one group."""
    if not cap:
        return len(frame)
    grouped = frame[frame["group_name"].notna()].groupby("group_name").size()
    return int(frame["group_name"].isna().sum() + np.minimum(grouped, cap).sum())


def diagnose(pool: pd.DataFrame, quotas: ShortlistQuotas, links: list[str], willing_note: bool) -> list[dict[str, str]]:
    """Why the quotas cannot all hold: pool counts first, then one quota relaxed at a time."""
    k_lead = math.ceil(quotas.min_chain_leader_share * quotas.size - 1e-9)
    labels = _labels(quotas, k_lead)
    who_zh = "已诊断且有参与意愿的" if willing_note else "已诊断的"
    who_en = "assessed, willing" if willing_note else "assessed"
    cap = quotas.max_per_group
    problems = []
    available = _capped(pool, cap)
    if len(pool) < quotas.size or available < quotas.size:
        extra_zh = f"（同一集团最多 {cap} 家时最多可选 {available} 家）" if available < len(pool) else ""
        extra_en = f" ({available} when at most {cap} come from one group)" if available < len(pool) else ""
        problems.append({"quota": "size",
                         "zh": f"{labels['size'][0]}无法满足：{who_zh}企业只有 {len(pool)} 家{extra_zh}。",
                         "en": f"{labels['size'][1]} cannot be met: only {len(pool)} {who_en} enterprises{extra_en}."})
    leaders = _capped(pool[pool["chain_leader"]], cap)
    if k_lead > leaders:
        problems.append({"quota": "leaders",
                         "zh": f"{labels['leaders'][0]}无法满足：{who_zh}链主或骨干企业只有 {leaders} 家。",
                         "en": f"{labels['leaders'][1]} cannot be met: only {leaders} {who_en} chain leaders."})
    for cls, k in sorted(quotas.min_per_size.items()):
        have = _capped(pool[pool["size_class"] == cls], cap)
        if k > have:
            key = f"size:{cls}"
            problems.append({"quota": key,
                             "zh": f"{labels[key][0]}无法满足：{who_zh}{size_label(cls)}企业只有 {have} 家。",
                             "en": f"{labels[key][1]} cannot be met: only {have} {who_en} {cls} enterprises."})
    if problems:
        return problems
    active = _active(quotas)
    for key in sorted(active - {"size"}):
        if _Problem(pool, quotas, links, active - {key}).feasible():
            problems.append({"quota": key, "zh": f"{labels[key][0]}与其他配额无法同时满足，放宽此项即可选出名单。",
                             "en": f"{labels[key][1]} cannot be met together with the other quotas; relaxing it "
                                   "makes a list possible."})
    if not problems:
        problems.append({"quota": "combined", "zh": "各项配额合在一起无法同时满足，需同时放宽两项以上。",
                         "en": "The quotas cannot be met together; more than one must be relaxed."})
    return problems


def _active(quotas: ShortlistQuotas) -> set[str]:
    active = {"size", "leaders", "group"}
    active |= {f"size:{c}" for c, k in quotas.min_per_size.items() if k > 0}
    return active


def _entry(row: pd.Series, rank: int) -> dict[str, Any]:
    return {"enterprise_id": int(row["enterprise_id"]), "name": row["name"], "uscc": row["uscc"],
            "size_class": row["size_class"], "chain_links": list(row["chain_links"] or []),
            "chain_leader": bool(row["chain_leader"]), "group_name": row["group_name"], "level": int(row["level"]),
            "total": float(row["total"]), "trusted": bool(row["trusted"]), "need": float(row["need"]),
            "readiness": float(row["readiness"]), "score": float(row["score"]), "rank": rank}


def _quota_names(quotas: ShortlistQuotas, problem: _Problem) -> dict[str, tuple[str, str]]:
    labels = _labels(quotas, problem.min_leaders)
    out = dict(labels)
    for _, key in problem.slacks:
        if key.startswith("group:"):
            g = key.split(":", 1)[1]
            out[key] = (f"集团“{g}”最多 {quotas.max_per_group} 家", f"at most {quotas.max_per_group} from group '{g}'")
    return out


def _violations(problem: _Problem, x: np.ndarray, quotas: ShortlistQuotas, pool_size: int) -> list[dict[str, Any]]:
    """Every quota the best-effort list does not meet, with how far it falls short."""
    names = _quota_names(quotas, problem)
    out: list[dict[str, Any]] = []
    if pool_size < quotas.size:
        out.append({"quota": "size", "short_by": quotas.size - pool_size, "weight": None,
                    "zh": f"{names['size'][0]}未满足：只有 {pool_size} 家候选企业，全部列入，"
                          f"仍缺 {quotas.size - pool_size} 家。",
                    "en": f"{names['size'][1]} not met: only {pool_size} candidates, all listed, "
                          f"{quotas.size - pool_size} short."})
    for s_idx, (_, key) in enumerate(problem.slacks):
        short = int(x[problem.n + problem.m + s_idx])
        if short <= 0:
            continue
        zh, en = names.get(key, (key, key))
        verb_zh = "超出" if key.startswith("group:") else "还差"
        verb_en = "over by" if key.startswith("group:") else "short by"
        out.append({"quota": key, "short_by": short, "weight": float(problem.penalty[s_idx]),
                    "zh": f"{zh}未满足：{verb_zh} {short} 家（每家计 {problem.penalty[s_idx]:g} 分违反权重）。",
                    "en": f"{en} not met: {verb_en} {short} (violation weight {problem.penalty[s_idx]:g} each)."})
    return out


class _Ranks:
    """Each candidate's rank in the pool (1 = the highest score; ties: the lower id first), from two arrays:
    the sorted pool as a frame and an id -> rank dict were ~35 MB for 300 000 candidates, while only the
    picks and the near misses are ranked. ``pool`` is in enterprise-id order."""

    def __init__(self, pool: pd.DataFrame) -> None:
        self.pool = pool
        self.ids = pool["enterprise_id"].to_numpy(np.int64)
        self.order = np.lexsort((self.ids, -pool["score"].to_numpy(float)))  # best first
        self.rank = np.empty(len(pool), dtype=np.int64)
        self.rank[self.order] = np.arange(1, len(pool) + 1)

    def of(self, enterprise_id: int) -> int:
        at = int(np.searchsorted(self.ids, enterprise_id))
        if at == len(self.ids) or self.ids[at] != enterprise_id:
            raise KeyError(enterprise_id)
        return int(self.rank[at])

    def best(self, k: int, *, besides: pd.Series) -> pd.DataFrame:
        """The ``k`` best-ranked candidates not in ``besides``, best first."""
        head = self.pool.iloc[self.order[:k + len(besides)]]
        return head[~head["enterprise_id"].isin(besides)].head(k)


def select_shortlist(portraits: pd.DataFrame, quotas: ShortlistQuotas, chain_links: list[str], *,
                     max_score: float = 100.0, link_names: Mapping[str, Any] | None = None,
                     pinned: Mapping[int, str] | None = None,
                     excluded_by_official: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The shortlist snapshot payload (see the module docstring for the objective and quotas).

    ``pinned`` / ``excluded_by_official``: enterprise id -> the reason an official gave (the console's
    pins, ``shortlist_pins``). An excluded firm is no candidate; every pinned firm is picked (a hard
    constraint; it is a candidate even when it has not said it is willing), and its reasons say so.
    """
    pins = {int(k): str(v) for k, v in (pinned or {}).items()}
    banned = {int(k): str(v) for k, v in (excluded_by_official or {}).items() if int(k) not in pins}
    lname = {c: (text_of(v, "zh") or c) for c, v in (link_names or {}).items()}
    lname_en = {c: (text_of(v, "en") or c) for c, v in (link_names or {}).items()}
    terms = score_terms(portraits, quotas, max_score).sort_values("enterprise_id", kind="stable")
    official_out = [{**_entry(r, 0), "reason": banned[int(r["enterprise_id"])]}
                    for _, r in terms[terms["enterprise_id"].isin(list(banned))].iterrows()]
    terms = terms[~terms["enterprise_id"].isin(list(banned))].assign(
        pinned=lambda d: d["enterprise_id"].isin(list(pins)))
    willing = terms["pilot_willing"].astype(bool) | (not quotas.willing_only)
    verified = terms["trusted"].astype(bool) | (not quotas.verified_only)
    eligible = (willing & verified) | terms["pinned"]
    pool = terms[eligible].reset_index(drop=True)
    excluded = terms[~eligible]
    ranks = _Ranks(pool)
    problem = _Problem(pool, quotas, chain_links, _active(quotas))
    head: dict[str, Any] = {
        "quotas": {**quotas.model_dump(), "min_chain_leaders": problem.min_leaders},
        "objective": {"definition": objective_text(quotas)},
        "candidates": len(pool), "excluded_not_willing": int((~eligible & ~willing).sum()),
        "excluded_not_verified": int((~eligible & willing & ~verified).sum()), "links_total": len(chain_links),
        "pinned": [{"enterprise_id": k, "reason": v} for k, v in sorted(pins.items())],
        "excluded_by_official": official_out,
    }
    x, covered, status, violations, problems = None, 0, "optimal", [], []
    if len(pool) >= quotas.size:
        x, covered = problem.best()
    if x is None and len(pool):
        problems = diagnose(pool, quotas, chain_links, quotas.willing_only)
        problem = _Problem(pool, quotas, chain_links, _active(quotas), soft=True)
        x, covered = problem.best()
        status = "best_effort"
        if x is not None:
            violations = _violations(problem, x, quotas, len(pool))
    if x is None:
        return jsonable_dict({**head, "status": "no_candidates" if not len(pool) else "infeasible", "picks": [],
                         "near_misses": [], "checks": [], "violations": [],
                         "problems": problems or diagnose(pool, quotas, chain_links, quotas.willing_only)})
    chosen = problem.pool[x[: problem.n] == 1]
    picks_links = {lk: chosen[chosen["chain_links"].map(lambda c, lk=lk: lk in (c or []))]["enterprise_id"].tolist()
                   for lk in chain_links}
    labels = _labels(quotas, problem.min_leaders)
    lead_n = int(chosen["chain_leader"].sum())
    size_n = chosen["size_class"].value_counts()
    o = quotas.objective
    picks = []
    for _, row in chosen.sort_values(["score", "enterprise_id"], ascending=[False, True]).iterrows():
        e = _entry(row, ranks.of(int(row["enterprise_id"])))
        zh, en, held = [], [], []
        if int(row["enterprise_id"]) in pins:
            zh.append(f"由主管部门确定入选：{pins[int(row['enterprise_id'])]}")
            en.append(f"pinned by the bureau: {pins[int(row['enterprise_id'])]}")
            held.append("pinned")
        # a quota "holds" a pick only when the quota is at its minimum: without this firm it would fail
        if row["chain_leader"] and problem.min_leaders:
            if lead_n <= problem.min_leaders:
                held.append("leaders")
                zh.append(f"链主配额需要它：名单共 {lead_n} 家链主或骨干企业，要求至少 {problem.min_leaders} 家")
                en.append(f"the chain-leader quota needs it: {lead_n} leaders listed, at least "
                          f"{problem.min_leaders} required")
            else:
                zh.append(f"是链主或骨干企业（名单共 {lead_n} 家，要求至少 {problem.min_leaders} 家）")
                en.append(f"a chain leader ({lead_n} listed, at least {problem.min_leaders} required)")
        k = quotas.min_per_size.get(row["size_class"], 0)
        if k:
            got = int(size_n.get(row["size_class"], 0))
            if got <= k:
                held.append(f"size:{row['size_class']}")
                zh.append(f"{size_label(row['size_class'])}企业配额需要它：名单共 {got} 家，要求至少 {k} 家")
                en.append(f"the {row['size_class']} quota needs it: {got} listed, at least {k} required")
        sole = [lk for lk in (row["chain_links"] or []) if picks_links.get(lk) == [int(row["enterprise_id"])]]
        if sole and problem.m:
            zh.append(f"是名单中唯一覆盖“{'、'.join(lname.get(lk, lk) for lk in sole)}”环节的企业")
            en.append(f"the only pick covering {', '.join(lname_en.get(lk, lk) for lk in sole)}")
            held.append("links")
        if not held:
            zh.append("按综合得分入选（不靠配额）")
            en.append("chosen on its score (no quota needed it)")
        zh.append(f"综合得分 {o.readiness:g}×就绪度 {row['readiness']:.3f} + {o.need:g}×需求度 {row['need']:.3f} + "
                  f"{o.scale:g}×带动力 {row['scale']:.3f} = {row['score']:.3f}，"
                  f"在 {len(pool)} 家候选中排第 {e['rank']}")
        en.append(f"score {o.readiness:g} x readiness {row['readiness']:.3f} + {o.need:g} x need {row['need']:.3f} + "
                  f"{o.scale:g} x scale {row['scale']:.3f} = {row['score']:.3f}, rank {e['rank']} of {len(pool)} "
                  "candidates")
        picks.append({**e, "held_by": held, "reasons_zh": zh, "reasons_en": en})
    free = [p for p in picks if not p["held_by"]]
    floor = min(free, key=lambda p: (p["score"], -p["enterprise_id"])) if free else None
    grouped = chosen[chosen["group_name"].notna()]
    group_picks = grouped.groupby("group_name")["name"].apply(list).to_dict() if quotas.max_per_group else {}
    near = []
    rest = ranks.best(quotas.near_misses, besides=chosen["enterprise_id"])
    for _, row in rest.iterrows():
        e = _entry(row, ranks.of(int(row["enterprise_id"])))
        g = row["group_name"]
        if quotas.max_per_group and g in group_picks and len(group_picks[g]) >= quotas.max_per_group:
            why = (f"所属集团“{g}”已有 {len(group_picks[g])} 家入选（{'、'.join(group_picks[g])}），达到每集团上限",
                   f"its group '{g}' already has {len(group_picks[g])} pick(s) ({', '.join(group_picks[g])}), "
                   "the per-group limit")
        elif floor is not None and e["score"] <= floor["score"]:
            why = (f"得分 {e['score']:.3f} 不高于名单中按得分自由选入的最低者（{floor['name']}，{floor['score']:.3f}）",
                   f"score {e['score']:.3f} is not above the lowest freely chosen pick ({floor['name']}, "
                   f"{floor['score']:.3f})")
        else:
            why = ("名单其余位置均由配额或环节覆盖占用，替换会破坏配额或减少覆盖的环节",
                   "the other places are held by quotas or chain-link coverage; swapping it in would break a "
                   "quota or cover fewer links")
        near.append({**e, "why_not_zh": why[0], "why_not_en": why[1]})
    notable = []
    if floor is not None and len(excluded):
        top_ex = excluded.sort_values(["score", "enterprise_id"], ascending=[False, True])
        for _, row in top_ex[top_ex["score"] > floor["score"]].head(quotas.near_misses).iterrows():
            if bool(row["pilot_willing"]) or not quotas.willing_only:
                why_not = ("尚未经数字专员现场核验（试点文件要求只选核验过的企业）",
                           "not yet verified on site (the pilot file admits verified enterprises only)")
            else:
                why_not = ("未表示参与试点意愿", "has not said it is willing to join the pilot")
            notable.append({**_entry(row, 0), "why_not_zh": why_not[0], "why_not_en": why_not[1]})
    checks: list[dict[str, Any]] = [
        {"quota": "size", "label": labels["size"], "required": quotas.size, "actual": len(chosen)}]
    if problem.min_leaders:
        checks.append({"quota": "leaders", "label": labels["leaders"], "required": problem.min_leaders,
                       "actual": lead_n})
    for cls, k in sorted(quotas.min_per_size.items()):
        checks.append({"quota": f"size:{cls}", "label": labels[f"size:{cls}"], "required": k,
                       "actual": int(size_n.get(cls, 0))})
    if quotas.max_per_group:
        sizes_g = grouped.groupby("group_name").size()
        worst = int(sizes_g.max()) if len(sizes_g) else 0  # no pick in any group: 0, not NaN
        checks.append({"quota": "group", "label": labels["group"], "required": quotas.max_per_group, "actual": worst,
                       "at_most": True})
    for c in checks:
        actual, required = int(c["actual"]), int(c["required"])
        c["met"] = actual <= required if c.get("at_most") else actual >= required
        zh, en = c["label"]
        c["label"] = {"zh": zh, "en": en}
    if status == "best_effort" and not violations and all(c["met"] for c in checks):
        status = "optimal"
    coverable = set(problem.links)
    return jsonable_dict({
        **head, "status": status, "problems": problems if status == "best_effort" else [],
        "violations": violations,
        "objective": {**head["objective"], "value": float(chosen["score"].sum())},
        "links": {"covered": [lk for lk in chain_links if picks_links.get(lk)],
                  "uncovered": [lk for lk in chain_links if not picks_links.get(lk) and lk in coverable],
                  "no_candidate": [lk for lk in chain_links if lk not in coverable] if quotas.cover_chain_links else [],
                  "covered_count": covered if problem.m else sum(1 for lk in chain_links if picks_links.get(lk))},
        "picks": picks, "near_misses": near, "excluded_notable": notable, "checks": checks,
    })


def participant_list(shortlist: Mapping[str, Any], portraits: pd.DataFrame | PortraitSet, taxonomy: Taxonomy,
                     feeds: Mapping[str, list[str]], names: Mapping[str, Any], *, scenarios: int = 3
                     ) -> list[dict[str, Any]]:
    """Seed 000's list of participating enterprises: name, USCC, manufacturing digital level, what is to be
    transformed (the first scenarios the one recommendation rule gives), listed or not. One row per pick."""
    picks = [int(p["enterprise_id"]) for p in shortlist.get("picks", [])]
    by_id = as_set(portraits).frame(picks).set_index("enterprise_id")  # only the picks' profiles are read
    rows = []
    for p in shortlist.get("picks", []):
        eid = int(p["enterprise_id"])
        portrait = {str(k): v for k, v in by_id.loc[eid].items()} if eid in by_id.index else {}
        recs = recommend_portrait({**portrait, "enterprise_id": eid}, taxonomy, feeds, names, limit=scenarios)
        level = int(p["level"])
        rows.append({
            "enterprise_id": eid, "name": p["name"], "uscc": p["uscc"], "level": level,
            "level_name": {"zh": f"{level} 级" if level else "未达一级",
                           "en": f"level {level}" if level else "below level 1"},
            "scenarios": [{"code": r.scenario.code, "name": r.scenario.name.model_dump()} for r in recs],
            "listed": bool(portrait.get("listed", False)),
        })
    return rows
