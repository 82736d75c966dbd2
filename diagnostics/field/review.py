"""Review states of a self-assessment and which changes between them are allowed.

Modelled on what field-collection servers have (ODK Central's review states: received, edited, has
issues, approved, rejected): ours are ``submitted`` → ``in_review`` (a commissioner opened a visit) →
``has_issues`` (sent back to the firm with the questions named; the firm edits and submits again) →
``verified`` (signed off on site), or ``rejected``. Every change is recorded with who and why.
"""

from __future__ import annotations

from diagnostics.text import Text

STATES: dict[str, Text] = {
    "submitted": Text(zh="已提交", en="Submitted"),
    "in_review": Text(zh="核查中", en="In review"),
    "has_issues": Text(zh="有问题（已退回企业）", en="Has issues (sent back)"),
    "verified": Text(zh="已现场核实", en="Verified on site"),
    "rejected": Text(zh="不予采信", en="Rejected"),
}

TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"submitted"}),
    "submitted": frozenset({"in_review", "has_issues", "verified", "rejected"}),
    "in_review": frozenset({"has_issues", "verified", "rejected"}),
    "has_issues": frozenset({"submitted"}),  # the firm corrects and submits again
    "verified": frozenset(),
    "rejected": frozenset(),
}

NEEDS_REASON = frozenset({"has_issues", "rejected"})


class TransitionRefused(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def check_transition(current: str | None, new: str, reason: str | None = None,
                     questions: list[str] | None = None) -> None:
    """Raise ``TransitionRefused`` (with the reason in both languages) unless ``current → new`` is allowed."""
    if new not in STATES:
        raise TransitionRefused(f"未知状态“{new}”", f"unknown review state '{new}'")
    if new not in TRANSITIONS.get(current, frozenset()):
        old = STATES[current].zh if current in STATES else "（无）"
        old_en = STATES[current].en if current in STATES else "(none)"
        raise TransitionRefused(f"不能从“{old}”改为“{STATES[new].zh}”",
                                f"cannot go from '{old_en}' to '{STATES[new].en}'")
    if new in NEEDS_REASON and not (reason or "").strip():
        raise TransitionRefused("请写明原因", "please give a reason")
    if new == "has_issues" and not questions:
        raise TransitionRefused("请指出有问题的题目", "name the questions that have issues")
