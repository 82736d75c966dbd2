"""When an assessment's answers were given, and how a level held down by a gate is explained.

An assessment row is written whenever scoring runs (at submit, at verification, or by the nightly
pipeline after a questionnaire change), so its ``created_at`` is the *scoring* date: two submissions of
2025-04 and 2026-04 rescored on 2026-12-01 would both read "2026-12-01". What a reader compares in
T0/T1 and in the history is when the enterprise answered: the submission's ``submitted_at`` (for an
on-site record with no separate submission, its verification date).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from diagnostics.store.models import Assessment


def answered_at(assessment: Assessment) -> datetime:
    """The date the answers behind ``assessment`` were given (falls back to the scoring date)."""
    sub = assessment.submission
    if sub is not None:
        return sub.submitted_at or sub.verified_at or assessment.created_at
    return assessment.created_at


def gate_hold(explanation: dict[str, Any], level: int) -> dict[str, Any] | None:
    """When the score alone reaches a higher level than the one granted: which level and which gates.

    ``band_level`` is the level by points alone; ``level`` is the one granted after the gates. The
    banner must then say "score reaches level 3, held at level 2 because…" rather than quote level 2's
    band (40–60 points) beside a score of 60.1.
    """
    band = int(explanation.get("band_level", level))
    if band <= level:
        return None
    above = next((lv for lv in explanation.get("levels", []) if lv.get("level") == level + 1), None)
    if above is None:
        return None
    failed = [g for g in above.get("gates", []) if not g.get("ok")]
    return {"band_level": band, "level": above, "failed": failed}
