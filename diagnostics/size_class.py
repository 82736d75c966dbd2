"""Enterprise size class for industrial enterprises (统计上大中小微型企业划分办法, 国统字〔2017〕213号).

Pilot reports break results down by enterprise size, and the SME digital-level evaluation only applies
to small and medium enterprises, so the size class must be computed the way the statistics bureau does
it rather than guessed from headcount. For industry (工业) the thresholds are, with X = employees
(从业人员, persons) and Y = operating revenue (营业收入, 10k yuan / 万元):

=========  ============  ===============
class      X             Y
=========  ============  ===============
large      X >= 1000     Y >= 40000
medium     X >= 300      Y >= 2000
small      X >= 20       Y >= 300
micro      X < 20        or Y < 300
=========  ============  ===============

Large, medium and small require *both* lower bounds; an enterprise that meets only one of them falls
down a class, and keeps falling until both bounds of a class are met. The result is therefore the
largest class whose two bounds are both met, and micro when none is (e.g. 1200 employees with 500万元
revenue is small, not medium).

Only the industrial thresholds are encoded, because both pilot industries (ceramics, non-ferrous
metals, including non-ferrous mining) are industry in the statistical sense.
"""

from __future__ import annotations

import math

import numpy as np

SIZE_LABELS: dict[str, dict[str, str]] = {
    "large": {"zh": "大型", "en": "Large"},
    "medium": {"zh": "中型", "en": "Medium"},
    "small": {"zh": "小型", "en": "Small"},
    "micro": {"zh": "微型", "en": "Micro"},
}
SIZE_CLASSES: tuple[str, ...] = ("large", "medium", "small", "micro")
"""The four classes of the division, largest first (the order every report uses)."""
UNKNOWN = "unknown"
"""What portraits and reports say when employees or revenue is missing (never guessed)."""
SIZE_ORDER: tuple[str, ...] = (*SIZE_CLASSES, UNKNOWN)
_UNKNOWN_LABEL = {"zh": "规模未知", "en": "Size unknown"}


def size_label(code: str | None, locale: str = "zh") -> str:
    """The name people read for a size class code (``None`` and "unknown" read 规模未知)."""
    labels = SIZE_LABELS.get(code or UNKNOWN, _UNKNOWN_LABEL)
    return labels.get(locale, labels["zh"])


def size_text(code: str | None) -> dict[str, str]:
    """Both languages of :func:`size_label`, as a ``Text``-shaped dict for payloads."""
    return dict(SIZE_LABELS.get(code or UNKNOWN, _UNKNOWN_LABEL))

# (class, minimum employees, minimum operating revenue in 10k yuan), largest first.
THRESHOLDS: tuple[tuple[str, int, float], ...] = (
    ("large", 1000, 40000.0),
    ("medium", 300, 2000.0),
    ("small", 20, 300.0),
)

ABOVE_SCALE_REVENUE_10K = 2000.0
"""规模以上工业企业: annual main-business revenue of at least 20 million yuan (2000 万元)."""


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def size_class(employees: int | None, revenue_10k: float | None) -> str | None:
    """Size class ("large", "medium", "small", "micro") from employees and operating revenue in 万元.

    Returns ``None`` when either figure is missing (``None`` or NaN): the division needs both, and
    guessing from one would put enterprises in the wrong report column. Negative figures are data
    errors and raise ``ValueError`` (even when the other figure is missing) instead of silently
    classifying as micro or disappearing among the unknowns.
    """
    if employees is not None and employees < 0:
        raise ValueError(f"employees must not be negative, got {employees}")
    if revenue_10k is not None and revenue_10k < 0:
        raise ValueError(f"operating revenue (万元) must not be negative, got {revenue_10k}")
    if employees is None or revenue_10k is None or _missing(employees) or _missing(revenue_10k):
        return None
    for name, min_employees, min_revenue in THRESHOLDS:
        if employees >= min_employees and revenue_10k >= min_revenue:
            return name
    return "micro"


def size_class_array(employees: np.ndarray, revenue_10k: np.ndarray) -> np.ndarray:
    """Vectorised :func:`size_class` for scoring thousands of enterprises at once.

    Returns an object array of the same shape holding "large" / "medium" / "small" / "micro", or
    ``None`` where either input is NaN (missing). Inputs are broadcast against each other. Any negative
    (non-missing) value raises ``ValueError``, as in the scalar function, so a bad row is noticed rather
    than counted as micro.
    """
    x = np.asarray(employees, dtype=float)
    y = np.asarray(revenue_10k, dtype=float)
    x, y = np.broadcast_arrays(x, y)
    missing = np.isnan(x) | np.isnan(y)
    with np.errstate(invalid="ignore"):
        if np.any(x < 0):
            raise ValueError(f"employees must not be negative; {int(np.sum(x < 0))} negative value(s)")
        if np.any(y < 0):
            raise ValueError(
                f"operating revenue (万元) must not be negative; {int(np.sum(y < 0))} negative value(s)"
            )
        conditions = [(x >= min_x) & (y >= min_y) for _, min_x, min_y in THRESHOLDS]
    names = [name for name, _, _ in THRESHOLDS]
    result = np.select(conditions, names, default="micro").astype(object)
    result[missing] = None
    return result


def is_above_scale(revenue_10k: float) -> bool:
    """Whether annual main-business revenue (万元) reaches the 规模以上 threshold of 2000 万元.

    Above-scale enterprises report monthly to the statistics bureau, which changes what data they can
    supply, so surveys branch on it. Missing (``None``/NaN) or negative revenue raises ``ValueError``:
    "unknown" must not be reported as "below scale".
    """
    if _missing(revenue_10k):
        raise ValueError(
            "main-business revenue is missing; cannot tell whether the enterprise is above scale"
        )
    if revenue_10k < 0:
        raise ValueError(f"main-business revenue (万元) must not be negative, got {revenue_10k}")
    return bool(revenue_10k >= ABOVE_SCALE_REVENUE_10K)
