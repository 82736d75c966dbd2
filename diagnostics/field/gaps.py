"""Self-assessed vs verified: the gap per firm and per cluster, and which unvisited firm to visit first.

A gap is verified minus self-assessed (negative: the firm overstated itself). Where the cluster's firms
overstate most is read by indicator, by size class and by chain link. The **visit priority** of a firm
not yet visited is the level change expected if it were visited, estimated from the gaps already seen
in similar firms: same chain link and size class first, then same link, then same size, then all
verified firms; the reason names which group and how many firms the estimate rests on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from diagnostics.text import Text

MIN_PEERS = 2
"""Fewer verified peers than this in a group and the next broader group is used: one firm is an anecdote."""


@dataclass(frozen=True)
class Gap:
    """One firm's self-assessed and verified result (the same questionnaire, two submissions)."""

    enterprise_id: int
    size_class: str | None
    chain_links: tuple[str, ...]
    self_total: float
    verified_total: float
    self_level: int
    verified_level: int
    self_indicators: Mapping[str, float]
    verified_indicators: Mapping[str, float]

    @property
    def total(self) -> float:
        return self.verified_total - self.self_total

    @property
    def level(self) -> int:
        return self.verified_level - self.self_level

    def indicators(self) -> dict[str, float]:
        keys = set(self.self_indicators) | set(self.verified_indicators)
        return {k: float(self.verified_indicators.get(k, 0.0)) - float(self.self_indicators.get(k, 0.0))
                for k in sorted(keys)}


@dataclass(frozen=True)
class GroupGap:
    key: str
    firms: int
    mean_total: float
    mean_level: float


@dataclass
class ClusterGaps:
    firms: int
    mean_total: float
    mean_level: float
    overstated: int  # firms whose verified total is below their self-assessment
    by_indicator: list[GroupGap]  # most overstated first
    by_size: list[GroupGap]
    by_link: list[GroupGap]


def _groups(gaps: Sequence[Gap], keys: Callable[[Gap], Iterable[str]]) -> list[GroupGap]:
    found: dict[str, list[Gap]] = defaultdict(list)
    for gap in gaps:
        for key in keys(gap):
            found[key].append(gap)
    rows = [GroupGap(k, len(v), fmean(g.total for g in v), fmean(g.level for g in v)) for k, v in found.items()]
    return sorted(rows, key=lambda r: (r.mean_total, r.key))


def cluster_gaps(gaps: Sequence[Gap]) -> ClusterGaps:
    """The cluster's gaps: overall, and where self-assessments overstate most (by indicator, size, link)."""
    if not gaps:
        return ClusterGaps(0, 0.0, 0.0, 0, [], [], [])
    per_indicator: dict[str, list[float]] = defaultdict(list)
    for gap in gaps:
        for key, value in gap.indicators().items():
            per_indicator[key].append(value)
    by_indicator = sorted((GroupGap(k, len(v), fmean(v), 0.0) for k, v in per_indicator.items()),
                          key=lambda r: (r.mean_total, r.key))
    return ClusterGaps(
        firms=len(gaps), mean_total=fmean(g.total for g in gaps), mean_level=fmean(g.level for g in gaps),
        overstated=sum(1 for g in gaps if g.total < 0), by_indicator=by_indicator,
        by_size=_groups(gaps, lambda g: [g.size_class or ""]), by_link=_groups(gaps, lambda g: g.chain_links or ("",)),
    )


@dataclass(frozen=True)
class Candidate:
    """A firm not yet visited, with its self-assessment."""

    enterprise_id: int
    size_class: str | None
    chain_links: tuple[str, ...]
    self_total: float
    self_level: int


@dataclass(frozen=True)
class Priority:
    enterprise_id: int
    rank: int
    expected_level_change: float
    expected_total_change: float
    peers: int
    basis: str  # link+size | link | size | all | none
    reason: Text


def _peers(c: Candidate, seen: Sequence[Gap]) -> tuple[str, list[Gap]]:
    links = set(c.chain_links)
    tiers: list[tuple[str, Callable[[Gap], bool]]] = [
        ("link+size", lambda g: bool(links & set(g.chain_links)) and g.size_class == c.size_class),
        ("link", lambda g: bool(links & set(g.chain_links))),
        ("size", lambda g: g.size_class == c.size_class),
        ("all", lambda g: True),
    ]
    for basis, match in tiers:
        if basis.startswith("link") and not links:
            continue
        if basis in ("link+size", "size") and c.size_class is None:
            continue
        found = [g for g in seen if match(g)]
        if len(found) >= MIN_PEERS:
            return basis, found
    return "none", []


_BASIS = {
    "link+size": ("同环节、同规模", "same chain link and size"),
    "link": ("同环节", "same chain link"),
    "size": ("同规模", "same size"),
    "all": ("全部已核实企业", "all verified firms"),
}


def visit_priority(candidates: Sequence[Candidate], seen: Sequence[Gap]) -> list[Priority]:
    """Unvisited firms ranked by the level change a visit is expected to find (largest change first).

    The expected change is the mean level gap (and total gap) of the firm's peers among verified firms.
    Ties go to the larger expected score change, then to the higher self-assessed level (an overstated
    high level misleads the shortlist most), then to the id, so the order is stable.
    """
    rows: list[tuple[tuple[float, float, float, int], Priority]] = []
    for c in candidates:
        basis, peers = _peers(c, seen)
        if not peers:
            reason = Text(zh="尚无足够的已核实同类企业，无法估计", en="not enough verified similar firms to estimate")
            p = Priority(c.enterprise_id, 0, 0.0, 0.0, 0, basis, reason)
            rows.append(((0.0, 0.0, -c.self_level, c.enterprise_id), p))
            continue
        level = fmean(g.level for g in peers)
        total = fmean(g.total for g in peers)
        zh, en = _BASIS[basis]
        direction_zh = "高估" if total < 0 else "低估"
        direction_en = "overstated" if total < 0 else "understated"
        reason = Text(zh=f"{zh}的 {len(peers)} 家已核实企业，自评平均{direction_zh} {abs(total):.1f} 分、"
                         f"等级变化 {level:+.1f} 级",
                      en=f"{len(peers)} verified firms of the {en} {direction_en} themselves by {abs(total):.1f} "
                         f"points on average, level change {level:+.1f}")
        p = Priority(c.enterprise_id, 0, level, total, len(peers), basis, reason)
        rows.append(((-abs(level), -abs(total), -c.self_level, c.enterprise_id), p))
    rows.sort(key=lambda r: r[0])
    return [Priority(p.enterprise_id, i + 1, p.expected_level_change, p.expected_total_change, p.peers, p.basis,
                     p.reason) for i, (_, p) in enumerate(rows)]
