"""Log-in throttling kept in the database: shared by every worker, kept across restarts, never racy.

Three counters, each bumped by one atomic statement (``UPDATE … SET n = n + 1 RETURNING n`` or an
``INSERT … ON CONFLICT DO UPDATE … RETURNING``, both on SQLite ≥ 3.35 and PostgreSQL), so 25
simultaneous wrong passwords count 25, never fewer:

* **per name** — consecutive failures of one user name; at ``max_failures`` the name is locked for
  ``lock_minutes``. A name without an account is counted and locked exactly the same way (in
  ``login_counters``, key ``name:<name>``), so the lock does not reveal which names exist; the password
  of an unknown name is checked against a dummy hash, so the answer also takes the same time.
* **per name and address** (``pair:<name>|<address>``) — failures of one account from one address in the
  window; over ``pair_limit`` that pair waits until the window ends. Other accounts behind the same
  address (a factory's shared network) keep logging in with their right password.
* **per address** (``addr:<address>``) — failures of any names from one address in the window; over
  ``address_limit`` every further try from the address is slowed by ``address_delay`` seconds. Slowing,
  not refusing: spraying many names becomes slow while the right password still gets in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from diagnostics.store.models import User, utcnow
from diagnostics.store.models_trust import LoginCounter


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    lock_minutes: int = 15
    pair_limit: int = 10
    address_limit: int = 30
    address_delay: float = 1.0
    window_seconds: int = 900

    @classmethod
    def of(cls, config: Any) -> Limits:
        return cls(max_failures=config["LOGIN_MAX_FAILURES"], lock_minutes=config["LOGIN_LOCK_MINUTES"],
                   pair_limit=config["LOGIN_PAIR_LIMIT"], address_limit=config["LOGIN_IP_LIMIT"],
                   address_delay=float(config["LOGIN_IP_DELAY_SECONDS"]),
                   window_seconds=config["LOGIN_WINDOW_SECONDS"])


def name_key(name: str) -> str:
    return "name:" + name.strip().lower()[:200]


def pair_key(name: str, address: str) -> str:
    return f"pair:{name.strip().lower()[:150]}|{address[:90]}"


def address_key(address: str) -> str:
    return "addr:" + address[:200]


def _minutes_until(until: datetime | None, now: datetime) -> int:
    if until is None or until <= now:
        return 0
    return max(1, math.ceil((until - now).total_seconds() / 60))


def locked_for(session: Session, user: User | None, name: str, now: datetime | None = None) -> int:
    """Whole minutes (at least 1) the name stays locked, 0 when it is not locked."""
    now = now or utcnow()
    if user is not None:
        return _minutes_until(user.locked_until, now)
    return _minutes_until(session.scalar(select(LoginCounter.locked_until).where(
        LoginCounter.key == name_key(name))), now)


def _window_count(session: Session, key: str, limits: Limits, now: datetime) -> tuple[int, datetime | None]:
    row = session.execute(select(LoginCounter.failures, LoginCounter.window_start)
                          .where(LoginCounter.key == key)).first()
    if row is None or row.window_start <= now - timedelta(seconds=limits.window_seconds):
        return 0, None
    return int(row.failures), row.window_start


def pair_wait(session: Session, name: str, address: str, limits: Limits, now: datetime | None = None) -> int:
    """Seconds this account must wait before trying again from this address (0 = may try now)."""
    now = now or utcnow()
    failures, started = _window_count(session, pair_key(name, address), limits, now)
    if started is None or failures < limits.pair_limit:
        return 0
    return max(1, math.ceil((started + timedelta(seconds=limits.window_seconds) - now).total_seconds()))


def address_is_busy(session: Session, address: str, limits: Limits, now: datetime | None = None) -> bool:
    """Whether this address has failed so often in the window that each try is slowed down."""
    return _window_count(session, address_key(address), limits, now or utcnow())[0] >= limits.address_limit


def _upsert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(LoginCounter)


def _bump_window(session: Session, key: str, limits: Limits, now: datetime) -> int:
    """Count one failure in ``key``'s window (a fresh window when the last one ended); the new count."""
    cutoff = now - timedelta(seconds=limits.window_seconds)
    stmt = _upsert(session).values(key=key, failures=1, window_start=now)
    expired = LoginCounter.window_start <= cutoff
    stmt = stmt.on_conflict_do_update(index_elements=[LoginCounter.key], set_={
        "failures": case((expired, 1), else_=LoginCounter.failures + 1),
        "window_start": case((expired, now), else_=LoginCounter.window_start),
    }).returning(LoginCounter.failures)
    return int(session.execute(stmt).scalar_one())


def _bump_name(session: Session, user: User | None, name: str, now: datetime) -> int:
    """Count one consecutive failure of the name (an expired lock starts afresh); the new count."""
    if user is not None:
        expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
        stmt = update(User).where(User.id == user.id).values(
            failed_logins=case((expired, 1), else_=User.failed_logins + 1),
            locked_until=case((expired, None), else_=User.locked_until),
        ).returning(User.failed_logins).execution_options(synchronize_session=False)
        return int(session.execute(stmt).scalar_one())
    stmt = _upsert(session).values(key=name_key(name), failures=1, window_start=now)
    expired = and_(LoginCounter.locked_until.is_not(None), LoginCounter.locked_until <= now)
    stmt = stmt.on_conflict_do_update(index_elements=[LoginCounter.key], set_={
        "failures": case((expired, 1), else_=LoginCounter.failures + 1),
        "locked_until": case((expired, None), else_=LoginCounter.locked_until),
        "window_start": now,
    }).returning(LoginCounter.failures)
    return int(session.execute(stmt).scalar_one())


def _lock_name(session: Session, user: User | None, name: str, until: datetime) -> None:
    if user is not None:
        session.execute(update(User).where(User.id == user.id).values(locked_until=until)
                        .execution_options(synchronize_session=False))
    else:
        session.execute(update(LoginCounter).where(LoginCounter.key == name_key(name)).values(locked_until=until))


def record_failure(session: Session, user: User | None, name: str, address: str, limits: Limits) -> bool:
    """Count a wrong password everywhere it counts; True when the name is (now) locked.

    The request whose count reaches ``max_failures`` sets the lock; simultaneous requests that counted
    past it answer "locked" too, so the responses agree with the stored count.
    """
    now = utcnow()
    _bump_window(session, address_key(address), limits, now)
    _bump_window(session, pair_key(name, address), limits, now)
    count = _bump_name(session, user, name, now)
    if count == limits.max_failures:
        _lock_name(session, user, name, now + timedelta(minutes=limits.lock_minutes))
    if random.random() < 0.01:  # now and then forget windows and locks that ended long ago
        forget_before = now - timedelta(days=1)
        session.execute(delete(LoginCounter).where(
            LoginCounter.window_start < forget_before,
            (LoginCounter.locked_until.is_(None)) | (LoginCounter.locked_until < now)))
    return count >= limits.max_failures


def record_success(session: Session, user: User, address: str) -> None:
    session.execute(update(User).where(User.id == user.id).values(
        failed_logins=0, locked_until=None, last_login_at=utcnow()).execution_options(synchronize_session=False))
    session.execute(delete(LoginCounter).where(LoginCounter.key == pair_key(user.username, address)))
