"""Gathering the field work from the database as plain values for ``diagnostics.field`` (board, gaps,
priority), and bulk assignments.

Everything is read in a few batched queries per cluster (enterprises, assignments, submissions, visits,
assessments), never one query per firm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.field.gaps import Candidate, Gap
from diagnostics.field.progress import FirmProgress
from diagnostics.scoring import SCORER_VERSION
from diagnostics.store.models import Assessment, Assignment, Enterprise, Submission, User
from diagnostics.store.models_field import Visit
from diagnostics.store.repo import audit


@dataclass(frozen=True)
class Filter:
    """Which enterprises a bulk assignment selects (all given conditions hold)."""

    cluster_id: int | None = None
    region: str | None = None
    chain_link: str | None = None
    unit_type: str | None = None
    size_class: str | None = None
    unassigned_only: bool = False
    search: str | None = None


def select_enterprises(session: Session, f: Filter, *, limit: int = 2000) -> list[Enterprise]:
    stmt = select(Enterprise)
    if f.cluster_id is not None:
        stmt = stmt.where(Enterprise.cluster_id == f.cluster_id)
    if f.region:
        stmt = stmt.where(Enterprise.region == f.region)
    if f.unit_type:
        stmt = stmt.where(Enterprise.unit_type == f.unit_type)
    if f.size_class:
        stmt = stmt.where(Enterprise.size_class == f.size_class)
    if f.search:
        like = f"%{f.search}%"
        stmt = stmt.where(Enterprise.name.like(like) | Enterprise.uscc.like(like.upper()))
    if f.unassigned_only:
        stmt = stmt.where(~select(Assignment.id).where(Assignment.enterprise_id == Enterprise.id).exists())
    rows = list(session.scalars(stmt.order_by(Enterprise.name).limit(limit)))
    if f.chain_link:  # a JSON list: filtered here, the same on SQLite and PostgreSQL
        rows = [e for e in rows if f.chain_link in (e.chain_links or [])]
    return rows


def assign_many(session: Session, enterprise_ids: Sequence[int], commissioner_id: int, *, user_id: int | None,
                replace: bool = False) -> tuple[int, int]:
    """Assign a commissioner to these enterprises; ``replace`` removes their other commissioners (reassign).

    Returns (assigned, removed). Each change is audited; an existing assignment is left as it is.
    """
    ids = sorted(set(enterprise_ids))
    if not ids:
        return 0, 0
    existing = list(session.scalars(select(Assignment).where(Assignment.enterprise_id.in_(ids))))
    have = {(a.enterprise_id, a.user_id) for a in existing}
    removed = 0
    if replace:
        for a in existing:
            if a.user_id != commissioner_id:
                session.delete(a)
                audit(session, "unassign", "enterprise", a.enterprise_id, user_id=user_id, commissioner=a.user_id,
                      old=a.user_id, new=commissioner_id, why="reassign")
                removed += 1
    added = 0
    for eid in ids:
        if (eid, commissioner_id) not in have:
            session.add(Assignment(user_id=commissioner_id, enterprise_id=eid))
            audit(session, "assign", "enterprise", eid, user_id=user_id, commissioner=commissioner_id,
                  new=commissioner_id, why="bulk")
            added += 1
    session.flush()
    return added, removed


def _enterprises(session: Session, cluster_id: int | None) -> list[Enterprise]:
    stmt = select(Enterprise)
    if cluster_id is not None:
        stmt = stmt.where(Enterprise.cluster_id == cluster_id)
    return list(session.scalars(stmt.order_by(Enterprise.name)))


def firm_progress(session: Session, cluster_id: int | None) -> list[FirmProgress]:
    """Every firm of the cluster (all when None) with its stage of the field work."""
    firms = _enterprises(session, cluster_id)
    ids = [e.id for e in firms]
    commissioners: dict[int, list[str]] = defaultdict(list)
    assigned_at: dict[int, object] = {}
    submitted: set[int] = set()
    visited: set[int] = set()
    verified: set[int] = set()
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        for eid, name, display, at in session.execute(
                select(Assignment.enterprise_id, User.username, User.display_name, Assignment.created_at)
                .join(User, User.id == Assignment.user_id).where(Assignment.enterprise_id.in_(chunk))):
            commissioners[eid].append(display or name)
            if eid not in assigned_at or at < assigned_at[eid]:  # type: ignore[operator]
                assigned_at[eid] = at
        submitted.update(session.scalars(select(Submission.enterprise_id).where(
            Submission.enterprise_id.in_(chunk), Submission.channel == "self",
            Submission.submitted_at.is_not(None))))
        for eid, status in session.execute(select(Visit.enterprise_id, Visit.status).where(
                Visit.enterprise_id.in_(chunk))):
            visited.add(eid)
            if status == "signed":
                verified.add(eid)
    return [FirmProgress(
        enterprise_id=e.id, name=e.name, region=e.region, chain_links=tuple(e.chain_links or ()),
        unit_type=e.unit_type or "enterprise", tags=tuple(e.tags or ()),
        commissioners=tuple(sorted(commissioners.get(e.id, []))), assigned_at=assigned_at.get(e.id),  # type: ignore[arg-type]
        self_assessed=e.id in submitted, visited=e.id in visited, verified=e.id in verified) for e in firms]


def _latest_scores(session: Session, submission_ids: Sequence[int]) -> dict[int, Assessment]:
    out: dict[int, Assessment] = {}
    for i in range(0, len(submission_ids), 900):
        for a in session.scalars(select(Assessment).where(
                Assessment.submission_id.in_(submission_ids[i:i + 900]), Assessment.scorer_version == SCORER_VERSION)
                .order_by(Assessment.id)):
            out[a.submission_id] = a  # the newest revision's score wins
    return out


def gaps_and_candidates(session: Session, cluster_id: int | None) -> tuple[list[Gap], list[Candidate],
                                                                           dict[int, Enterprise]]:
    """Gaps of every signed visit made on a self-assessment; candidates: self-assessed firms not visited."""
    firms = {e.id: e for e in _enterprises(session, cluster_id)}
    ids = list(firms)
    signed: list[Visit] = []
    visited: set[int] = set()
    for i in range(0, len(ids), 900):
        for v in session.scalars(select(Visit).where(Visit.enterprise_id.in_(ids[i:i + 900]))
                                 .order_by(Visit.id)):
            visited.add(v.enterprise_id)
            if v.status == "signed" and v.self_submission_id is not None:
                signed.append(v)
    latest_self: dict[int, int] = {}
    for i in range(0, len(ids), 900):
        for sid, eid in session.execute(select(Submission.id, Submission.enterprise_id).where(
                Submission.enterprise_id.in_(ids[i:i + 900]), Submission.channel == "self",
                Submission.submitted_at.is_not(None)).order_by(Submission.id)):
            latest_self[eid] = sid
    scores = _latest_scores(session, [*(v.self_submission_id for v in signed if v.self_submission_id),
                                      *(v.field_submission_id for v in signed), *latest_self.values()])
    gaps: list[Gap] = []
    for v in signed:
        before = scores.get(v.self_submission_id or 0)
        after = scores.get(v.field_submission_id)
        if before is None or after is None:
            continue
        e = firms[v.enterprise_id]
        gaps.append(Gap(e.id, e.size_class, tuple(e.chain_links or ()), before.total, after.total, before.level,
                        after.level, {k: float(x) for k, x in before.indicator_scores.items()},
                        {k: float(x) for k, x in after.indicator_scores.items()}))
    candidates = []
    for eid, sid in latest_self.items():
        score = scores.get(sid)
        if eid in visited or score is None:
            continue
        e = firms[eid]
        candidates.append(Candidate(eid, e.size_class, tuple(e.chain_links or ()), score.total, score.level))
    return gaps, candidates, firms
