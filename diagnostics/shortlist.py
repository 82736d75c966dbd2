"""The pilot shortlist (试点企业名单): N enterprises chosen under quotas, every choice explained.

Objective. Each candidate gets ``score = need x readiness``:

- ``need`` (0..1) is the portrait's mean weakness severity (how far its scored indicators are below
  target, on average): funding helps most where the gaps are;
- ``readiness`` (0..1) is ``total / max_score``, discounted by ``self_assessed_weight`` when the score
  was not verified on site: a firm needs some foundation to absorb a transformation, and an unverified
  score may be optimistic;
- the product favours firms that have both clear gaps and the base to close them; a firm with no
  gaps, or with nothing to build on, scores near 0.

Quotas (``PilotTargets.shortlist``): exactly ``size`` picks; at least ceil(share x size) chain leaders;
at least ``min_per_size[c]`` of each size class; at most ``max_per_group`` per enterprise group; only
willing enterprises when ``willing_only``; and, when ``cover_chain_links``, as many chain links
represented as the other quotas allow ("where possible").

Solver. An exact integer programme (``scipy.optimize.milp``, HiGHS, relative gap 0), lexicographic:
first the most chain links covered under the hard quotas, then the largest total score with that
coverage fixed. When the hard quotas cannot all hold, each is checked against the pool (not enough
leaders, too few small firms...) and then relaxed one at a time; the message names the quota(s) that
fail, in Chinese and English.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from diagnostics.canonical import jsonable_dict
from diagnostics.pilot import ShortlistQuotas

SIZE_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型", "unknown": "规模未知"}
OBJECTIVE_TEXT = {
    "zh": "得分 = 需求度 × 就绪度。需求度为各计分指标低于目标的平均差距（0–1）；就绪度为总分/满分，"
          "未经现场评定的自评结果乘以折扣系数。既有明显短板、又有承接改造基础的企业优先。",
    "en": "score = need x readiness. Need is the mean shortfall of scored indicators below target (0-1); "
          "readiness is total / max score, discounted when the score was self-assessed rather than verified "
          "on site. Firms with clear gaps and the base to close them come first.",
}


def score_terms(portraits: pd.DataFrame, quotas: ShortlistQuotas, max_score: float = 100.0) -> pd.DataFrame:
    """need, readiness and score for every portrait (rounded so reruns compare equal)."""
    df = portraits.copy()
    weight = np.where(df["trusted"].astype(bool), 1.0, quotas.self_assessed_weight)
    df["readiness"] = np.round(np.clip(df["total"].astype(float) / max_score, 0, 1) * weight, 6)
    df["need"] = np.round(df["need"].astype(float), 6)
    df["score"] = np.round(df["need"] * df["readiness"], 6)
    return df


class _Problem:
    """The integer programme for one pool and one set of active quotas."""

    def __init__(self, pool: pd.DataFrame, quotas: ShortlistQuotas, links: list[str], active: set[str]) -> None:
        self.q, self.active = quotas, active
        pool = _prune(pool, quotas, active)
        self.pool = pool
        n = len(pool)
        self.n = n
        member = pool["chain_links"].tolist()
        self.links = [lk for lk in links if any(lk in m for m in member)] if quotas.cover_chain_links else []
        self.m = len(self.links)
        rows: list[np.ndarray] = []
        lo: list[float] = []
        hi: list[float] = []

        def add(coeff: np.ndarray, low: float, high: float) -> None:
            rows.append(coeff)
            lo.append(low)
            hi.append(high)

        pad = np.zeros(self.m)
        add(np.concatenate([np.ones(n), pad]), quotas.size, quotas.size)
        if "leaders" in active and self.min_leaders > 0:
            add(np.concatenate([pool["chain_leader"].to_numpy(float), pad]), self.min_leaders, np.inf)
        for cls, k in sorted(quotas.min_per_size.items()):
            if f"size:{cls}" in active and k > 0:
                add(np.concatenate([(pool["size_class"] == cls).to_numpy(float), pad]), k, np.inf)
        if "group" in active and quotas.max_per_group:
            for _, idx in sorted(pool.groupby("group_name").indices.items()):
                if len(idx) > quotas.max_per_group:
                    coeff = np.zeros(n + self.m)
                    coeff[idx] = 1.0
                    add(coeff, -np.inf, quotas.max_per_group)
        for j, lk in enumerate(self.links):
            coeff = np.zeros(n + self.m)
            coeff[[i for i, mem in enumerate(member) if lk in mem]] = -1.0
            coeff[n + j] = 1.0
            add(coeff, -np.inf, 0.0)
        self.A = csr_matrix(np.vstack(rows))  # never empty: the size row is always there
        self.lo, self.hi = np.array(lo), np.array(hi)

    @property
    def min_leaders(self) -> int:
        return math.ceil(self.q.min_chain_leader_share * self.q.size - 1e-9)

    def solve(self, objective: np.ndarray, extra: tuple[np.ndarray, float] | None = None) -> np.ndarray | None:
        A, lo, hi = self.A, self.lo, self.hi
        if extra is not None:
            A = csr_matrix(np.vstack([A.toarray(), extra[0]]))
            lo, hi = np.append(lo, extra[1]), np.append(hi, np.inf)
        res = milp(objective, constraints=LinearConstraint(A, lo, hi), integrality=np.ones(self.n + self.m, dtype=int),
                   bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0, "presolve": True, "time_limit": 120})
        if res.status != 0 or res.x is None:
            return None
        picked: np.ndarray = np.round(res.x).astype(int)  # scipy's result is untyped
        return picked

    def feasible(self) -> bool:
        return self.solve(np.zeros(self.n + self.m)) is not None


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
    linkset = pool["chain_links"].map(lambda c: frozenset(c or []) if quotas.cover_chain_links else frozenset())
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
    return pool[keep].reset_index(drop=True)


def _labels(quotas: ShortlistQuotas, min_leaders: int) -> dict[str, tuple[str, str]]:
    out = {"size": (f"名单规模 {quotas.size} 家", f"list size {quotas.size}"),
           "leaders": (f"链主或骨干企业占比不低于 {quotas.min_chain_leader_share:.0%}（至少 {min_leaders} 家）",
                       f"chain leaders at least {quotas.min_chain_leader_share:.0%} (at least {min_leaders})"),
           "group": (f"同一集团最多 {quotas.max_per_group} 家", f"at most {quotas.max_per_group} per group")}
    for cls, k in quotas.min_per_size.items():
        out[f"size:{cls}"] = (f"{SIZE_ZH.get(cls, cls)}企业至少 {k} 家", f"at least {k} {cls} enterprises")
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
                             "zh": f"{labels[key][0]}无法满足：{who_zh}{SIZE_ZH.get(cls, cls)}企业只有 {have} 家。",
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


def select_shortlist(portraits: pd.DataFrame, quotas: ShortlistQuotas, chain_links: list[str], *,
                     max_score: float = 100.0) -> dict[str, Any]:
    """The shortlist snapshot payload (see the module docstring for the objective and quotas)."""
    terms = score_terms(portraits, quotas, max_score).sort_values("enterprise_id", kind="stable")
    pool = terms[terms["pilot_willing"]] if quotas.willing_only else terms
    pool = pool.reset_index(drop=True)
    excluded = terms[~terms["pilot_willing"]] if quotas.willing_only else terms.iloc[0:0]
    order = pool.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    rank = {int(e): i + 1 for i, e in enumerate(order["enterprise_id"])}
    problem = _Problem(pool, quotas, chain_links, _active(quotas))
    head: dict[str, Any] = {
        "quotas": {**quotas.model_dump(), "min_chain_leaders": problem.min_leaders},
        "objective": {"definition": OBJECTIVE_TEXT},
        "candidates": len(pool), "excluded_not_willing": len(excluded), "links_total": len(chain_links),
    }
    x = None
    covered = 0
    if len(pool) >= quotas.size:
        if problem.m:
            x1 = problem.solve(np.concatenate([np.zeros(problem.n), -np.ones(problem.m)]))
            if x1 is not None:
                covered = int(x1[problem.n:].sum())
                cover_row = np.concatenate([np.zeros(problem.n), np.ones(problem.m)])
                x = problem.solve(np.concatenate([-problem.pool["score"].to_numpy(float), np.zeros(problem.m)]),
                                  extra=(cover_row, covered))
        else:
            x = problem.solve(-problem.pool["score"].to_numpy(float))
    if x is None:
        return jsonable_dict({**head, "status": "infeasible", "picks": [], "near_misses": [], "checks": [],
                         "problems": diagnose(pool, quotas, chain_links, quotas.willing_only)})
    chosen = problem.pool[x[: problem.n] == 1]
    picks_links = {lk: chosen[chosen["chain_links"].map(lambda c, lk=lk: lk in (c or []))]["enterprise_id"].tolist()
                   for lk in chain_links}
    labels = _labels(quotas, problem.min_leaders)
    lead_n = int(chosen["chain_leader"].sum())
    size_n = chosen["size_class"].value_counts()
    picks = []
    for _, row in chosen.sort_values(["score", "enterprise_id"], ascending=[False, True]).iterrows():
        e = _entry(row, rank[int(row["enterprise_id"])])
        zh, en, held = [], [], []
        if row["chain_leader"] and problem.min_leaders:
            zh.append(f"计入链主配额（已选 {lead_n} 家，要求至少 {problem.min_leaders} 家）")
            en.append(f"counts toward the chain-leader quota ({lead_n} picked, "
                      f"at least {problem.min_leaders} required)")
            if lead_n <= problem.min_leaders:
                held.append("leaders")
        k = quotas.min_per_size.get(row["size_class"], 0)
        if k:
            got = int(size_n.get(row["size_class"], 0))
            zh.append(f"计入{SIZE_ZH.get(row['size_class'])}企业配额（已选 {got} 家，要求至少 {k} 家）")
            en.append(f"counts toward the {row['size_class']} quota ({got} picked, at least {k} required)")
            if got <= k:
                held.append(f"size:{row['size_class']}")
        sole = [lk for lk in (row["chain_links"] or []) if picks_links.get(lk) == [int(row["enterprise_id"])]]
        if sole and problem.m:
            zh.append(f"是名单中唯一覆盖环节 {'、'.join(sole)} 的企业")
            en.append(f"the only pick covering chain link(s) {', '.join(sole)}")
            held.append("links")
        if not held:
            zh.append("按得分入选，未占用配额名额")
            en.append("chosen on its score alone: no quota needed it")
        zh.append(f"需求度 {row['need']:.3f} × 就绪度 {row['readiness']:.3f} = 得分 {row['score']:.3f}，"
                  f"在 {len(pool)} 家候选中排第 {e['rank']}")
        en.append(f"need {row['need']:.3f} x readiness {row['readiness']:.3f} = score {row['score']:.3f}, "
                  f"rank {e['rank']} of {len(pool)} candidates")
        picks.append({**e, "held_by": held, "reasons_zh": zh, "reasons_en": en})
    free = [p for p in picks if not p["held_by"]]
    floor = min(free, key=lambda p: (p["score"], -p["enterprise_id"])) if free else None
    group_picks = chosen.groupby("group_name")["name"].apply(list).to_dict() if quotas.max_per_group else {}
    near = []
    rest = order[~order["enterprise_id"].isin(chosen["enterprise_id"])].head(quotas.near_misses)
    for _, row in rest.iterrows():
        e = _entry(row, rank[int(row["enterprise_id"])])
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
            notable.append({**_entry(row, 0), "why_not_zh": "未表示参与试点意愿",
                            "why_not_en": "has not said it is willing to join the pilot"})
    checks: list[dict[str, Any]] = [
        {"quota": "size", "label": labels["size"], "required": quotas.size, "actual": len(chosen)}]
    if problem.min_leaders:
        checks.append({"quota": "leaders", "label": labels["leaders"], "required": problem.min_leaders,
                       "actual": lead_n})
    for cls, k in sorted(quotas.min_per_size.items()):
        checks.append({"quota": f"size:{cls}", "label": labels[f"size:{cls}"], "required": k,
                       "actual": int(size_n.get(cls, 0))})
    if quotas.max_per_group:
        worst = int(chosen[chosen["group_name"].notna()].groupby("group_name").size().max() or 0) if len(chosen) else 0
        checks.append({"quota": "group", "label": labels["group"], "required": quotas.max_per_group, "actual": worst,
                       "at_most": True})
    for c in checks:
        c["met"] = c["actual"] <= c["required"] if c.get("at_most") else c["actual"] >= c["required"]
        c["label"] = {"zh": c["label"][0], "en": c["label"][1]}
    coverable = set(problem.links)
    return jsonable_dict({
        **head, "status": "optimal", "problems": [],
        "objective": {**head["objective"], "value": float(chosen["score"].sum())},
        "links": {"covered": [lk for lk in chain_links if picks_links.get(lk)],
                  "uncovered": [lk for lk in chain_links if not picks_links.get(lk) and lk in coverable],
                  "no_candidate": [lk for lk in chain_links if lk not in coverable] if quotas.cover_chain_links else [],
                  "covered_count": covered if problem.m else sum(1 for lk in chain_links if picks_links.get(lk))},
        "picks": picks, "near_misses": near, "excluded_notable": notable, "checks": checks,
    })
