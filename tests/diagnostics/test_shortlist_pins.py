"""Officials pin or exclude an enterprise (with a reason); the shortlist respects it and says so."""

from __future__ import annotations

import pytest

from diagnostics.pilot import ShortlistQuotas
from diagnostics.shortlist import score_terms, select_shortlist
from tests.diagnostics.test_shortlist import LINKS, pool

Q = ShortlistQuotas(size=10, min_chain_leader_share=0.0, min_per_size={}, max_per_group=None)


def test_a_pinned_low_scorer_is_picked_with_the_officials_reason() -> None:
    frame = pool(200, 3)
    plain = select_shortlist(frame, Q, LINKS)
    chosen = {p["enterprise_id"] for p in plain["picks"]}
    willing = frame[frame["pilot_willing"] & ~frame["enterprise_id"].isin(chosen)]
    low = int(willing.sort_values("need")["enterprise_id"].iloc[0])
    out = select_shortlist(frame, Q, LINKS, pinned={low: "县里的示范工厂"})
    picks = {p["enterprise_id"]: p for p in out["picks"]}
    assert low in picks and len(picks) == 10
    assert picks[low]["reasons_zh"][0] == "由主管部门确定入选：县里的示范工厂" and "pinned" in picks[low]["held_by"]
    real = score_terms(frame, Q).set_index("enterprise_id").loc[low, "score"]
    assert picks[low]["score"] == pytest.approx(real)  # the real score, not the solving bonus
    assert out["pinned"] == [{"enterprise_id": low, "reason": "县里的示范工厂"}]


def test_an_excluded_top_scorer_is_never_picked_and_listed_with_the_reason() -> None:
    frame = pool(200, 4)
    top = select_shortlist(frame, Q, LINKS)["picks"][0]["enterprise_id"]
    out = select_shortlist(frame, Q, LINKS, excluded_by_official={top: "已列入其他试点"})
    assert top not in {p["enterprise_id"] for p in out["picks"]} and len(out["picks"]) == 10
    assert top not in {p["enterprise_id"] for p in out["near_misses"]}
    assert [(e["enterprise_id"], e["reason"]) for e in out["excluded_by_official"]] == [(top, "已列入其他试点")]
