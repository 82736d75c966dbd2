"""Tables of field diagnostics: on-site visits, per-answer checks, review states, commitments.

A commissioner's visit never edits the enterprise's self-assessment: it works on a *field submission*
(``Submission.channel == "field"``) that starts as a copy of the self-assessment's answers and, once
signed off, is scored as trusted and supersedes the self-assessment for scoring; the self-assessment
stays readable beside it. Every answer the commissioner confirmed or corrected is one ``AnswerCheck``
(with the value the firm gave, the value found on site and the reason). Review states of a
self-assessment, each change with who and why, are ``ReviewEvent`` rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diagnostics.store.models import Base, JSONType, utcnow

# Review states, as field-collection servers have them (ODK Central: received → edited → has issues →
# approved / rejected); ours: submitted → in_review → has_issues (back to the firm) → verified | rejected
REVIEW_STATES = ("submitted", "in_review", "has_issues", "verified", "rejected")


class Visit(Base):
    """One on-site visit of a commissioner to an enterprise."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    self_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))  # none: started on site
    field_submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | signed
    notes: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)


class AnswerCheck(Base):
    """A commissioner's verdict on one answer: confirmed as given, or corrected with a reason."""

    __tablename__ = "answer_checks"
    __table_args__ = (UniqueConstraint("visit_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(12))  # confirmed | corrected
    self_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(Integer, default=0)  # field submission revision this check wrote
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SyncReceipt(Base):
    """A change a device sent, by its idempotency key: a resend finds the receipt and changes nothing."""

    __tablename__ = "sync_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReviewEvent(Base):
    """A change of a self-assessment's review state, with who, why and (for has_issues) which questions."""

    __tablename__ = "review_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list[Any]] = mapped_column(default=list)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Commitment(Base):
    """The enterprise's authenticity commitment (真实性承诺) made at submit: who, when, the exact text."""

    __tablename__ = "commitments"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RosterImport(Base):
    """One confirmed roster import: the file (by hash), counts, who."""

    __tablename__ = "roster_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
