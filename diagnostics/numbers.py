"""How a number is shown, everywhere: pages, charts, workbooks and the explanation trail.

One function so that a text and the figure beside it never disagree: "还差 5.8 分" next to a score shown
as 74.2 (not the 5.775 of the unrounded total), "+6.3" next to 19.1 and 12.8. Rounding is half-up on the
decimal value people read (``2.5`` -> ``3``, ``0.05`` -> ``0.1``), not Python's round-half-even on the
binary value; trailing zeros after the decimal point are dropped (``12.50`` -> ``12.5``) but never the
zeros of a whole number (``180`` stays ``180``; the old ``rstrip("0")`` turned it into ``18``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DISPLAY_DIGITS = 1  # scores are shown to one decimal (the SME 2024 table's points are multiples of 0.5 or 0.1)


def rounded(value: float, digits: int = DISPLAY_DIGITS) -> float:
    """``value`` rounded half-up to ``digits`` decimals, as it will be shown."""
    try:
        exact = Decimal(repr(float(value)))  # repr: the shortest decimal that reads back as the float
        return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError, OverflowError):  # nan, inf
        return float(value)


def format_number(value: float | int | None, digits: int = DISPLAY_DIGITS, *, grouped: bool = False) -> str:
    """``value`` for display: at most ``digits`` decimals, no trailing fractional zeros, "–" for None.

    ``grouped`` adds thousands separators (``1,234,567``) for counts and money in tables.
    """
    if value is None:
        return "–"
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "–"
    shown = Decimal(repr(rounded(number, digits))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{shown:,f}" if grouped else f"{shown:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def difference(after: float, before: float, digits: int = DISPLAY_DIGITS) -> float:
    """``after - before`` of the two values *as shown*, so the change column adds up on screen."""
    return rounded(rounded(after, digits) - rounded(before, digits), digits)
