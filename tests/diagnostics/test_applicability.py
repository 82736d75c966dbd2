"""Applicability: items that do not apply to an enterprise leave both the points and the maximum."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics.answers import check_answers, visible_questions
from diagnostics.explain import expand
from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.questionnaire_loader import DefinitionInvalid, parse_text, resolve
from diagnostics.scoring import score_answers

NONFERROUS = resolve("nonferrous-module").definition
CERAMICS = resolve("ceramics-module").definition


def best(question: Question) -> Any:
    """The answer that gives a question its maximum."""
    if question.type in ("single", "level"):
        top = max(question.options, key=lambda o: o.points)
        return int(top.code) if question.type == "level" else top.code
    if question.type == "multi":
        return [o.code for o in question.options if not o.exclusive]
    if question.type == "number":
        band = max(question.bands, key=lambda b: b.points)
        lo = band.min if band.min is not None else (question.min or 0.0)
        hi = band.max if band.max is not None else lo + 10
        return round(lo + (hi - lo) / 2, 1) if not question.integer else int(lo + (hi - lo) / 2)
    if question.type == "yesno":
        return question.yes_points >= question.no_points
    return None


def perfect(q: Questionnaire, profile: dict[str, Any]) -> dict[str, Any]:
    """Profile answers, then the best answer to every question asked given that profile."""
    answers = dict(profile)
    seen = visible_questions(q, answers)
    for question in q.questions():
        if question.id in seen and question.id not in answers and question.type not in ("text", "evidence"):
            value = best(question)
            if value is not None:
                answers[question.id] = value
    clean, errors = check_answers(q, answers, complete=False)
    assert not [e for e in errors if e.question_id not in {"r_kiln_firing_curve"}], errors
    return clean


def rolling_only() -> dict[str, Any]:
    return perfect(NONFERROUS, {"main_metal": "copper", "segments_operated": ["rolling_processing"]})


def test_rolling_only_firm_with_perfect_answers_scores_100_on_its_applicable_part() -> None:
    # hand check: rolling 20 (rolling control 8 + surface 6 + trace 6) + supply & energy 20 + assay/LIMS 4
    # (it names no segment, so it applies to every firm) = 44 applicable points; mining 20, smelting 25 and
    # the rest of refining 11 do not apply; 44 / 44 x 100 = 100
    r = score_answers(NONFERROUS, [rolling_only()])
    assert float(r.raw_total[0]) == 44.0  # type: ignore[index]
    assert float(r.applicable_max[0]) == 44.0
    assert float(r.total[0]) == 100.0
    assert int(r.level[0]) == 4
    codes = [i.code for i in NONFERROUS.indicators()]
    na = {c for c, ok in zip(codes, r.applicable[0], strict=True) if not ok}
    assert na == {"mine_safety", "grade_control", "flotation", "batching", "furnace", "automation_coverage",
                  "maintenance", "electrolysis", "metal_balance"}
    # assay_lims has no segment rule: it applies to everyone, and this firm answered it at its best
    assert not r.weak[0].any()


def test_not_applicable_items_are_not_weaknesses_and_the_trail_says_why() -> None:
    r = score_answers(NONFERROUS, [rolling_only()])
    record = r.record(0)
    assert record["indicator_scores"]["flotation"] is None
    assert record["indicator_scores"]["rolling_control"] == 8.0
    assert "flotation" not in record["explanation"]["weak"]
    trail = expand(NONFERROUS, record)
    excluded = {e["indicator"]: e for e in trail["excluded"]}
    assert set(excluded) >= {"flotation", "electrolysis", "mine_safety"}
    assert "选矿" in excluded["flotation"]["reason_zh"] and "不计满分" in excluded["flotation"]["reason_zh"]
    assert "得分 44 ÷ 适用满分 44 × 100 = 100 分" in trail["rescale_zh"]
    dims = {d["code"]: d for d in trail["dimensions"]}
    assert dims["smelting"]["max"] == 0.0 and not dims["smelting"]["applicable"]
    assert dims["refining"]["max"] == 4.0
    assert dims["rolling_processing"]["max"] == 20.0


def test_a_worse_answer_on_an_applicable_item_lowers_the_rescaled_total() -> None:
    good = rolling_only()
    worse = {**good, "surface_inspection": "manual"} if "surface_inspection" in good else dict(good)
    key = next(q.id for i in NONFERROUS.indicators() if i.code == "surface_quality" for q in i.questions)
    question = NONFERROUS.question(key)
    assert question is not None
    low = min(question.options, key=lambda o: o.points)
    worse[key] = [low.code] if question.type == "multi" else low.code
    r = score_answers(NONFERROUS, [good, worse])
    assert float(r.total[1]) < float(r.total[0])


def test_a_firm_running_every_segment_keeps_the_full_maximum() -> None:
    segs = [o.code for o in NONFERROUS.question("segments_operated").options]  # type: ignore[union-attr]
    r = score_answers(NONFERROUS, [perfect(NONFERROUS, {"main_metal": "copper", "segments_operated": segs})])
    assert float(r.applicable_max[0]) == 100.0 and float(r.total[0]) == 100.0


def test_the_national_sme_table_is_never_rescaled() -> None:
    sme = resolve("sme-digital-2024-mfg").definition
    assert not sme.uses_applicability
    r = score_answers(sme, [{}])
    assert r.indicator_max is None and float(r.applicable_max[0]) == 100.0


def test_missing_required_answer_is_not_complete() -> None:
    # the segments question decides applicability: without it nothing may be scored
    answers = rolling_only()
    del answers["segments_operated"]
    r = score_answers(NONFERROUS, [rolling_only(), answers])
    assert r.complete is not None and r.complete.tolist() == [True, False]


def test_explicit_not_applicable_answer_leaves_the_maximum() -> None:
    text = """
code: na-demo
version: "1"
title: {zh: 演示}
dimensions:
  - code: d
    title: {zh: 维度}
    max_points: 10
    indicators:
      - code: a
        title: {zh: 甲}
        max_points: 5
        questions:
          - id: qa
            type: single
            text: {zh: 甲？}
            options:
              - {code: "no", label: {zh: 否}, points: 0}
              - {code: "yes", label: {zh: 是}, points: 5}
              - {code: na, label: {zh: 不适用}, not_applicable: true}
      - code: b
        title: {zh: 乙}
        max_points: 5
        questions:
          - id: qb
            type: single
            text: {zh: 乙？}
            options:
              - {code: "no", label: {zh: 否}, points: 0}
              - {code: "yes", label: {zh: 是}, points: 5}
levels:
  - {level: 1, name: {zh: 一级}, min_score: 5}
max_score: 10
"""
    q = parse_text(text).definition
    r = score_answers(q, [{"qa": "na", "qb": "yes"}, {"qa": "no", "qb": "yes"}])
    assert r.total.tolist() == [10.0, 5.0]
    assert r.record(0)["indicator_scores"]["a"] is None


def test_applies_with_a_bad_reference_is_a_loader_error() -> None:
    text = """
code: bad-applies
version: "1"
title: {zh: 演示}
dimensions:
  - code: d
    title: {zh: 维度}
    max_points: 5
    indicators:
      - code: a
        title: {zh: 甲}
        max_points: 5
        applies: selected(no_such_question, 'x')
        questions:
          - id: qa
            type: yesno
            text: {zh: 甲？}
            yes_points: 5
levels:
  - {level: 1, name: {zh: 一级}, min_score: 1}
max_score: 5
"""
    with pytest.raises(DefinitionInvalid) as exc:
        parse_text(text)
    assert "dimensions[0].indicators[0].applies" in str(exc.value)
