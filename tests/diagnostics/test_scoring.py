"""Hand-computed scoring cases on the shipped SME table: every level boundary and every gate."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from diagnostics.answers import check_answers, computed_values, relevance, visible_questions
from diagnostics.demo import synth_answers
from diagnostics.explain import explain_row
from diagnostics.questionnaire_loader import resolve
from diagnostics.scoring import SCORER_VERSION, ScoreResult, score_answers
from tests.diagnostics.sme import BINDING, GUIDING, SME, answers, full_foundation, full_management, scenarios
from tests.diagnostics.sme import question as sme_question


def one(a: dict) -> tuple[float, int, int]:
    clean, errors = check_answers(SME, a, complete=True)
    assert errors == []
    r = score_answers(SME, [clean])
    return float(r.total[0]), int(r.level[0]), int(r.band_level[0])


def test_maximum_is_100_and_level_4() -> None:
    a = answers(full_foundation(), full_management(), {
        "energy_change": "better", "quality_change": "better", "revenue_per_head_change": "better",
        "cost_change": "better"}, scenarios(4))
    r = score_answers(SME, [check_answers(SME, a, complete=True)[0]])
    assert r.total[0] == 100
    assert r.frame()[["foundation", "management", "results"]].iloc[0].tolist() == [50, 30, 20]
    assert r.level[0] == 4


def test_nothing_scores_zero_and_no_level() -> None:
    assert one(answers()) == (0.0, 0, 0)


@pytest.mark.parametrize(("parts", "expected"), [
    # info systems all (10) + quality better (7) + revenue per head better (3) = 20 -> level 1
    ({"info_systems_coverage": "all", "quality_change": "better", "revenue_per_head_change": "better"}, (20.0, 1)),
    # 10 + 7 + four data-collection links (4 x 0.7 = 2.8) = 19.8 -> below level 1
    ({"info_systems_coverage": "all", "quality_change": "better",
      "data_collection_links": ["product_design", "marketing", "quality", "finance"]}, (19.8, 0)),
])
def test_level_1_boundary(parts: dict, expected: tuple[float, int]) -> None:
    total, level, _ = one(answers(parts))
    assert (total, level) == expected


FORTY = {  # network 8 + info 10 + network security 5 + data security 5 + quality 7 + energy same 3.5 + rev same 1.5
    "network_kinds": ["office_lan", "field_network", "wireless_industrial", "dedicated_external"],
    "info_systems_coverage": "all", "info_systems_used": ["erp"],
    "network_security_measures": ["perimeter", "segmentation", "policy", "drills"],
    "data_security_measures": ["classification", "backup", "access_control", "policy"],
    "quality_change": "better", "energy_change": "same", "revenue_per_head_change": "same",
}


def test_level_2_boundary_and_gates() -> None:
    six_at_2 = scenarios(1, **{s: 2 for s in BINDING[:3] + GUIDING[:3]})  # 6 at level 2, 3 of them binding
    assert one(answers(FORTY, six_at_2)) == (40.0, 2, 2)
    # five scenarios at level 2: the count gate blocks level 2 although the points reach it
    five = scenarios(1, **{s: 2 for s in BINDING[:3] + GUIDING[:2]})
    assert one(answers(FORTY, five)) == (40.0, 1, 2)
    # six at level 2 but only two binding: the binding gate blocks
    two_binding = scenarios(1, **{s: 2 for s in BINDING[:2] + GUIDING[:4]})
    assert one(answers(FORTY, two_binding)) == (40.0, 1, 2)


def test_just_below_forty() -> None:
    # 38.5 (FORTY without revenue 'same') + two links at 0.7 = 39.9 -> band 1
    a = answers(FORTY, {"revenue_per_head_change": "worse",
                        "data_collection_links": ["finance", "quality"]}, scenarios(4))
    assert one(a) == (39.9, 1, 1)


def test_level_3_boundary_and_gates() -> None:
    sixty = {"quality_change": "better", "revenue_per_head_change": "better"}  # 50 + 7 + 3
    ok = scenarios(2, **{s: 3 for s in BINDING[:5] + GUIDING[:3]})  # 8 at level 3, 5 binding
    assert one(answers(full_foundation(), sixty, ok)) == (60.0, 3, 3)
    only_4_binding = scenarios(2, **{s: 3 for s in BINDING[:4] + GUIDING[:4]})
    assert one(answers(full_foundation(), sixty, only_4_binding)) == (60.0, 2, 3)
    seven = scenarios(2, **{s: 3 for s in BINDING[:5] + GUIDING[:2]})
    assert one(answers(full_foundation(), sixty, seven)) == (60.0, 2, 3)
    # 50 + energy same 3.5 + planning implementing 4.5 + revenue same 1.5 = 59.5 -> band 2
    below = {"energy_change": "same", "planning_stage": "implementing", "revenue_per_head_change": "same"}
    assert one(answers(full_foundation(), below, scenarios(4))) == (59.5, 2, 2)


def test_level_4_boundary_and_gates() -> None:
    assert one(answers(full_foundation(), full_management(), scenarios(4))) == (80.0, 4, 4)
    nine_at_4 = scenarios(3, **{s: 4 for s in BINDING[:6] + GUIDING[:3]})
    assert one(answers(full_foundation(), full_management(), nine_at_4)) == (80.0, 3, 4)
    ten_but_5_binding = scenarios(3, **{s: 4 for s in BINDING[:5] + GUIDING[:5]})
    assert one(answers(full_foundation(), full_management(), ten_but_5_binding)) == (80.0, 3, 4)
    # one mechanism fewer (-1.875) and revenue same (+1.5): 79.625 -> band 3
    a = answers(full_foundation(), full_management(), {
        "mechanisms_in_place": ["leadership", "dedicated_unit", "project_rules"],
        "revenue_per_head_change": "same"}, scenarios(4))
    assert one(a) == (79.625, 3, 3)


def test_explanation_names_the_blocking_gate() -> None:
    nine_at_4 = scenarios(3, **{s: 4 for s in BINDING[:6] + GUIDING[:3]})
    clean, _ = check_answers(SME, answers(full_foundation(), full_management(), nine_at_4), complete=True)
    trail = explain_row(score_answers(SME, [clean]), 0)
    nxt = trail["next_level"]
    assert nxt["level"] == 4 and nxt["points_missing"] == 0
    gate4 = next(lv for lv in SME.levels if lv.level == 4).gates
    count_gate = next(g for g in gate4 if g.among == "all")
    assert nxt["failed_gates"] == [count_gate.id]
    assert "9" in nxt["reasons_zh"][0]  # the actual count is stated


def test_device_rates_come_from_counts_and_bands() -> None:
    base = answers({"devices_total": 200, "devices_digital": 30, "devices_networked": 200})
    clean, _ = check_answers(SME, base, complete=True)
    r = score_answers(SME, [clean])
    ind = dict(zip([i.code for i in SME.indicators()], r.indicator[0], strict=True))
    assert ind["equipment_digitisation"] == 1.5  # 15 % is in [10, 20)
    assert ind["equipment_networking"] == 6.0  # 100 % is in the top band


def test_skip_logic_ignores_answers_to_skipped_questions() -> None:
    # no devices: the counts and rates do not apply, whatever was typed
    raw = answers({"devices_total": 0, "devices_digital": 50, "devices_networked": 50})
    clean, errors = check_answers(SME, raw, complete=True)
    assert errors == []
    assert "devices_digital" not in clean and "devices_networked" not in clean
    assert "devices_digital" not in visible_questions(SME, clean)
    # the engine applies the same rule even to answers stored without the check
    r = score_answers(SME, [raw])
    trail = explain_row(r, 0)
    eq = next(i for d in trail["dimensions"] for i in d["indicators"] if i["code"] == "equipment_digitisation")
    assert eq["score"] == 0
    assert {q["id"]: q["skipped"] for q in eq["questions"]}["devices_digital"] is True


def test_skip_logic_vector_and_scalar_agree() -> None:
    rows = synth_answers(SME, np.linspace(0, 1, 60), seed=3)
    for row in rows:  # synthetic rows hold every question; add some that should be skipped
        row.setdefault("info_systems_used", ["erp"])
    r = score_answers(SME, rows)
    for i, row in enumerate(rows):
        visible = visible_questions(SME, row)
        values = row | computed_values(SME, row)
        for qid, mask in r.applied.items():
            question = sme_question(qid)
            expected = relevance(question).truth(values) if question.formula else qid in visible
            assert bool(mask[i]) == expected, (i, qid)


def test_explanation_adds_up_to_the_score() -> None:
    rows = synth_answers(SME, np.linspace(0, 1, 40), seed=5)
    r = score_answers(SME, rows)
    for i in range(len(rows)):
        trail = explain_row(r, i)
        total = 0.0
        for dim in trail["dimensions"]:
            dim_sum = 0.0
            for ind in dim["indicators"]:
                raw = sum(q["points"] for q in ind["questions"])
                assert raw == pytest.approx(ind["raw"], abs=1e-4)
                assert min(raw, ind["cap"]) * ind["weight"] == pytest.approx(ind["score"], abs=1e-4)
                dim_sum += ind["score"]
            assert dim_sum * dim["weight"] == pytest.approx(dim["score"], abs=1e-4)
            if dim["scored"]:
                total += dim["score"]
        assert total == pytest.approx(trail["total"], abs=1e-4)
        assert trail["total"] == pytest.approx(float(r.total[i]))
        granted = [lv["level"] for lv in trail["levels"] if lv["granted"]]
        assert (max(granted) if granted else 0) == trail["level"] == int(r.level[i])


def test_every_answer_names_its_rule() -> None:
    a = answers(full_foundation(), {"planning_stage": "planned"})
    clean, _ = check_answers(SME, a, complete=True)
    trail = explain_row(score_answers(SME, [clean]), 0)
    q = next(q for d in trail["dimensions"] for i in d["indicators"] for q in i["questions"]
             if q["id"] == "planning_stage")
    # the rule names the chosen option by its label (issue 8: names, never codes, in what people read)
    label = SME.question("planning_stage").option("planned").label  # type: ignore[union-attr]
    assert q["points"] == 3.0 and label.zh in q["rule_zh"] and "planned" not in q["rule_en"] and "3" in q["rule_zh"]


def test_same_input_same_output() -> None:
    rows = synth_answers(SME, np.linspace(0, 1, 200), seed=9)
    a, b = score_answers(SME, rows), score_answers(SME, list(reversed(rows)))
    assert np.array_equal(a.total, b.total[::-1]) and np.array_equal(a.level, b.level[::-1])
    assert a.record(0)["scorer_version"] == SCORER_VERSION


@pytest.mark.parametrize(("devices", "points"), [
    (0, 0.0), (10, 0.0), (11, 1.5), (20, 1.5), (21, 3.0), (40, 3.0), (41, 4.5), (60, 4.5), (61, 6.0), (100, 6.0),
])
def test_rate_bands_include_their_upper_edge(devices: int, points: float) -> None:
    # DOMAIN.md §6 (both public copies): [0,10] (10,20] (20,40] (40,60] (60,100]; exactly 10 % scores 0,
    # exactly 20 % scores 1.5. 100 devices, so the count is the rate in %.
    clean, errors = check_answers(SME, answers({"devices_total": 100, "devices_digital": devices,
                                                "devices_networked": devices}), complete=True)
    assert errors == []
    r = score_answers(SME, [clean])
    ind = dict(zip([i.code for i in SME.indicators()], r.indicator[0], strict=True))
    assert ind["equipment_digitisation"] == points
    assert ind["equipment_networking"] == points
    rule = next(q for d in explain_row(r, 0)["dimensions"] for i in d["indicators"] for q in i["questions"]
                if q["id"] == "digitisation_rate")
    assert f"{points:g} 分" in rule["rule_zh"]
    assert ("(" in rule["rule_zh"] and "]" in rule["rule_zh"])


@pytest.mark.parametrize(("share", "points"), [("none", 0.0), ("lt_1", 1.875), ("1_2", 3.75), ("2_3", 5.625),
                                               ("ge_3", 7.5)])
def test_funding_is_a_three_year_average_in_five_bands(share: str, points: float) -> None:
    question = SME.question("digital_investment_share")
    assert question is not None and "近三年" in question.text.zh and len(question.options) == 5
    clean, errors = check_answers(SME, answers({"digital_investment_share": share}), complete=True)
    assert errors == []
    r = score_answers(SME, [clean])
    assert dict(zip([i.code for i in SME.indicators()], r.indicator[0], strict=True))["funding"] == points


def test_level_1_gate_decision_is_written_in_the_file() -> None:
    # the choice (no scenario gate for level 1) and its source are in the questionnaire file
    assert SME.level(1) is not None and SME.level(1).gates == []  # type: ignore[union-attr]
    assert SME.source is not None and any("一级是否设场景门槛" in r.zh for r in SME.source.reconstructed)


def reference_record(result: ScoreResult, i: int) -> dict[str, Any]:
    """What an assessment stores for submission ``i``, read off the result's arrays one cell at a time:
    the plain reference the column-wise ``ScoreResult.records`` must reproduce exactly."""
    c, eps = result.compiled, 1e-9
    applicable = result.applicable[i]
    explanation = {
        "v": 1,
        "points": {qid: round(float(result.points[i, k]), 4) for k, qid in enumerate(c.plan_ids)},
        "raw": {code: round(float(result.indicator_raw[i, j]), 4) for j, code in enumerate(c.ind_codes)},
        "skipped": [qid for qid, mask in result.applied.items() if not mask[i]],
        "computed": {q.id: (None if np.isnan(result.arrays.number[q.id][i])
                            else round(float(result.arrays.number[q.id][i]), 4)) for q in c.dynamic if q.formula},
        "weak": [code for j, code in enumerate(c.ind_codes) if result.weak[i, j]],
        "strong": [code for j, code in enumerate(c.ind_codes) if result.strong[i, j]],
        "gates": {f"{lv}/{gid}": [bool(ok[i]), round(float(actual[i]), 4)]
                  for (lv, gid), (ok, actual) in result.gates.items()},
    }
    if c.applicability:
        assert result.raw_total is not None
        explanation["na"] = [code for j, code in enumerate(c.ind_codes) if not applicable[j]]
        explanation["avail"] = {code: round(float(result.ind_max[i, j]), 4) for j, code in enumerate(c.ind_codes)
                                if eps < result.ind_max[i, j] < c.ind_max[j] - eps}
        explanation["raw_total"] = round(float(result.raw_total[i]), 4)
        explanation["applicable_max"] = round(float(result.applicable_max[i]), 4)
    return {
        "total": float(result.total[i]), "level": int(result.level[i]), "band_level": int(result.band_level[i]),
        "dimension_scores": {d.code: (float(result.dimension[i, k])
                                      if result.dimension_max[i, k] > eps or not c.applicability else None)
                             for k, d in enumerate(c.dimensions) if d.scored},
        "indicator_scores": {code: float(result.indicator[i, j]) if applicable[j] else None
                             for j, code in enumerate(c.ind_codes)},
        "scenario_levels": {(s.scenario or s.id): int(result.scenarios[i, k]) if applicable[c.scenario_ind[k]]
                            else None for k, s in enumerate(c.scenarios)},
        "explanation": explanation, "scorer_version": SCORER_VERSION,
    }


@pytest.mark.parametrize("code", ["sme-digital-2024-mfg", "ceramics-module", "nonferrous-module"])
def test_the_batch_records_are_what_each_submission_alone_would_store(code: str) -> None:
    """``records`` builds a batch's assessment rows column by column; cell for cell they must be the
    plain per-submission reading (not-applicable scores as None, rounding, skipped and computed answers,
    gates), for every row and for a picked subset, and serialise to the same JSON."""
    q = resolve(code).definition
    maturity = np.random.default_rng(5).uniform(0, 1, 400)
    result = score_answers(q, synth_answers(q, maturity, seed=3))
    want = [reference_record(result, i) for i in range(result.n)]
    got = result.records()
    assert got == want
    assert [orjson.dumps(r) for r in got] == [orjson.dumps(r) for r in want]
    pick = np.array([399, 0, 17])
    assert result.records(pick) == [want[i] for i in pick]
    # the corpus reaches what the columns must get right
    assert any(r["explanation"]["skipped"] for r in want) and any(r["explanation"]["weak"] for r in want)
    if result.compiled.applicability:
        assert any(v is None for r in want for v in r["indicator_scores"].values())
        assert any(r["explanation"]["na"] for r in want) and any(None in r["scenario_levels"].values() for r in want)
