"""The logged-in user as Flask-Login sees it: a plain value copied from the ``users`` row.

The ORM ``User`` belongs to the shared store and must not learn about Flask, so Flask-Login gets this
small frozen value instead. Copying the few fields the app needs also means templates and the access
helper never trigger lazy loads on a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from sqlalchemy import update

from diagnostics.roles import is_staff
from diagnostics.store.models import User
from survey_app.db import db_session


@dataclass(frozen=True)
class SessionUser:
    id: int
    username: str
    role: str
    enterprise_id: int | None
    display_name: str | None
    locale: str
    cluster_id: int | None = None  # an official's scope: None sees every cluster (province level)

    # Flask-Login's protocol
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff(self) -> bool:
        return is_staff(self.role)

    @classmethod
    def of(cls, row: User) -> SessionUser:
        return cls(id=row.id, username=row.username, role=row.role, enterprise_id=row.enterprise_id,
                   display_name=row.display_name, locale=row.locale or "zh_CN", cluster_id=row.cluster_id)


SESSION_VERSION_KEY = "sv"


def load_user(user_id: str) -> SessionUser | None:
    """Flask-Login's loader: the user row, unless deactivated or logged out since the session began.

    The session carries the account's ``session_version`` from log-in; log-out and a password change
    bump the stored one, so every cookie made before (a copy on another machine included) stops working.
    """
    try:
        row = db_session().get(User, int(user_id))
    except (ValueError, OverflowError):
        return None
    if row is None or not row.active:
        return None
    if session.get(SESSION_VERSION_KEY) != row.session_version:
        return None
    return SessionUser.of(row)


def end_all_sessions(user_id: int) -> int:
    """Invalidate every session of the account (log-out, password change, reset); the new version.

    One atomic ``UPDATE … RETURNING`` so two simultaneous log-outs cannot leave an old version valid.
    """
    db = db_session()
    version = db.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
                         .returning(User.session_version).execution_options(synchronize_session=False)).scalar_one()
    return int(version)
