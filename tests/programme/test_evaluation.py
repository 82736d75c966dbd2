"""The difference-in-differences estimate recovers a known effect and says when there are too few firms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diagnostics.programme.config import EvaluationSettings
from diagnostics.programme.evaluation import did, evaluate, match_controls

EFFECT = 6.0


def constructed(n_part: int = 40, n_ctrl: int = 160, seed: int = 0) -> pd.DataFrame:
    """Participants start lower and everyone's change shrinks with T0 (low starters gain more anyway),
    so only a comparison matched on T0 recovers the true effect of 6 points."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_part + n_ctrl):
        part = i < n_part
        t0 = rng.uniform(25, 50) if part else rng.uniform(25, 80)
        trend = 0.2 * (80 - t0)  # catch-up: a firm at 30 gains 10 points, one at 75 gains 1
        t1 = t0 + trend + (EFFECT if part else 0.0) + rng.normal(0, 2)
        rows.append({"enterprise_id": i + 1, "participant": part, "link": ["forming", "firing"][i % 2],
                     "size_class": ["small", "medium"][(i // 2) % 2], "t0_total": t0, "t1_total": t1,
                     "t0_level": int(t0 // 20), "t1_level": int(t1 // 20)})
    return pd.DataFrame(rows)


def test_known_effect_is_recovered_within_the_interval() -> None:
    panel = constructed()
    settings = EvaluationSettings(min_firms=5, bootstrap=999, seed=1)
    result = evaluate(panel, settings)
    total = result.overall[0]
    assert total.enough and total.low is not None and total.high is not None and total.effect is not None
    assert total.low <= EFFECT <= total.high
    assert abs(total.effect - EFFECT) < 1.5
    assert total.low > 0  # a real effect of 6 points is told apart from none
    naive = (panel[panel.participant].t1_total - panel[panel.participant].t0_total).mean() - (
        panel[~panel.participant].t1_total - panel[~panel.participant].t0_total).mean()
    assert not total.low <= naive <= total.high  # an unmatched comparison would be wrong: matching matters


def test_the_90_percent_interval_covers_the_true_effect_in_most_data_sets() -> None:
    covered = 0
    for seed in range(20):
        est = evaluate(constructed(seed=seed), EvaluationSettings(min_firms=5, seed=seed)).overall[0]
        assert est.low is not None and est.high is not None
        covered += est.low <= EFFECT <= est.high
    assert covered >= 15  # a 90 % interval: about 18 of 20 expected


def test_no_effect_gives_an_interval_around_zero_and_same_seed_same_interval() -> None:
    panel = constructed()
    panel.loc[panel.participant, "t1_total"] -= EFFECT
    settings = EvaluationSettings(min_firms=5, seed=3)
    first = evaluate(panel, settings).overall[0]
    assert first.low is not None and first.high is not None and first.low < 0 < first.high
    again = evaluate(panel, settings).overall[0]
    assert (again.low, again.high) == (first.low, first.high)
    assert "包含 0" in first.note.zh


def test_too_few_firms_to_tell_below_the_minimum() -> None:
    panel = constructed(n_part=4)
    est = evaluate(panel, EvaluationSettings(min_firms=5)).overall[0]
    assert not est.enough and est.effect is None and est.participants == 4
    assert "企业太少" in est.note.zh and "Too few firms" in (est.note.en or "")


def test_matching_keeps_link_and_size_and_counts_unmatched_participants() -> None:
    panel = constructed()
    panel.loc[0, "link"] = "nowhere"  # no non-participant in that link
    matches = match_controls(panel, 3)
    assert matches[1] == []
    row = panel.set_index("enterprise_id")
    for pid, ctrls in matches.items():
        for c in ctrls:
            assert (row.loc[c, "link"], row.loc[c, "size_class"]) == (row.loc[pid, "link"], row.loc[pid, "size_class"])
            assert not row.loc[c, "participant"]
    est = did(panel, "total", EvaluationSettings(), matches=matches)
    assert est.unmatched == 1 and est.participants == 39


def test_per_scenario_groups_say_too_few_for_small_groups() -> None:
    panel = constructed()
    ids = list(panel.loc[panel.participant, "enterprise_id"])
    result = evaluate(panel, EvaluationSettings(min_firms=5), scenarios={"kiln": ids[:30], "glaze": ids[30:33]})
    by = {e.group: e for e in result.by_scenario}
    assert by["kiln"].enough and not by["glaze"].enough
