"""Login throttling: a lock per account (stored) and a rate limit per client address (in memory).

Guessing passwords is stopped at two levels. Per account, the ``users`` row counts consecutive failures
(``failed_logins``) and, at the limit, is locked until ``locked_until``; this survives restarts and is
shared by every worker. Per address, a sliding window in memory slows one client trying many accounts;
it is per process and forgotten on restart, which is acceptable for a second line of defence.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from diagnostics.store.models import User, utcnow


class AddressLimiter:
    """At most ``limit`` failed logins per ``window`` seconds from one address."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, address: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(address, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds until this address may try again (0 = may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._trim(address, now)
            if len(stamps) < self.limit:
                return 0
            return max(1, math.ceil(stamps[0] + self.window - now))

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(address, now).append(now)


def locked_for(user: User, now: datetime | None = None) -> int:
    """Whole minutes (at least 1) the account stays locked, 0 when it is not locked."""
    now = now or utcnow()
    if user.locked_until is None or user.locked_until <= now:
        return 0
    return max(1, math.ceil((user.locked_until - now).total_seconds() / 60))


def record_failure(session: Session, user: User, *, max_failures: int, lock_minutes: int) -> bool:
    """Count a wrong password; lock the account at the limit. Returns True when this locked it."""
    now = utcnow()
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins = 0  # an expired lock starts a fresh count
        user.locked_until = None
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= max_failures:
        user.locked_until = now + timedelta(minutes=lock_minutes)
        user.failed_logins = 0
        return True
    return False


def record_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
