"""Tables of the trust work (issue 12): log-in failure counters shared by every worker.

The per-address and per-name windows used to live in one process's memory, so a restart or a second
gunicorn worker reset them. One row per key (``addr:<ip>``, ``pair:<name>|<ip>``, ``name:<name>`` for
names that have no account) holds the failures of the current window; the counter is bumped with one
atomic upsert, so simultaneous requests cannot lose a count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from diagnostics.store.models import Base


class LoginCounter(Base):
    __tablename__ = "login_counters"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
