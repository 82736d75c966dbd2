"""The session cookie: signed as Flask signs it, re-signed when it changes or once a minute, not on every request.

A session lasts ``PERMANENT_SESSION_LIFETIME`` of inactivity (``SHUZHEN_SESSION_MINUTES``): each request
moves the expiry on. Flask does that by signing and sending a new cookie with every response
(``SESSION_REFRESH_EACH_REQUEST``), which is an HMAC, a JSON dump and a ``Set-Cookie`` header on each
background autosave (about 5 % of one, measured with py-spy under ``bench/autosave.py``). Here the cookie is
re-signed only when the session changed or its signature is older than :func:`refresh_after` (a minute, or a
tenth of the lifetime when that is shorter): an idle session still ends after the lifetime, at most that
much earlier, and an active one never ends. The signing serializer is made once per secret key instead
of twice per request.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

REFRESH_AFTER = timedelta(minutes=1)


class SignedSession(SecureCookieSession):
    """A cookie session that remembers when its cookie was signed (None: new, never sent)."""

    signed_at: float | None = None


def refresh_after(lifetime: timedelta) -> float:
    """Seconds after which an unchanged session's cookie is signed again to move its expiry on."""
    return min(REFRESH_AFTER, lifetime / 10).total_seconds()


class SlidingSessionInterface(SecureCookieSessionInterface):
    session_class = SignedSession

    def __init__(self) -> None:
        self._made: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None  # (keys, serializer)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._made is None or self._made[0] != keys:  # a changed key (tests, rotation) makes a new one
            self._made = (keys, super().get_signing_serializer(app))
        return self._made[1]

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return SignedSession()
        try:
            data, signed = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()),
                                            return_timestamp=True)
        except BadSignature:  # expired, forged or signed with a retired key: a new, empty session
            return SignedSession()
        session = SignedSession(data)
        session.signed_at = signed.timestamp()
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or time.time() - signed_at >= refresh_after(app.permanent_session_lifetime)


def init_app(app: Flask) -> None:
    app.session_interface = SlidingSessionInterface()
