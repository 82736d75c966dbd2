"""The secret key, proxy headers and the security headers every response carries.

A session cookie is signed with ``SECRET_KEY``; anyone who knows the key can write themselves an admin
session. So outside development and testing the app refuses to start with a key that is missing, empty,
short or one of the well-known placeholders, and says how to make one. ``make run`` (development) gets a
random key made once and kept in ``instance/secret_key``, so sessions survive a restart of the dev server.

The Content Security Policy allows scripts and styles from this site only, no inline ``<script>`` or
``style=""`` (the radar's figure travels as ``<script type="application/json">``, which is data, not
code), and no framing by another site (``frame-ancestors 'none'``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from diagnostics.settings import settings

MIN_SECRET_LENGTH = 32  # 256 bits of hex or base64 is far beyond guessing; a word or a date is not
# placeholders seen in this project's history and in common templates: never a real key
KNOWN_WEAK_KEYS = frozenset({"dev-only-change-me", "change-me", "changeme", "secret", "dev", "development",
                             "please-change", "your-secret-key", "test-secret"})
RELAXED_ENVIRONMENTS = frozenset({"development", "testing"})

# No inline script anywhere. Styles: our templates carry none (a test checks), but Plotly injects its own
# stylesheet and the style rules of its hover and click layers at run time; without 'unsafe-inline' for
# styles the industry map's cells cannot be clicked. Inline style cannot run code, so the trade is small.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"  # one year, as recommended by RFC 6797 §11.2 practice


class InsecureSecretKey(RuntimeError):
    """The app would run with a key an attacker can know."""


def weakness(key: str | None) -> str | None:
    """Why ``key`` may not sign sessions in production, or None when it may."""
    if not key:
        return "SECRET_KEY is not set"
    if key.strip().lower() in KNOWN_WEAK_KEYS:
        return "SECRET_KEY is a well-known placeholder"
    if len(key) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def development_key(instance_path: str) -> str:
    """A random key made on first use and kept in ``instance/secret_key`` (only in development)."""
    path = Path(instance_path) / "secret_key"
    if path.exists() and len(existing := path.read_text(encoding="utf-8").strip()) >= MIN_SECRET_LENGTH:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key


def resolve_secret_key(app: Flask) -> None:
    """Check the configured key; in development make one when none is set; else refuse to start."""
    key = app.config.get("SECRET_KEY")
    environment = "testing" if app.config.get("TESTING") else (
        "development" if app.debug else settings.environment)
    problem = weakness(key)
    if problem is None:
        return
    if environment in RELAXED_ENVIRONMENTS:
        if not key:
            app.config["SECRET_KEY"] = development_key(app.config.get("INSTANCE_DIR") or app.instance_path)
        return
    raise InsecureSecretKey(
        f"{problem}: refusing to start (SHUZHEN_ENV={environment}). Anyone who knows the key can forge an "
        f"admin session. Set SECRET_KEY to a random value of at least {MIN_SECRET_LENGTH} characters, e.g. "
        "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'), or set SHUZHEN_ENV=development "
        "on a developer's machine. / 密钥缺失或过弱，拒绝启动：请设置至少 32 位的随机 SECRET_KEY。")


def init_app(app: Flask) -> None:
    resolve_secret_key(app)
    hops = int(app.config.get("PROXY_HOPS", settings.proxy_hops))
    if hops > 0:  # trust exactly this many proxies for the client address, scheme and host
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if request.is_secure:  # behind TLS (directly, or as the trusted proxy says): stay on HTTPS
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            # answers and diagnoses are private: never cached by a shared proxy, always revalidated
            response.headers.setdefault("Cache-Control", "private, no-cache")
        if request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response
