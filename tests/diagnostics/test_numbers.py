"""One number format for pages, charts and the explanation trail (issue 9: 180 shown as 18)."""

from __future__ import annotations

import pytest

from diagnostics.explain import _next_level
from diagnostics.numbers import difference, format_number, rounded


@pytest.mark.parametrize(("value", "digits", "shown"), [
    (180, 0, "180"), (30, 0, "30"), (120, 0, "120"), (100, 1, "100"), (180.0, 1, "180"), (0, 0, "0"),
    (12.5, 1, "12.5"), (12.50, 2, "12.5"), (12.05, 2, "12.05"),
    (0.5, 0, "1"), (2.5, 0, "3"), (1.5, 0, "2"), (0.05, 1, "0.1"), (74.25, 1, "74.3"), (-2.5, 0, "-3"),
    (1_000_000_000, 0, "1000000000"), (1_000_000_000.0, 1, "1000000000"), (1234567.891, 2, "1234567.89"),
    (-0.04, 1, "0"), (None, 1, "–"), (float("nan"), 1, "–"),
])
def test_format_keeps_whole_numbers_and_rounds_half_up(value: float | None, digits: int, shown: str) -> None:
    assert format_number(value, digits) == shown


def test_grouped_large_values() -> None:
    assert format_number(1_000_000_000, 0, grouped=True) == "1,000,000,000"
    assert format_number(2032.0, 1, grouped=True) == "2,032"


def test_change_is_the_difference_of_the_shown_values() -> None:
    assert difference(19.14, 12.76) == 6.3  # shown 19.1 and 12.8; the raw difference would show +6.4
    assert rounded(19.14) - rounded(12.76) == pytest.approx(6.3)


def _levels(total_ok: bool) -> list[dict]:
    return [{"level": 2, "min_score": 40, "score_ok": True, "granted": True, "gates": []},
            {"level": 3, "min_score": 80, "score_ok": total_ok, "granted": total_ok, "gates": []}]


def test_points_missing_agree_with_the_shown_score() -> None:
    nxt = _next_level(_levels(False), 2, 74.225)  # shown as 74.2
    assert nxt is not None and nxt["reasons_zh"] == ["总分还差 5.8 分（需 80 分）"]
    assert nxt["reasons_en"] == ["5.8 points short of 80"]


def test_a_score_that_rounds_up_to_the_threshold_still_says_it_is_short() -> None:
    nxt = _next_level(_levels(False), 2, 79.96)  # shown as 80 yet below 80
    assert nxt is not None and nxt["reasons_zh"] == ["总分还差 0.04 分（需 80 分）"]
