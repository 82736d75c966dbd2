"""Tables of the officials' console: shortlist pins and exclusions, and run-now requests.

A pin (or exclusion) is an official's decision about one enterprise in one cluster's pilot shortlist,
with the reason they gave; the shortlist function receives the active ones as a parameter and says in
each pick's reasons that it was pinned. Removing a pin keeps the row (``active`` false, who and when),
and every change is also written to the audit log.

A run request records the "run now" button: who asked, and the state the page polls (queued, running,
done, failed) with the Prefect flow-run id when a Prefect server runs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from diagnostics.store.models import Base, utcnow

PIN_KINDS = ("pinned", "excluded")
RUN_STATES = ("queued", "running", "done", "failed")


class ShortlistPin(Base):
    __tablename__ = "shortlist_pins"
    __table_args__ = (Index("ix_shortlist_pins_cluster_active", "cluster_id", "active"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(16))  # one of PIN_KINDS
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RunRequest(Base):
    __tablename__ = "run_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")  # one of RUN_STATES
    runner: Mapped[str] = mapped_column(String(16))  # "prefect" (a server runs it) or "embedded"
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pid: Mapped[int | None] = mapped_column(Integer)
