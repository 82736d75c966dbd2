"""The skip-logic language is safe and agrees with itself; loose input is read as people mean it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from diagnostics import expr
from diagnostics.answers import ValueProblem, check_answers, parse_value
from tests.diagnostics.sme import SME, answers, question


@pytest.mark.parametrize("source", [
    "__import__('os').system('ls')", "q1.__class__", "q1[0]", "(lambda: 1)()", "open('x')",
    "[x for x in q1]", "q1 if q2 else q3", "q1 in q2",
])
def test_unsafe_or_unsupported_expressions_are_refused(source: str) -> None:
    with pytest.raises(expr.ExpressionError):
        expr.parse(source)


def test_scalar_rules() -> None:
    e = expr.parse("selected(net, 'A') and count(net) >= 2 or size in ['large', 'medium']")
    assert e.names == {"net", "size"}
    assert e.truth({"net": ["A", "B"]})
    assert not e.truth({"net": ["A"]})
    assert e.truth({"size": "medium"})
    assert not expr.parse("devices > 0").truth({})  # missing is never compared true
    assert not expr.parse("not answered(devices)").truth({"devices": 0})
    assert expr.parse("a / b * 100 >= 50").truth({"a": 1, "b": 2})
    assert not expr.parse("a / b > 1").truth({"a": 1, "b": 0})  # division by zero is missing
    assert expr.parse("level == 3").truth({"level": "3"})


def test_vector_matches_scalar() -> None:
    rows: list[dict[str, Any]] = [
        {"a": 1.0, "c": "X"}, {"a": None, "c": "Y"}, {"a": 5.0, "c": None}, {"a": 0.0, "c": "X"}]
    cols = {"a": expr.VectorColumn("number", np.array([np.nan if r["a"] is None else r["a"] for r in rows])),
            "c": expr.VectorColumn("code", np.array([r["c"] for r in rows], dtype=object))}
    for source in ("a > 0", "c == 'X'", "c in ['X', 'Y'] and a >= 0", "not (a > 2) or c != 'X'", "a * 2 > 3",
                   "answered(a)", "c not in ['Y']"):
        e = expr.parse(source)
        vec = e.evaluate_vector(cols, len(rows)).astype(bool).tolist()
        assert vec == [e.truth(r) for r in rows], source


@pytest.mark.parametrize(("qid", "raw", "clean"), [
    ("devices_total", "1,234", 1234.0),
    ("devices_total", "１２３", 123.0),
    ("network_kinds", "office_lan；field_network", ["office_lan", "field_network"]),
    ("network_kinds", "field_network;office_lan;", ["office_lan", "field_network"]),
    ("info_systems_coverage", " all ", "all"),
    ("s_quality", "3", 3),
    ("s_quality", 2.0, 2),
])
def test_loose_values_are_read(qid: str, raw: object, clean: object) -> None:
    assert parse_value(question(qid), raw) == clean


@pytest.mark.parametrize(("qid", "raw", "fragment"), [
    ("devices_total", "abc", "not a number"),
    ("devices_total", "-3", "at least 0"),
    ("devices_total", "2.5", "whole number"),
    ("info_systems_coverage", "everything", "unknown option 'everything'"),
    ("network_kinds", "none;office_lan", "cannot be combined"),
])
def test_bad_values_say_why(qid: str, raw: str, fragment: str) -> None:
    with pytest.raises(ValueProblem) as exc:
        parse_value(question(qid), raw)
    assert fragment in exc.value.en and exc.value.zh


def test_check_answers_keeps_good_answers_and_lists_every_problem() -> None:
    raw = answers({"devices_total": "many", "planning_stage": "nonsense"})
    raw.pop("quality_change")
    clean, errors = check_answers(SME, raw, complete=True)
    by_q = {e.question_id: e for e in errors}
    assert set(by_q) == {"devices_total", "planning_stage", "quality_change"}
    assert by_q["quality_change"].message_zh == "此题必答"
    assert clean["info_systems_coverage"] == "none"  # good answers survive
    _, draft_errors = check_answers(SME, {"planning_stage": "planned"}, complete=False)
    assert draft_errors == []  # a draft may be incomplete


def test_constraint_between_answers_is_enforced() -> None:
    too_many = answers({"devices_total": 10, "devices_digital": 12, "devices_networked": 5})
    clean, errors = check_answers(SME, too_many, complete=True)
    assert [(e.question_id, e.message_zh) for e in errors] == [("devices_digital", "不能超过设备总数")]
    assert "devices_digital" not in clean and clean["devices_total"] == 10
    at_most = answers({"devices_total": 10, "devices_digital": 10, "devices_networked": 5})
    _, ok = check_answers(SME, at_most, complete=True)
    assert ok == []
