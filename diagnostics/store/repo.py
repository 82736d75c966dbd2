"""Queries the web app, the flows and the CLI share.

Kept here so the rules they encode ("which questionnaire version is current", "which assessment is
trusted") exist once.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.explain import expand
from diagnostics.questionnaire import Questionnaire
from diagnostics.questionnaire_loader import LoadedQuestionnaire, load_all
from diagnostics.store.models import Assessment, AuditLog, QuestionnaireVersion, Submission


def register_questionnaire(session: Session, loaded: LoadedQuestionnaire) -> QuestionnaireVersion:
    """The stored row for exactly this definition (by content hash), created on first sight."""
    row = session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == loaded.content_hash))
    if row is None:
        row = QuestionnaireVersion(
            code=loaded.code, version=loaded.version, content_hash=loaded.content_hash,
            title_zh=loaded.definition.title.zh, definition=loaded.definition.model_dump(mode="json"),
            source_text=loaded.source_text,
        )
        session.add(row)
        session.flush()
    return row


def register_shipped(session: Session) -> dict[str, QuestionnaireVersion]:
    """Register every shipped questionnaire file; returns the current version row per code."""
    return {code: register_questionnaire(session, loaded) for code, loaded in load_all().items()}


def current_version(session: Session, code: str) -> QuestionnaireVersion:
    """The version new submissions are answered against: the shipped file's content, registered."""
    shipped = load_all()
    if code not in shipped:
        raise KeyError(f"no shipped questionnaire '{code}'")
    return register_questionnaire(session, shipped[code])


@lru_cache(maxsize=64)
def _definition_from_json(content_hash: str, payload: str) -> Questionnaire:
    return Questionnaire.model_validate(json.loads(payload))


def definition_of(version: QuestionnaireVersion) -> Questionnaire:
    """The exact definition a stored version holds (not the file on disk, which may have changed)."""
    return _definition_from_json(version.content_hash, json.dumps(version.definition, sort_keys=True))


def latest_assessment(session: Session, enterprise_id: int, *, questionnaire_code: str | None = None,
                      trusted_first: bool = True) -> Assessment | None:
    """The assessment that speaks for an enterprise now: verified beats self-assessed, then newest."""
    stmt = select(Assessment).where(Assessment.enterprise_id == enterprise_id)
    if questionnaire_code:
        stmt = stmt.join(QuestionnaireVersion, Assessment.questionnaire_version_id == QuestionnaireVersion.id).where(
            QuestionnaireVersion.code == questionnaire_code)
    order = [Assessment.trusted.desc()] if trusted_first else []
    return session.scalars(stmt.order_by(*order, Assessment.created_at.desc(), Assessment.id.desc())).first()


def trail(assessment: Assessment) -> dict[str, Any]:
    """The readable explanation trail of a stored assessment (formatting only, no scoring).

    Assessments store their explanation compactly (numbers and the answers scored); the texts come
    from the exact questionnaire version the assessment was scored against, which after a rescore is
    not the one its submission points at now.
    """
    return expand(definition_of(assessment.questionnaire_version), {
        "total": assessment.total, "level": assessment.level, "band_level": assessment.band_level,
        "dimension_scores": assessment.dimension_scores, "indicator_scores": assessment.indicator_scores,
        "explanation": assessment.explanation}, assessment.submission.answers)


def assessments_of_submission(session: Session, submission: Submission) -> list[Assessment]:
    return list(session.scalars(select(Assessment).where(Assessment.submission_id == submission.id)
                                .order_by(Assessment.id)))


def audit(session: Session, action: str, entity: str, entity_id: Any = None, *, user_id: int | None = None,
          actor: str | None = None, **details: Any) -> None:
    session.add(AuditLog(action=action, entity=entity, entity_id=None if entity_id is None else str(entity_id),
                         user_id=user_id, actor=actor, details=details))
