"""Metamorphic properties over synthetic clusters: deterministic, order-free, monotone.

- deterministic: the same answers give the same scores, portraits, needs and shortlist, byte for byte;
- order-free: shuffling the submissions (or the enterprises) changes nothing but the order of rows;
- monotone: a better answer never lowers a score or a level, with or without applicability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from diagnostics.demo import synth_answers, synth_enterprises
from diagnostics.needs import enterprise_scenario_needs, rank_needs
from diagnostics.pilot import load_targets
from diagnostics.portraits import build_portraits, feed_map
from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.questionnaire_loader import resolve
from diagnostics.scoring import score_answers
from diagnostics.shortlist import select_shortlist
from diagnostics.taxonomy import load_taxonomy

SME = resolve("sme-digital-2024-mfg").definition
NONFERROUS = resolve("nonferrous-module").definition


def improve(q: Questionnaire, row: dict[str, Any], question: Question) -> dict[str, Any] | None:
    """The same answers with ``question`` answered one step better (None when it cannot improve)."""
    value = row.get(question.id)
    if value is None or question.formula or question.id in ("segments_operated", "links_operated"):
        return None
    if question.type in ("single", "level"):
        codes = [int(o.code) if question.type == "level" else o.code for o in question.options]
        points = {c: o.points for c, o in zip(codes, question.options, strict=True)}
        better = [c for c in codes if points[c] > points[value]]
        return {**row, question.id: max(better, key=lambda c: points[c])} if better else None
    if question.type == "multi":
        missing = [o.code for o in question.options if not o.exclusive and o.code not in value and o.points > 0]
        if not missing:
            return None
        kept = [c for c in value if not (question.option(c) and question.option(c).exclusive)]  # type: ignore[union-attr]
        return {**row, question.id: [*kept, missing[0]]}
    return None


@pytest.mark.parametrize("definition", [SME, NONFERROUS], ids=["sme", "nonferrous-module"])
def test_a_better_answer_never_lowers_score_or_level(definition: Questionnaire) -> None:
    rows = synth_answers(definition, np.linspace(0.05, 0.95, 40), seed=3)
    base = score_answers(definition, rows)
    checked = 0
    for question in definition.questions():
        variants = [(i, v) for i, r in enumerate(rows) if (v := improve(definition, r, question)) is not None]
        if not variants:
            continue
        better = score_answers(definition, [v for _, v in variants])
        idx = [i for i, _ in variants]
        assert (better.total >= base.total[idx] - 1e-9).all(), question.id
        assert (better.level >= base.level[idx]).all(), question.id
        checked += len(variants)
    assert checked > 100


def cluster(n: int = 160, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    taxonomy = load_taxonomy("nonferrous")
    synth = synth_enterprises(n, "nonferrous", [c.code for c in taxonomy.chain_links], seed=seed)
    ents = pd.DataFrame([{"enterprise_id": i + 1, "uscc": e.uscc, "name": e.name, "industry_code": e.industry_code,
                          "region": e.region, "size_class": e.size_class, "chain_links": e.chain_links,
                          "tags": e.tags, "group_name": e.group_name, "pilot_willing": e.pilot_willing}
                         for i, e in enumerate(synth)])
    rows = synth_answers(SME, np.array([e.maturity for e in synth]), seed=seed)
    result = score_answers(SME, rows)
    assess = pd.DataFrame([{"assessment_id": 100 + i, "enterprise_id": i + 1, "questionnaire_code": SME.code,
                            "questionnaire_version_id": 1, "trusted": i % 4 == 0, **{
                                k: v for k, v in result.record(i).items() if k in (
                                    "total", "level", "band_level", "dimension_scores", "indicator_scores",
                                    "scenario_levels")}} for i in range(n)])
    return ents, assess


def views(ents: pd.DataFrame, assess: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    taxonomy = load_taxonomy("nonferrous")
    targets = load_targets("shaoguan-nonferrous")
    portraits = build_portraits(ents, assess, {1: SME}, taxonomy, primary=SME.code)
    feeds = feed_map({1: SME})
    needs = rank_needs(portraits, taxonomy, feeds, common_share=targets.needs.common_share,
                       common_intensity=targets.needs.common_intensity)
    shortlist = select_shortlist(portraits, targets.quotas, [c.code for c in taxonomy.chain_links])
    return portraits, needs, shortlist


def test_portraits_needs_and_shortlist_are_deterministic_and_order_free() -> None:
    ents, assess = cluster()
    first = views(ents, assess)
    again = views(ents, assess)
    shuffled = views(ents.sample(frac=1, random_state=2), assess.sample(frac=1, random_state=3))
    for other in (again, shuffled):
        pd.testing.assert_frame_equal(first[0], other[0])
        assert first[1] == other[1] and first[2] == other[2]


def test_needs_never_name_a_link_the_firm_does_not_operate_on_a_synthetic_cluster() -> None:
    ents, assess = cluster()
    portraits, needs, _ = views(ents, assess)
    rows, _ = enterprise_scenario_needs(portraits, load_taxonomy("nonferrous"), feed_map({1: SME}))
    links = dict(zip(portraits["enterprise_id"], portraits["chain_links"], strict=True))
    assert len(rows) > 100
    assert all(link in links[eid] for eid, link in zip(rows["enterprise_id"], rows["link"], strict=True))
    assert max(r["share"] for r in needs["scenarios"]) <= 0.7  # no scenario "needed" by (almost) everyone
