"""The commissioners' progress board: how far the field work is, against the pilot's targets.

Stages, in order: registered (on the roster) → assigned (a commissioner has it) → self-assessed (the firm
submitted) → visited (a visit was opened) → verified (a visit was signed off). Counted per cluster and
by commissioner, region and chain link, with the list of firms whose commissioner is late.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from diagnostics.text import Text

STAGES: tuple[str, ...] = ("registered", "assigned", "self_assessed", "visited", "verified")
STAGE_LABELS: dict[str, Text] = {
    "registered": Text(zh="已登记", en="Registered"),
    "assigned": Text(zh="已分派", en="Assigned"),
    "self_assessed": Text(zh="已自评", en="Self-assessed"),
    "visited": Text(zh="已走访", en="Visited"),
    "verified": Text(zh="已核实", en="Verified"),
}

LATE_AFTER = timedelta(days=14)
"""A firm assigned this long ago and not verified is late. Platform choice (no seed gives a deadline);
two weeks is one visit round of a county's commissioners."""

DEEP_DIAGNOSES_MIN = 15
"""Shaoguan seed 002, 五.(一): at least 15 enterprises *of different types* deeply surveyed and diagnosed."""
UNIT_KINDS_MIN = 4
"""Of how many kinds (leaders, SMEs, 专精特新, associations, research bodies, seed 002 五.(一)) at least:
the notice asks for "different types" without a number; four of the five it names is this platform's
reading, shown beside the figure."""

KIND_LABELS: dict[str, Text] = {
    "chain_leader": Text(zh="龙头/链主企业", en="Chain leaders"),
    "srdi": Text(zh="专精特新企业", en="SRDI firms"),
    "sme": Text(zh="中小企业", en="SMEs"),
    "association": Text(zh="行业协会", en="Associations"),
    "research": Text(zh="科研机构", en="Research bodies"),
    "provider": Text(zh="服务商", en="Providers"),
}


@dataclass(frozen=True)
class FirmProgress:
    """One firm's place in the field work (plain values gathered by ``diagnostics.store.field_board``)."""

    enterprise_id: int
    name: str
    region: str | None
    chain_links: tuple[str, ...]
    unit_type: str
    tags: tuple[str, ...]
    commissioners: tuple[str, ...]
    assigned_at: datetime | None
    self_assessed: bool
    visited: bool
    verified: bool

    def stages(self) -> list[str]:
        done = ["registered"]
        if self.commissioners:
            done.append("assigned")
        if self.self_assessed:
            done.append("self_assessed")
        if self.visited:
            done.append("visited")
        if self.verified:
            done.append("verified")
        return done

    def kind(self) -> str:
        """The firm's kind in the sense of seed 002's "different types"."""
        if self.unit_type != "enterprise":
            return self.unit_type
        if "chain_leader" in self.tags:
            return "chain_leader"
        if "srdi" in self.tags:
            return "srdi"
        return "sme"


@dataclass(frozen=True)
class TargetRow:
    label: Text
    measured: int
    minimum: int
    met: bool
    note: Text | None = None


@dataclass
class Board:
    totals: dict[str, int]
    by_commissioner: dict[str, dict[str, int]]
    by_region: dict[str, dict[str, int]]
    by_link: dict[str, dict[str, int]]
    targets: list[TargetRow]
    late: list[FirmProgress] = field(default_factory=list)
    verified_kinds: dict[str, int] = field(default_factory=dict)


def _count(groups: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {key: {s: counter.get(s, 0) for s in STAGES} for key, counter in sorted(groups.items())}


DEEP_DEFAULT_NOTE = Text(zh="平台默认：参照韶关指南 五.(一)“不少于15家不同类型企业”（本试点文件未规定）",
                         en="platform default after the Shaoguan guide 5.(1), at least 15 firms (this pilot's file "
                            "sets none)")


def build_board(firms: Iterable[FirmProgress], *, now: datetime, deep_min: int = DEEP_DIAGNOSES_MIN,
                deep_note: Text = DEEP_DEFAULT_NOTE, kinds_min: int = UNIT_KINDS_MIN,
                late_after: timedelta = LATE_AFTER) -> Board:
    """Counts per stage, by commissioner, region and link; the targets; who is late (oldest first).

    ``deep_min`` and ``deep_note`` are the pilot file's deep-survey target and its source when it has one
    (Shaoguan: guide 5.(1)); otherwise the platform default, said to be one."""
    totals: Counter[str] = Counter()
    by_c: dict[str, Counter[str]] = defaultdict(Counter)
    by_r: dict[str, Counter[str]] = defaultdict(Counter)
    by_l: dict[str, Counter[str]] = defaultdict(Counter)
    late: list[FirmProgress] = []
    kinds: Counter[str] = Counter()
    for firm in firms:
        stages = firm.stages()
        totals.update(stages)
        for name in firm.commissioners or ("",):
            by_c[name].update(stages)
        by_r[firm.region or ""].update(stages)
        for link in firm.chain_links or ("",):
            by_l[link].update(stages)
        if firm.verified:
            kinds[firm.kind()] += 1
        elif firm.assigned_at is not None and now - firm.assigned_at > late_after:
            late.append(firm)
    late.sort(key=lambda f: (f.assigned_at or now, f.name))
    targets = [
        TargetRow(Text(zh="深度诊断（现场核实）企业数", en="Deep diagnoses (verified on site)"), totals["verified"],
                  deep_min, totals["verified"] >= deep_min, deep_note),
        TargetRow(Text(zh="已核实企业的类型数", en="Kinds among verified firms"), len(kinds), kinds_min,
                  len(kinds) >= kinds_min,
                  Text(zh="龙头、中小、专精特新、协会、科研机构中至少4类（平台取值）",
                       en="at least 4 of leaders, SMEs, SRDI, associations, research bodies (platform choice)")),
    ]
    return Board({s: totals.get(s, 0) for s in STAGES}, _count(by_c), _count(by_r), _count(by_l), targets, late,
                 dict(kinds))


def stage_share(board: Board, stage: str) -> float:
    """The share of registered firms that reached ``stage`` (0 when nothing is registered)."""
    registered = board.totals.get("registered", 0)
    return board.totals.get(stage, 0) / registered if registered else 0.0


def names(items: Sequence[FirmProgress]) -> list[str]:
    return [f.name for f in items]
