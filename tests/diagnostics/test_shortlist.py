"""The pilot shortlist: hand-checked picks, quotas met, exactness against brute force, clear failures."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from diagnostics.pilot import ShortlistQuotas
from diagnostics.shortlist import score_terms, select_shortlist
from tests.diagnostics.cluster_fixtures import portraits, targets

LINKS = ["raw", "forming", "firing", "packing", "sales"]


def test_mini_cluster_picks_leader_and_small_firm_with_reasons():
    """size 2, >= 50 % leaders (1), >= 1 small, links where possible. Scores (0.5 readiness + 0.3 need
    + 0.2 scale; readiness = total/30 x 0.9 self-assessed; scale small 1/3, medium 2/3, large 1):
    E1 0.27 + 0.0667 + 0.0667 = 0.4033, E2 0.24 + 0.1 + 0.1333 = 0.4733, E3 0 + 0.3 + 0.0667 = 0.3667,
    E4 (verified) 0.5 + 0 + 0.2 = 0.7. E2 is the only leader; E1 beats E3 for the small place (both add
    one link to E2's raw + forming); E4, the best score, is neither."""
    out = select_shortlist(portraits(), targets().shortlist, LINKS, max_score=30)
    assert out["status"] == "optimal" and out["violations"] == []
    assert [p["enterprise_id"] for p in out["picks"]] == [2, 1]
    assert [p["score"] for p in out["picks"]] == pytest.approx([0.4733, 0.4033], abs=1e-4)
    e2, e1 = out["picks"]
    assert e2["held_by"] == ["leaders", "links"] and e1["held_by"] == ["size:small", "links"]
    assert any("chain-leader quota needs it" in r for r in e2["reasons_en"])
    assert any("链主配额需要它" in r for r in e2["reasons_zh"])
    assert "need 0.222 + 0.2 x scale 0.333 = 0.403, rank 3 of 4" in e1["reasons_en"][-1]
    assert out["links"]["covered"] == ["raw", "forming", "firing"] and out["links"]["no_candidate"] == ["packing"]
    assert all(c["met"] for c in out["checks"])
    assert [n["enterprise_id"] for n in out["near_misses"]] == [4, 3]


def test_reasons_never_contradict_themselves():
    """A pick is "chosen on its score" only when no quota needed it; a quota is named as needing a pick
    only when the list sits at that quota's minimum."""
    frame = pool(200, 5)
    q = ShortlistQuotas(size=20, min_chain_leader_share=0.1, min_per_size={"small": 3, "medium": 2}, max_per_group=1)
    out = select_shortlist(frame, q, LINKS)
    for p in out["picks"]:
        free = any("no quota needed it" in r for r in p["reasons_en"])
        assert free == (not p["held_by"])
        assert not (free and any("needs it" in r for r in p["reasons_en"]))
    assert all(n["why_not_en"] and n["why_not_zh"] for n in out["near_misses"])


def test_ranks_and_near_misses_follow_the_score_ties_to_the_lower_id():
    """Every pick's and near miss's rank is its place among the candidates by score (equal scores: the
    lower id first); the near misses are the best-ranked candidates not picked, best first."""
    frame = pool(300, 11)
    frame["total"] = np.round(frame["total"], -1)  # many equal scores: 11 totals x 4 sizes
    frame["need"], frame["trusted"] = 0.0, True
    frame = frame.sample(frac=1, random_state=3)  # rows in any order
    q = ShortlistQuotas(size=12, min_chain_leader_share=0.2, min_per_size={"small": 3}, near_misses=8)
    out = select_shortlist(frame, q, LINKS)
    terms = score_terms(frame, q)
    pool_ = terms[terms["pilot_willing"]].sort_values(["score", "enterprise_id"], ascending=[False, True])
    rank = {int(e): i for i, e in enumerate(pool_["enterprise_id"], start=1)}
    assert len(set(pool_["score"])) < len(pool_) / 2  # ties do occur
    for entry in out["picks"] + out["near_misses"]:
        assert entry["rank"] == rank[entry["enterprise_id"]]
    picked = {p["enterprise_id"] for p in out["picks"]}
    assert [n["enterprise_id"] for n in out["near_misses"]] == [
        int(e) for e in pool_["enterprise_id"] if int(e) not in picked][:8]


def test_readiness_discounts_self_assessment():
    terms = score_terms(portraits(), ShortlistQuotas(size=1, self_assessed_weight=0.5), max_score=30).set_index(
        "enterprise_id")
    assert terms.loc[1, "readiness"] == pytest.approx(18 / 30 * 0.5)
    assert terms.loc[4, "readiness"] == 1.0  # verified on site: no discount


def pool(n: int, seed: int) -> pd.DataFrame:
    """A random candidate pool with every attribute the quotas look at."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice(["large", "medium", "small", "micro"], n, p=[0.15, 0.25, 0.4, 0.2])
    return pd.DataFrame({
        "enterprise_id": np.arange(1, n + 1), "name": [f"企业{i}" for i in range(1, n + 1)],
        "uscc": [f"U{i}" for i in range(1, n + 1)], "size_class": sizes,
        "chain_links": [sorted(rng.choice(LINKS, 1 + int(rng.random() < 0.3), replace=False).tolist())
                        for _ in range(n)],
        "chain_leader": rng.random(n) < 0.2,
        "group_name": [None if rng.random() < 0.6 else f"G{rng.integers(3)}" for _ in range(n)],
        "pilot_willing": rng.random(n) < 0.85, "level": rng.integers(0, 5, n),
        "total": np.round(rng.uniform(0, 100, n), 1), "trusted": rng.random(n) < 0.3,
        "need": np.round(rng.uniform(0, 1, n), 3),
    })


def brute_force(frame: pd.DataFrame, q: ShortlistQuotas) -> tuple[int, float] | None:
    """Best (links covered, total score) over every subset of the right size that meets the quotas."""
    cand = score_terms(frame, q)
    cand = cand[cand["pilot_willing"]] if q.willing_only else cand
    k_lead = math.ceil(q.min_chain_leader_share * q.size - 1e-9)
    best = None
    rows = cand.to_dict("records")
    for combo in itertools.combinations(rows, q.size):
        if sum(r["chain_leader"] for r in combo) < k_lead:
            continue
        if any(sum(r["size_class"] == c for r in combo) < k for c, k in q.min_per_size.items()):
            continue
        groups = [r["group_name"] for r in combo if isinstance(r["group_name"], str)]
        if q.max_per_group and any(groups.count(g) > q.max_per_group for g in set(groups)):
            continue
        links = len({lk for r in combo for lk in r["chain_links"]}) if q.cover_chain_links else 0
        value = (links, round(sum(r["score"] for r in combo), 6))
        best = value if best is None or value > best else best
    return best


def brute_force_soft(frame: pd.DataFrame, q: ShortlistQuotas) -> float:
    """The least weighted violation over every subset of the right size (missing places x weights)."""
    cand = score_terms(frame, q)
    cand = cand[cand["pilot_willing"]] if q.willing_only else cand
    k_lead = math.ceil(q.min_chain_leader_share * q.size - 1e-9)
    w = q.violation_weights
    best = math.inf
    for combo in itertools.combinations(cand.to_dict("records"), q.size):
        cost = w.leaders * max(0, k_lead - sum(r["chain_leader"] for r in combo))
        cost += sum(w.min_per_size * max(0, k - sum(r["size_class"] == c for r in combo))
                    for c, k in q.min_per_size.items())
        groups = [r["group_name"] for r in combo if isinstance(r["group_name"], str)]
        if q.max_per_group:
            cost += sum(w.max_per_group * max(0, groups.count(g) - q.max_per_group) for g in set(groups))
        best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_exact_against_brute_force_on_small_pools(seed):
    frame = pool(13, seed)
    q = ShortlistQuotas(size=4, min_chain_leader_share=0.25, min_per_size={"small": 1, "medium": 1},
                        max_per_group=1, near_misses=3)
    out = select_shortlist(frame, q, LINKS)
    best = brute_force(frame, q)
    if best is None:
        # quotas cannot all hold: a best effort with the fewest weighted violations, each named
        assert out["status"] == "best_effort" and out["problems"] and out["violations"]
        assert len(out["picks"]) == q.size
        cost = sum(v["short_by"] * v["weight"] for v in out["violations"])
        assert cost == pytest.approx(brute_force_soft(frame, q), abs=1e-9)
        return
    assert out["status"] == "optimal"
    assert (out["links"]["covered_count"], out["objective"]["value"]) == (best[0], pytest.approx(best[1], abs=1e-6))


@pytest.mark.parametrize("seed", range(8))
def test_pruning_keeps_the_optimum(seed):
    """Pools over 4 x size are pruned before solving; the optimum must not change."""
    frame = pool(18, 100 + seed)
    q = ShortlistQuotas(size=3, min_chain_leader_share=0.3, min_per_size={"small": 1}, max_per_group=1)
    out = select_shortlist(frame, q, LINKS)
    best = brute_force(frame, q)
    assert best is not None and out["status"] == "optimal"
    assert (out["links"]["covered_count"], out["objective"]["value"]) == (best[0], pytest.approx(best[1], abs=1e-6))


def test_quotas_met_on_a_larger_pool():
    frame = pool(400, 7)
    q = ShortlistQuotas(size=30, min_chain_leader_share=0.1, min_per_size={"large": 2, "medium": 5, "small": 10},
                        max_per_group=1)
    out = select_shortlist(frame, q, LINKS)
    picks = pd.DataFrame(out["picks"])
    assert len(picks) == 30 and picks["enterprise_id"].is_unique
    assert picks["chain_leader"].sum() >= 3
    counts = picks["size_class"].value_counts()
    assert counts.get("large", 0) >= 2 and counts.get("medium", 0) >= 5 and counts.get("small", 0) >= 10
    assert picks["group_name"].dropna().value_counts().max() <= 1
    willing = set(frame.loc[frame["pilot_willing"], "enterprise_id"])
    assert set(picks["enterprise_id"]) <= willing
    assert out["links"]["covered"] == LINKS  # every link has candidates, so every link is represented
    assert all(c["met"] for c in out["checks"])
    assert len(out["near_misses"]) == 5


def test_group_limit_explains_the_near_miss():
    frame = pool(12, 3)
    frame["group_name"] = None
    frame.loc[frame["enterprise_id"].isin([1, 2]), "group_name"] = "华瓷集团"
    frame["need"], frame["total"], frame["trusted"], frame["pilot_willing"] = 0.1, 10.0, True, True
    frame.loc[frame["enterprise_id"].isin([1, 2]), ["need", "total"]] = [0.9, 90.0]
    out = select_shortlist(frame, ShortlistQuotas(size=3, max_per_group=1, cover_chain_links=False), LINKS)
    assert [p["enterprise_id"] for p in out["picks"]][0] == 1  # ties go to the lower id
    miss = out["near_misses"][0]
    assert miss["enterprise_id"] == 2
    assert "华瓷集团" in miss["why_not_zh"] and "per-group limit" in miss["why_not_en"]


def test_unwilling_firms_are_never_picked_but_shown():
    frame = pool(20, 4)
    frame["pilot_willing"] = True
    frame.loc[frame["enterprise_id"] == 5, ["pilot_willing", "need", "total", "trusted"]] = [False, 1.0, 100.0, True]
    out = select_shortlist(frame, ShortlistQuotas(size=3, cover_chain_links=False), LINKS)
    assert 5 not in [p["enterprise_id"] for p in out["picks"]]
    assert out["excluded_not_willing"] == 1
    assert out["excluded_notable"][0]["enterprise_id"] == 5
    assert "willing" in out["excluded_notable"][0]["why_not_en"]


def test_infeasible_leader_quota_names_the_quota():
    """Only E2 is a chain leader; a 2-firm list with 100 % leaders needs two."""
    out = select_shortlist(portraits(), targets(min_chain_leader_share=1.0, min_per_size={}).shortlist, LINKS,
                           max_score=30)
    # best effort: the best two firms with one leader, the missing leader named
    assert out["status"] == "best_effort" and len(out["picks"]) == 2
    assert [(v["quota"], v["short_by"]) for v in out["violations"]] == [("leaders", 1)]
    assert "还差 1 家" in out["violations"][0]["zh"]
    assert 2 in [p["enterprise_id"] for p in out["picks"]]  # the one leader is in
    [problem] = out["problems"]
    assert problem["quota"] == "leaders"
    assert "only 1 assessed, willing chain leaders" in problem["en"]
    assert "链主或骨干企业只有 1 家" in problem["zh"]


def test_infeasible_list_size_counts_willing_firms():
    p = portraits()
    p["pilot_willing"] = [True, False, False, False]
    out = select_shortlist(p, targets(min_chain_leader_share=0.0, min_per_size={}).shortlist, LINKS, max_score=30)
    assert [x["quota"] for x in out["problems"]] == ["size"]
    assert "only 1 assessed, willing enterprises" in out["problems"][0]["en"]
    # never an empty list while candidates exist: the one willing firm is listed, the shortfall named
    assert [p["enterprise_id"] for p in out["picks"]] == [1]
    assert [(v["quota"], v["short_by"]) for v in out["violations"]] == [("size", 1)]


def test_quotas_that_only_fail_together_are_found_by_relaxing_one_at_a_time():
    """size 2 with a leader (E2 is medium), a small and a large firm needs 3 places: each quota alone
    can be met, and dropping any one of the three makes a list possible."""
    q = targets(min_chain_leader_share=0.5, min_per_size={"small": 1, "large": 1}).shortlist
    out = select_shortlist(portraits(), q, LINKS, max_score=30)
    assert out["status"] == "best_effort" and len(out["picks"]) == 2
    # one place short in all: the cheapest to give up is a size place (weight 2 < leader 3)
    assert [v["quota"] for v in out["violations"]] in (["size:large"], ["size:small"])
    assert sorted(x["quota"] for x in out["problems"]) == ["leaders", "size:large", "size:small"]
    assert all("relaxing it" in x["en"] and "放宽此项" in x["zh"] for x in out["problems"])


def test_same_input_same_list():
    frame = pool(200, 11)
    q = ShortlistQuotas(size=12, min_chain_leader_share=0.1, min_per_size={"small": 3}, max_per_group=2)
    assert select_shortlist(frame, q, LINKS) == select_shortlist(frame.sample(frac=1, random_state=1), q, LINKS)


def test_empty_group_and_no_grouped_pick_do_not_crash():
    """Issue 8: with no pick in any group the group check used to be int(NaN) and crashed the pipeline."""
    frame = pool(30, 9)
    frame["group_name"] = None
    out = select_shortlist(frame, ShortlistQuotas(size=5, max_per_group=1, min_per_size={"large": 1}), LINKS)
    assert len(out["picks"]) == 5
    assert next(c for c in out["checks"] if c["quota"] == "group")["actual"] == 0
    # an empty size class (no micro firm at all) is a named violation, not a crash
    frame["size_class"] = "small"
    out = select_shortlist(frame, ShortlistQuotas(size=5, min_per_size={"micro": 2}), LINKS)
    assert out["status"] == "best_effort" and len(out["picks"]) == 5
    assert [(v["quota"], v["short_by"]) for v in out["violations"]] == [("size:micro", 2)]


def test_no_candidates_gives_an_empty_list_that_says_so():
    frame = pool(10, 2)
    frame["pilot_willing"] = False
    out = select_shortlist(frame, ShortlistQuotas(size=3), LINKS)
    assert out["picks"] == [] and out["status"] == "no_candidates"
    assert out["problems"] and out["problems"][0]["quota"] == "size"


def test_a_pilot_that_admits_verified_firms_only_picks_only_those_and_says_why_not():
    """``verified_only`` in the pilot file: only E4 (verified on site) is a candidate; the others are
    named among the excluded with the reason, never silently dropped."""
    q = targets().shortlist.model_copy(update={"size": 1, "verified_only": True, "min_chain_leader_share": 0.0,
                                               "min_per_size": {}})
    out = select_shortlist(portraits(), q, LINKS, max_score=30)
    assert [p["enterprise_id"] for p in out["picks"]] == [4]
    assert out["candidates"] == 1 and out["excluded_not_verified"] == 3
    everyone = select_shortlist(portraits(), q.model_copy(update={"verified_only": False}), LINKS, max_score=30)
    assert everyone["candidates"] == 4
