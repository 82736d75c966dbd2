"""Scoring stored submissions into assessments, in batches.

One function serves both doors: the web app scores a single submission right after submit (so the
respondent sees the diagnosis at once) and the score flow scores thousands per batch. Submissions are
grouped by the exact questionnaire version they were answered against; each group is decoded once and
scored with the vectorised engine; assessments are bulk-inserted. An assessment is unique per
(submission, submission revision, scorer version), so scoring again with nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from diagnostics.questionnaire import Questionnaire
from diagnostics.scoring import SCORER_VERSION, score_answers
from diagnostics.store import bulk
from diagnostics.store.models import Assessment, Enterprise, QuestionnaireVersion, Submission, utcnow
from diagnostics.store.repo import definition_of

SCORABLE = ("submitted", "verified")


def pending_submission_ids(session: Session, *, limit: int | None = None, after_id: int = 0,
                           cluster_id: int | None = None) -> list[int]:
    """Submitted or verified submissions whose current revision has no assessment under this scorer."""
    already = exists().where(and_(
        Assessment.submission_id == Submission.id,
        Assessment.submission_revision == Submission.revision,
        Assessment.scorer_version == SCORER_VERSION,
    ))
    stmt = select(Submission.id).where(Submission.status.in_(SCORABLE), ~already, Submission.id > after_id)
    if cluster_id is not None:
        stmt = stmt.join(Enterprise, Enterprise.id == Submission.enterprise_id).where(
            Enterprise.cluster_id == cluster_id)
    stmt = stmt.order_by(Submission.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


ASSESSMENT_COLUMNS = ("submission_id", "submission_revision", "enterprise_id", "questionnaire_version_id",
                      "scorer_version", "trusted", "total", "level", "band_level", "dimension_scores",
                      "indicator_scores", "scenario_levels", "explanation", "flow_run_id", "created_at")


@dataclass(frozen=True)
class Pending:
    """Submissions of one questionnaire version to score: ids, revisions, owners, status, raw answers."""

    version_id: int
    ids: list[int]
    revisions: list[int]
    enterprises: list[int]
    verified: list[bool]
    answers: list[dict[str, Any]]


def read_pending(session: Session, submission_ids: Sequence[int]) -> list[Pending]:
    """The scorable, not yet scored of these submissions, grouped by questionnaire version.

    Core rows, answers fetched as JSON text and decoded by ``bulk.loads``: no ORM objects, no per-row
    type processing.
    """
    if not submission_ids:
        return []
    S = Submission
    done = set(session.execute(
        select(Assessment.submission_id, Assessment.submission_revision).where(
            Assessment.submission_id.in_(submission_ids), Assessment.scorer_version == SCORER_VERSION)
    ).all())
    rows = session.execute(
        select(S.id, S.revision, S.enterprise_id, S.questionnaire_version_id, S.status, bulk.json_text(S.answers))
        .where(S.id.in_(submission_ids), S.status.in_(SCORABLE)).order_by(S.id)).all()
    groups: dict[int, Pending] = {}
    for sid, rev, eid, vid, status, text in rows:
        if (sid, rev) in done:
            continue
        g = groups.get(vid)
        if g is None:
            g = groups[vid] = Pending(vid, [], [], [], [], [])
        g.ids.append(sid)
        g.revisions.append(rev)
        g.enterprises.append(eid)
        g.verified.append(status == "verified")
        g.answers.append(bulk.loads(text) or {})
    return [groups[v] for v in sorted(groups)]


def assessment_rows(definition: Questionnaire, group: Pending, *, flow_run_id: str | None,
                    now: datetime) -> list[tuple[Any, ...]]:
    """Score one group and return its assessment rows (``ASSESSMENT_COLUMNS`` order, JSON as text)."""
    result = score_answers(definition, group.answers)
    out = []
    for i, rec in enumerate(result.records()):
        if result.complete is not None and not result.complete[i]:
            continue  # a required answer the score reads is missing: no score rather than a wrong one
        explanation = rec["explanation"]
        skipped = set(explanation["skipped"])
        # the answers this score was computed from, so the trail stays true after later revisions
        explanation["answers"] = {k: v for k, v in group.answers[i].items() if k not in skipped}
        out.append((group.ids[i], group.revisions[i], group.enterprises[i], group.version_id, SCORER_VERSION,
                    group.verified[i], rec["total"], rec["level"], rec["band_level"],
                    bulk.dumps(rec["dimension_scores"]), bulk.dumps(rec["indicator_scores"]),
                    bulk.dumps(rec["scenario_levels"]), bulk.dumps(explanation), flow_run_id, now))
    return out


def score_submissions(session: Session, submission_ids: Sequence[int], *, flow_run_id: str | None = None) -> int:
    """Score these submissions (skipping any already scored at their revision); returns rows written."""
    groups = read_pending(session, submission_ids)
    if not groups:
        return 0
    versions = {v.id: v for v in session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_([g.version_id for g in groups])))}
    now = utcnow()
    rows: list[tuple[Any, ...]] = []
    for group in groups:
        rows += assessment_rows(definition_of(versions[group.version_id]), group, flow_run_id=flow_run_id, now=now)
    return bulk.insert_rows(session, Assessment.__table__, ASSESSMENT_COLUMNS, rows)  # type: ignore[arg-type]


def score_one(session: Session, submission: Submission) -> Assessment | None:
    """Score one submission now and return its assessment (existing or new)."""
    session.flush()
    score_submissions(session, [submission.id])
    return session.scalar(select(Assessment).where(
        Assessment.submission_id == submission.id, Assessment.submission_revision == submission.revision,
        Assessment.scorer_version == SCORER_VERSION))


def chunks(ids: Iterable[int], size: int) -> Iterable[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
