"""Tests for diagnostics.size_class (industrial enterprise size, 国统字〔2017〕213号)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diagnostics.size_class import SIZE_LABELS, is_above_scale, size_class, size_class_array


def test_labels():
    assert SIZE_LABELS == {
        "large": {"zh": "大型", "en": "Large"},
        "medium": {"zh": "中型", "en": "Medium"},
        "small": {"zh": "小型", "en": "Small"},
        "micro": {"zh": "微型", "en": "Micro"},
    }


# --- large boundary ------------------------------------------------------------------------------


def test_large_at_both_lower_bounds():
    assert size_class(1000, 40000) == "large"


def test_999_employees_is_not_large():
    assert size_class(999, 40000) == "medium"


def test_39999_revenue_is_not_large():
    assert size_class(1000, 39999) == "medium"
    assert size_class(1000, 39999.99) == "medium"


# --- medium boundary -----------------------------------------------------------------------------


def test_medium_at_both_lower_bounds():
    assert size_class(300, 2000) == "medium"


def test_medium_lower_bounds_minus_one():
    assert size_class(299, 2000) == "small"
    assert size_class(300, 1999) == "small"


# --- small boundary ------------------------------------------------------------------------------


def test_small_at_both_lower_bounds():
    assert size_class(20, 300) == "small"


def test_small_lower_bounds_minus_one_is_micro():
    assert size_class(19, 300) == "micro"
    assert size_class(20, 299) == "micro"
    assert size_class(20, 299.5) == "micro"


def test_micro():
    assert size_class(0, 0) == "micro"
    assert size_class(5, 100) == "micro"


# --- meeting only one condition falls down --------------------------------------------------------


@pytest.mark.parametrize(
    "employees, revenue, expected",
    [
        (5000, 100000, "large"),
        # Large headcount, revenue only good enough for medium / small / micro.
        (5000, 2000, "medium"),
        (5000, 500, "small"),  # falls past medium too: medium needs revenue >= 2000
        (5000, 100, "micro"),
        # Large revenue, headcount only good enough for medium / small / micro.
        (500, 100000, "medium"),
        (50, 100000, "small"),
        (10, 100000, "micro"),
        # Medium headcount, small revenue and vice versa.
        (400, 1000, "small"),
        (100, 5000, "small"),
    ],
)
def test_meets_only_one_condition_falls_down(employees, revenue, expected):
    assert size_class(employees, revenue) == expected


# --- missing and invalid -------------------------------------------------------------------------


@pytest.mark.parametrize("employees, revenue", [(None, 100.0), (100, None), (None, None), (100, math.nan)])
def test_missing_gives_none(employees, revenue):
    assert size_class(employees, revenue) is None


def test_negative_employees_raises():
    with pytest.raises(ValueError, match="employees"):
        size_class(-1, 100)


def test_negative_revenue_raises():
    with pytest.raises(ValueError, match="revenue"):
        size_class(100, -0.01)


def test_negative_raises_even_when_the_other_value_is_missing():
    with pytest.raises(ValueError, match="revenue"):
        size_class(None, -5)
    with pytest.raises(ValueError, match="employees"):
        size_class(-3, None)


# --- vectorised ----------------------------------------------------------------------------------


def test_array_matches_scalar_on_boundary_grid():
    employee_values = [0, 1, 19, 20, 21, 299, 300, 301, 999, 1000, 1001, 10000]
    revenue_values = [0, 299, 299.9, 300, 1999, 2000, 2000.5, 39999, 40000, 40001, 1e7]
    x, y = np.meshgrid(np.array(employee_values, dtype=float), np.array(revenue_values, dtype=float))
    result = size_class_array(x.ravel(), y.ravel())
    expected = [size_class(int(e), float(r)) for e, r in zip(x.ravel(), y.ravel(), strict=True)]
    assert result.tolist() == expected
    assert set(expected) == {"large", "medium", "small", "micro"}


def test_array_missing_values_are_none():
    employees = np.array([np.nan, 500, 500, 5])
    revenue = np.array([5000, np.nan, 5000, 10])
    result = size_class_array(employees, revenue)
    assert result.dtype == object
    assert result.tolist() == [None, None, "medium", "micro"]


def test_array_accepts_integer_arrays_and_keeps_shape():
    employees = np.array([[1000, 300], [20, 19]])
    revenue = np.array([[40000, 2000], [300, 300]])
    result = size_class_array(employees, revenue)
    assert result.shape == (2, 2)
    assert result.tolist() == [["large", "medium"], ["small", "micro"]]


def test_array_negative_raises():
    with pytest.raises(ValueError, match="employees"):
        size_class_array(np.array([10, -1]), np.array([100, 100]))
    with pytest.raises(ValueError, match="revenue"):
        size_class_array(np.array([10, 10]), np.array([100, -5]))


def test_array_negative_is_an_error_even_when_the_other_value_is_missing():
    with pytest.raises(ValueError, match="revenue"):
        size_class_array(np.array([np.nan, 10]), np.array([-5, 100]))


def test_array_large_input():
    rng = np.random.default_rng(7)
    employees = rng.integers(0, 3000, size=5000).astype(float)
    revenue = rng.uniform(0, 80000, size=5000)
    employees[::97] = np.nan
    result = size_class_array(employees, revenue)
    for i in range(0, 5000, 13):
        e = None if math.isnan(employees[i]) else int(employees[i])
        assert result[i] == size_class(e, float(revenue[i]))


# --- above scale ---------------------------------------------------------------------------------


def test_above_scale_boundary():
    assert is_above_scale(2000) is True
    assert is_above_scale(1999.99) is False
    assert is_above_scale(0) is False
    assert is_above_scale(np.float64(2500.0)) is True


def test_above_scale_rejects_missing_and_negative():
    with pytest.raises(ValueError, match="missing"):
        is_above_scale(math.nan)
    with pytest.raises(ValueError, match="negative"):
        is_above_scale(-1)
