"""Pure field rules: review transitions, evidence sniffing, the progress board, gaps and visit priority."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

import pytest

from diagnostics.field import evidence
from diagnostics.field.gaps import Candidate, Gap, cluster_gaps, visit_priority
from diagnostics.field.progress import FirmProgress, build_board
from diagnostics.field.review import TransitionRefused, check_transition


def gap(eid: int, size: str, link: str, self_total: float, verified: float, self_level: int, level: int,
        ind: dict[str, tuple[float, float]] | None = None) -> Gap:
    ind = ind or {}
    return Gap(eid, size, (link,), self_total, verified, self_level, level,
               {k: a for k, (a, _) in ind.items()}, {k: b for k, (_, b) in ind.items()})


SEEN = [  # firing (link "firing"), small firms overstate by two levels; forming firms are honest
    gap(1, "small", "firing", 70, 40, 3, 1, {"systems": (30, 10), "network": (20, 15)}),
    gap(2, "small", "firing", 65, 45, 3, 2, {"systems": (30, 20), "network": (20, 20)}),
    gap(3, "medium", "firing", 60, 55, 3, 2, {"systems": (20, 20), "network": (20, 15)}),
    gap(4, "small", "forming", 50, 50, 2, 2, {"systems": (10, 10), "network": (20, 20)}),
    gap(5, "small", "forming", 52, 51, 2, 2, {"systems": (10, 10), "network": (20, 19)}),
]


def test_priority_ranks_unvisited_firms_by_the_gap_their_peers_showed() -> None:
    candidates = [
        Candidate(10, "small", ("forming",), 55, 2),  # honest peers: expected change 0
        Candidate(11, "small", ("firing",), 72, 3),   # link+size peers 1, 2: −1.5 levels
        Candidate(12, "medium", ("firing",), 61, 3),  # one medium peer only → link peers 1,2,3: −1.33
        Candidate(13, None, (), 40, 2),               # nothing to match on but all: −0.8
    ]
    ranked = visit_priority(candidates, SEEN)
    assert [p.enterprise_id for p in ranked] == [11, 12, 13, 10]
    first = ranked[0]
    assert (first.rank, first.basis, first.peers) == (1, "link+size", 2)
    assert first.expected_level_change == pytest.approx(-1.5)
    assert first.expected_total_change == pytest.approx(-25.0)
    assert "高估 25.0 分" in first.reason.zh
    assert ranked[1].basis == "link" and ranked[1].expected_level_change == pytest.approx(-4 / 3)
    assert ranked[2].basis == "all" and ranked[3].expected_level_change == pytest.approx(0.0)
    assert visit_priority([Candidate(9, "small", ("x",), 50, 2)], SEEN[:1])[0].basis == "none"


def test_cluster_gaps_say_where_self_assessments_overstate_most() -> None:
    summary = cluster_gaps(SEEN)
    assert summary.firms == 5 and summary.overstated == 4
    assert summary.mean_total == pytest.approx((-30 - 20 - 5 + 0 - 1) / 5)
    assert summary.by_indicator[0].key == "systems" and summary.by_indicator[0].mean_total == pytest.approx(-6.0)
    assert summary.by_link[0].key == "firing" and summary.by_size[0].key == "small"


def test_review_transitions_need_reasons_and_questions() -> None:
    check_transition("submitted", "in_review")
    with pytest.raises(TransitionRefused):
        check_transition("verified", "in_review")
    with pytest.raises(TransitionRefused):
        check_transition("in_review", "rejected", reason=" ")
    with pytest.raises(TransitionRefused):
        check_transition("in_review", "has_issues", reason="不符", questions=[])
    check_transition("in_review", "has_issues", reason="不符", questions=["q1"])


def test_evidence_type_is_read_from_the_content() -> None:
    assert evidence.sniff(b"\xff\xd8\xff\xe0rest") is not None
    assert evidence.sniff(b"%PDF-1.7 ...") is not None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert evidence.sniff(buffer.getvalue()).kind == "xlsx"  # type: ignore[union-attr]
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<doc/>")
    assert evidence.sniff(other.getvalue()) is None  # a .docx is a ZIP too, but not accepted
    with pytest.raises(evidence.EvidenceRefused):
        evidence.check(b"MZ\x90\x00 an executable renamed .jpg")
    with pytest.raises(evidence.EvidenceRefused):
        evidence.check(b"\xff\xd8\xff" + b"0" * 20, max_bytes=10)
    sniffed = evidence.sniff(b"%PDF-1.4")
    assert sniffed is not None and evidence.safe_filename('..\\..\\报告"x".exe', sniffed) == "报告x.pdf"


def test_board_counts_stages_targets_and_who_is_late() -> None:
    now = datetime(2026, 12, 1)
    def firm(i: int, **kw: object) -> FirmProgress:
        base: dict[str, object] = dict(enterprise_id=i, name=f"企业{i}", region="珠山区", chain_links=("firing",),
                                       unit_type="enterprise", tags=(), commissioners=("张",),
                                       assigned_at=now - timedelta(days=3), self_assessed=True, visited=True,
                                       verified=True)
        base.update(kw)
        return FirmProgress(**base)  # type: ignore[arg-type]
    firms = [firm(1, tags=("chain_leader",)), firm(2, unit_type="association"), firm(3, tags=("srdi",)),
             firm(4, verified=False, assigned_at=now - timedelta(days=30)),
             firm(5, commissioners=(), assigned_at=None, self_assessed=False, visited=False, verified=False,
                  region="昌江区")]
    board = build_board(firms, now=now)
    assert board.totals == {"registered": 5, "assigned": 4, "self_assessed": 4, "visited": 4, "verified": 3}
    assert board.by_commissioner["张"]["verified"] == 3 and board.by_region["昌江区"]["assigned"] == 0
    assert [f.enterprise_id for f in board.late] == [4]
    deep, kinds = board.targets
    assert (deep.measured, deep.minimum, deep.met) == (3, 15, False)
    assert (kinds.measured, kinds.met) == (3, False)
