"""The data model, shared by the web app and the flows (SQLAlchemy 2, typed mappings).

Tables are created only by the Alembic migrations in ``migrations/``. Answers are never overwritten
silently: a submission carries a ``revision`` counter (optimistic locking; a stale write raises) and an
``idempotency_key`` (a retried submit finds the same row); every assessment records which questionnaire
version, which submission revision and which scorer version produced it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")

def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


class Cluster(Base):
    """An industrial cluster under a pilot (e.g. Jingdezhen ceramics)."""

    __tablename__ = "clusters"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(32))  # taxonomy code: ceramics | nonferrous
    region: Mapped[str | None] = mapped_column(String(100))
    pilot_code: Mapped[str | None] = mapped_column(String(64))  # questionnaires/targets/<code>.yaml
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Enterprise(Base):
    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(8))  # GB/T 4754-2017 class
    region: Mapped[str | None] = mapped_column(String(100))
    chain_links: Mapped[list[Any]] = mapped_column(default=list)  # taxonomy chain-link codes
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_10k: Mapped[float | None] = mapped_column(Float)  # operating revenue, 万元
    size_class: Mapped[str | None] = mapped_column(String(8))  # large | medium | small | micro
    tags: Mapped[list[Any]] = mapped_column(default=list)  # srdi | chain_leader | listed
    unit_type: Mapped[str] = mapped_column(String(16), default="enterprise", server_default="enterprise")
    group_name: Mapped[str | None] = mapped_column(String(200))  # enterprise group, for "one per group"
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    pilot_willing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    cluster: Mapped[Cluster | None] = relationship()


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # a diagnostics.roles.Role value
    display_name: Mapped[str | None] = mapped_column(String(120))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))  # officials' scope
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # bumped on log-out and password change: a session cookie carries the version it was made with, and the
    # user loader refuses an older one, so a copied cookie dies with the session it came from
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    enterprise: Mapped[Enterprise | None] = relationship()


class Assignment(Base):
    """A commissioner assigned to diagnose an enterprise on site; the only way they see it."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("user_id", "enterprise_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QuestionnaireVersion(Base):
    """One exact definition (by content hash) that submissions were answered against."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    title_zh: Mapped[str] = mapped_column(String(200))
    # deferred: loading a version (every page view does, through its submission) must not decode ~100 KB of
    # JSON and YAML text; ``repo.definition_of`` reads them once per content hash
    definition: Mapped[dict[str, Any]] = mapped_column(deferred=True)  # normalised JSON of the definition
    source_text: Mapped[str] = mapped_column(Text, deferred=True)  # the YAML as loaded
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        # one open draft per enterprise and questionnaire, whatever the version: two quick clicks on
        # "start" cannot make two drafts (the losing insert fails and lands on the winner's draft)
        Index("uq_one_draft", "enterprise_id", "questionnaire_code", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
        # covers what the pipeline's unchanged check hashes per enterprise (``inputs_digest``), so it
        # reads the index alone, not each row and the answers stored before ``revision``
        Index("ix_submissions_digest", "enterprise_id", "id", "revision", "status", "questionnaire_version_id"),
        Index("ix_submissions_pending", "status", "id", "revision"),  # what is still to score, from the index
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    # the questionnaire's code, copied from its version on insert (see _fill_questionnaire_code) so the
    # database can index "one draft per code"
    questionnaire_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    channel: Mapped[str] = mapped_column(String(8), default="self")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    # a re-assessment's answers carried over from the last submission (or the registration profile) and
    # not yet confirmed by the respondent: question ids, cleared page by page as each page is saved
    carried: Mapped[list[Any] | None] = mapped_column(nullable=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    __mapper_args__ = {"version_id_col": revision}


class Evidence(Base):
    """A file a commissioner or enterprise attached to an answer (stored on disk by hash)."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assessment(Base):
    """The score of one submission revision under one scorer version, with its explanation."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("submission_id", "submission_revision", "scorer_version", name="uq_assessment_input"),
        Index("ix_assessments_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_assessments_digest", "enterprise_id", "id", "trusted"),  # the unchanged check (as above)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    submission_revision: Mapped[int] = mapped_column(Integer)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    scorer_version: Mapped[str] = mapped_column(String(16))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)  # verified on site
    total: Mapped[float] = mapped_column(Float)
    level: Mapped[int] = mapped_column(Integer)
    band_level: Mapped[int] = mapped_column(Integer)
    dimension_scores: Mapped[dict[str, Any]] = mapped_column()
    indicator_scores: Mapped[dict[str, Any]] = mapped_column()
    scenario_levels: Mapped[dict[str, Any]] = mapped_column()
    explanation: Mapped[dict[str, Any]] = mapped_column()
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    submission: Mapped[Submission] = relationship()
    # the definition this assessment was scored against; after a rescore it differs from the submission's
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))  # "flow:score", "cli:demo", ...
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PipelineRun(Base):
    """One run of the cluster pipeline (a Prefect flow run, or a direct call)."""

    __tablename__ = "pipeline_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Snapshot(Base):
    """A derived cluster view (portraits, needs, industry map, shortlist, indicator table).

    ``content_hash`` makes reruns on unchanged inputs recognisable: the pipeline refers to the existing
    snapshot instead of writing a duplicate.
    """

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("cluster_id", "kind", "content_hash", name="uq_snapshot_content"),
        Index("ix_snapshots_cluster_kind_created", "cluster_id", "kind", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    kind: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_runs.id"))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Portrait(Base):
    """One enterprise's portrait in a portraits snapshot (queryable rows, not only JSON)."""

    __tablename__ = "portraits"
    __table_args__ = (UniqueConstraint("snapshot_id", "enterprise_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    level: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    type_code: Mapped[str | None] = mapped_column(String(32))
    size_class: Mapped[str | None] = mapped_column(String(8))
    percentile_cluster: Mapped[float | None] = mapped_column(Float)
    percentile_industry: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column()  # dimension profile, strengths, weaknesses, tags


@event.listens_for(Submission, "before_insert")
def _fill_questionnaire_code(_mapper: Mapper[Submission], connection: Connection, target: Submission) -> None:
    """Every way of creating a submission (web, field, census, demo) gets the code the draft index needs."""
    if target.questionnaire_code is None:
        target.questionnaire_code = connection.scalar(
            select(QuestionnaireVersion.code).where(QuestionnaireVersion.id == target.questionnaire_version_id))
