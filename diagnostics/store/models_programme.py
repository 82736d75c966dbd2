"""Records of the pilot programmes: providers, the solution pool, deployments, pilot projects, their
checkpoints (T0, half-year, one year) and assessments, acceptance items, cases and 懂行人.

A project's participants are the enterprises among its members; "participants" in a pilot's indicator
table means exactly these (DOMAIN.md §7), not every diagnosed firm. A checkpoint assessment points at an
existing ``Assessment`` row and keeps the questionnaire version it was answered on, so a T0→T1
comparison across versions can be flagged rather than silently compared.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diagnostics.programme.config import PROVIDER_KIND_NAMES
from diagnostics.store.models import Base, utcnow

PROVIDER_KINDS = tuple(PROVIDER_KIND_NAMES)  # platform, specialised, telecom, university, think_tank, finance
DIRECTIONS = ("technology", "chain", "carrier")
DEPLOYMENT_STATUSES = ("planned", "in_progress", "done", "cancelled")
CHECKPOINT_KINDS = ("t0", "half_year", "one_year")
CASE_KINDS = ("typical", "benchmark")
MEMBER_ROLES = ("lead", "member", "landing")


class Provider(Base):
    """A digital-transformation service provider (服务商) serving a cluster."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # one of PROVIDER_KINDS
    group_name: Mapped[str | None] = mapped_column(String(200))
    scenarios: Mapped[list[Any]] = mapped_column(default=list)  # taxonomy scenario codes served
    capability: Mapped[str | None] = mapped_column(Text)  # capability statement (能力介绍)
    references: Mapped[str | None] = mapped_column(Text)  # reference projects and customers
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PoolSolution(Base):
    """A solution in a cluster's pool: seeded from the taxonomy, edited by the joint team."""

    __tablename__ = "pool_solutions"
    __table_args__ = (UniqueConstraint("cluster_id", "code", name="uq_pool_solution_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    scenarios: Mapped[list[Any]] = mapped_column(default=list)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    description: Mapped[str | None] = mapped_column(Text)
    standardised: Mapped[bool] = mapped_column(Boolean, default=False)
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)
    low_cost: Mapped[bool] = mapped_column(Boolean, default=False)
    price_band: Mapped[str | None] = mapped_column(String(64))
    from_taxonomy: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PilotProject(Base):
    __tablename__ = "pilot_projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    lead_kind: Mapped[str] = mapped_column(String(16))  # provider | manufacturer
    direction: Mapped[str] = mapped_column(String(16))  # one of DIRECTIONS
    scenarios: Mapped[list[Any]] = mapped_column(default=list)
    solution_id: Mapped[int | None] = mapped_column(ForeignKey("pool_solutions.id"))
    planned_investment_10k: Mapped[float | None] = mapped_column(Float)
    started_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProjectMember(Base):
    """A member of a project's consortium: a provider or a manufacturer; ``landing`` marks a landing site."""

    __tablename__ = "project_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pilot_projects.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # one of MEMBER_ROLES
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)


class Deployment(Base):
    """A solution deployed by a provider in an enterprise; ``replication`` marks a "1+N" copy."""

    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    solution_id: Mapped[int] = mapped_column(ForeignKey("pool_solutions.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("pilot_projects.id"), index=True)
    replication: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    started_on: Mapped[date | None] = mapped_column(Date)
    finished_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Checkpoint(Base):
    """T0 at the start, T1 at half-year and one year: the actual investment checked at each."""

    __tablename__ = "project_checkpoints"
    __table_args__ = (UniqueConstraint("project_id", "kind", name="uq_checkpoint_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pilot_projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of CHECKPOINT_KINDS
    due_on: Mapped[date | None] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)
    actual_investment_10k: Mapped[float | None] = mapped_column(Float)  # cumulative, checked at this point
    notes: Mapped[str | None] = mapped_column(Text)


class CheckpointAssessment(Base):
    """The submission a participant answered for a checkpoint, and its assessment.

    ``assessment_id`` is set when an existing assessment is linked (the pages do this); a submission
    linked before it is scored (a checkpoint survey seeded in bulk) is read through its newest
    assessment once the score flow has run, so the link never waits for the pipeline.
    """

    __tablename__ = "checkpoint_assessments"
    __table_args__ = (UniqueConstraint("checkpoint_id", "enterprise_id", name="uq_checkpoint_enterprise"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("project_checkpoints.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))


class AcceptanceItem(Base):
    """A row an official adds to a project's acceptance sheet (deliverables, IP, standards...)."""

    __tablename__ = "acceptance_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pilot_projects.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(200))
    target: Mapped[float | None] = mapped_column(Float)
    actual: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)


class Case(Base):
    """A typical (典型案例) or benchmark (标杆案例) case, with before/after figures and evidence."""

    __tablename__ = "programme_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # typical | benchmark
    title: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    scenario: Mapped[str | None] = mapped_column(String(64))
    solution_id: Mapped[int | None] = mapped_column(ForeignKey("pool_solutions.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("pilot_projects.id"))
    figures: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "unit", "before", "after"}]
    evidence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Expert(Base):
    """A 懂行人: someone with long trade experience, attachable to projects and field visits."""

    __tablename__ = "programme_experts"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    chain_link: Mapped[str | None] = mapped_column(String(64))
    years: Mapped[int | None] = mapped_column(Integer)
    experience: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))


class ProjectExpert(Base):
    __tablename__ = "project_experts"
    __table_args__ = (UniqueConstraint("project_id", "expert_id", name="uq_project_expert"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pilot_projects.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("programme_experts.id"), index=True)


class VisitExpert(Base):
    """A 懂行人 who took part in an on-site visit (the visit's enterprise and the person share a cluster)."""

    __tablename__ = "visit_experts"
    __table_args__ = (UniqueConstraint("visit_id", "expert_id", name="uq_visit_expert"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("programme_experts.id"), index=True)
