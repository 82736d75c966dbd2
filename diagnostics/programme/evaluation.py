"""Did the pilot work? Participants against comparable non-participants, T0 to T1.

Each participant is matched to up to ``k`` non-participants of the same chain link and size class,
nearest on T0 level first, then T0 total (a firm that starts low tends to gain more anyway, so the
comparison must start from the same place). The difference-in-differences estimate is the mean over
matched participants of (participant's change − mean change of its controls); its interval is a
seeded percentile bootstrap over matched participants (each resampled with its controls), so the same
data always gives the same interval. Below ``min_firms`` matched participants the answer is "too few
firms to tell", never a number.

The panel (one row per enterprise) has columns ``enterprise_id``, ``participant`` (bool), ``link``,
``size_class``, and ``t0_<outcome>``, ``t1_<outcome>`` for each outcome (``total``, ``level`` and any
indicator code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from diagnostics.programme.config import EvaluationSettings
from diagnostics.text import Text

LEVEL_WEIGHT = 1000.0  # a level apart is further than any total difference (totals are 0..100)


@dataclass(frozen=True)
class Estimate:
    outcome: str
    group: str | None  # None: all participants; else a scenario or solution label
    participants: int  # matched participants used
    unmatched: int  # participants with no comparable non-participant
    controls: int  # distinct controls used
    participant_change: float | None
    control_change: float | None
    effect: float | None
    low: float | None
    high: float | None
    enough: bool
    note: Text


def match_controls(panel: pd.DataFrame, k: int) -> dict[int, list[int]]:
    """For each participant, the ids of its ``k`` nearest comparable non-participants (with replacement)."""
    ids = panel["enterprise_id"].to_numpy(dtype=int)
    part = panel["participant"].to_numpy(dtype=bool)
    cell = (panel["link"].astype(str) + "|" + panel["size_class"].astype(str)).to_numpy(dtype=object)
    level = panel["t0_level"].to_numpy(dtype=float)
    total = panel["t0_total"].to_numpy(dtype=float)
    out: dict[int, list[int]] = {}
    for i in np.flatnonzero(part):
        same = np.flatnonzero(~part & (cell == cell[i]))
        distance = LEVEL_WEIGHT * np.abs(level[same] - level[i]) + np.abs(total[same] - total[i])
        nearest = same[np.argsort(distance, kind="stable")[:k]]
        out[int(ids[i])] = [int(x) for x in ids[nearest]]
    return out


def _too_few(outcome: str, group: str | None, n: int, unmatched: int, minimum: int) -> Estimate:
    note = Text(zh=f"企业太少，无法判断：有可比对照的参与企业 {n} 家，至少需要 {minimum} 家。",
                en=f"Too few firms to tell: {n} participant(s) with comparable non-participants, "
                   f"at least {minimum} needed.")
    return Estimate(outcome, group, n, unmatched, 0, None, None, None, None, None, False, note)


def did(panel: pd.DataFrame, outcome: str, settings: EvaluationSettings, *, matches: Mapping[int, list[int]],
        participants: Sequence[int] | None = None, group: str | None = None) -> Estimate:
    """The difference-in-differences estimate of ``outcome`` for ``participants`` (default: all)."""
    change = (panel[f"t1_{outcome}"] - panel[f"t0_{outcome}"]).to_numpy(dtype=float)
    index = {int(e): i for i, e in enumerate(panel["enterprise_id"].to_numpy())}
    chosen = list(participants) if participants is not None else [int(e) for e in panel.loc[
        panel["participant"], "enterprise_id"]]
    matched = [p for p in chosen if matches.get(p)]
    unmatched = len(chosen) - len(matched)
    if len(matched) < settings.min_firms:
        return _too_few(outcome, group, len(matched), unmatched, settings.min_firms)
    own = np.array([change[index[p]] for p in matched])
    ctrl = np.array([change[[index[c] for c in matches[p]]].mean() for p in matched])
    diffs = own - ctrl
    rng = np.random.default_rng(settings.seed)
    draws = rng.integers(0, len(diffs), size=(settings.bootstrap, len(diffs)))
    boot = diffs[draws].mean(axis=1)
    tail = (1 - settings.confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    effect = float(diffs.mean())
    controls = len({c for p in matched for c in matches[p]})
    pct = round(settings.confidence * 100)
    if low > 0 or high < 0:
        zh = "区间不含 0：参与企业的变化与可比企业不同。"
        en = "The interval excludes 0: participants changed differently."
    else:
        zh = "区间包含 0：尚不能说参与带来了差别。"
        en = "The interval includes 0: no difference can be claimed yet."
    note = Text(zh=f"{len(matched)} 家参与企业对比 {controls} 家可比企业，{pct}% 自助法区间。{zh}",
                en=f"{len(matched)} participants against {controls} comparable firms, {pct} % bootstrap interval. {en}")
    return Estimate(outcome, group, len(matched), unmatched, controls, round(float(own.mean()), 4),
                    round(float(ctrl.mean()), 4), round(effect, 4), round(float(low), 4), round(float(high), 4),
                    True, note)


@dataclass(frozen=True)
class Evaluation:
    overall: list[Estimate]  # one per outcome
    by_scenario: list[Estimate]  # total, per scenario
    by_solution: list[Estimate]  # total, per solution
    participants: int
    comparison_pool: int


def evaluate(panel: pd.DataFrame, settings: EvaluationSettings, *, outcomes: Sequence[str] = ("total", "level"),
             scenarios: Mapping[str, Sequence[int]] | None = None,
             solutions: Mapping[str, Sequence[int]] | None = None) -> Evaluation:
    """Every estimate the evaluation page and the research report show: each outcome over all
    participants, and the total per scenario and per solution (``label -> participant ids``)."""
    matches = match_controls(panel, settings.controls_per_participant) if not panel.empty else {}
    usable = [o for o in outcomes if f"t0_{o}" in panel.columns and f"t1_{o}" in panel.columns]
    overall = [did(panel, o, settings, matches=matches) for o in usable]

    def per(groups: Mapping[str, Sequence[int]] | None) -> list[Estimate]:
        return [did(panel, "total", settings, matches=matches, participants=list(ids), group=label)
                for label, ids in sorted((groups or {}).items())]
    return Evaluation(overall, per(scenarios), per(solutions), int(panel["participant"].sum()) if not panel.empty
                      else 0, int((~panel["participant"]).sum()) if not panel.empty else 0)
