"""Scoring stored submissions into assessments, in batches.

One function serves both doors: the web app scores a single submission right after submit (so the
respondent sees the diagnosis at once) and the score flow scores thousands per batch. Submissions are
grouped by the exact questionnaire version they were answered against; each group is decoded once and
scored with the vectorised engine; assessments are bulk-inserted. An assessment is unique per
(submission, submission revision, scorer version), so scoring again with nothing new writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, insert, select
from sqlalchemy.orm import Session

from diagnostics.scoring import SCORER_VERSION, score_answers
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


def score_submissions(session: Session, submission_ids: Sequence[int], *, flow_run_id: str | None = None) -> int:
    """Score these submissions (skipping any already scored at their revision); returns rows written."""
    if not submission_ids:
        return 0
    subs = list(session.scalars(select(Submission).where(Submission.id.in_(submission_ids))))
    done = set(session.execute(
        select(Assessment.submission_id, Assessment.submission_revision).where(
            Assessment.submission_id.in_(submission_ids), Assessment.scorer_version == SCORER_VERSION)
    ).all())
    groups: dict[int, list[Submission]] = defaultdict(list)
    for sub in subs:
        if sub.status in SCORABLE and (sub.id, sub.revision) not in done:
            groups[sub.questionnaire_version_id].append(sub)
    versions = {v.id: v for v in session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(list(groups))))} if groups else {}
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for version_id, group in sorted(groups.items()):
        definition = definition_of(versions[version_id])
        result = score_answers(definition, [s.answers for s in group])
        for i, sub in enumerate(group):
            if result.complete is not None and not result.complete[i]:
                continue  # a required answer the score reads is missing: no score rather than a wrong one
            rec = result.record(i)
            skipped = set(rec["explanation"]["skipped"])
            # the answers this score was computed from, so the trail stays true after later revisions
            rec["explanation"]["answers"] = {k: v for k, v in sub.answers.items() if k not in skipped}
            rows.append({
                "submission_id": sub.id, "submission_revision": sub.revision, "enterprise_id": sub.enterprise_id,
                "questionnaire_version_id": version_id, "trusted": sub.status == "verified",
                "flow_run_id": flow_run_id, "created_at": now, **rec,
            })
    if rows:
        session.execute(insert(Assessment), rows)
    return len(rows)


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
