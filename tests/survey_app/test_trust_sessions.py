"""Secrets and sessions: no start with a guessable key, no forged or copied session, safe headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from diagnostics.settings import settings
from survey_app import create_app
from survey_app.security import InsecureSecretKey
from tests.survey_app.survey_helpers import PASSWORD, People, Web

STRONG = "k" * 20 + "0123456789abcdef"


def _cookie_for(app: Flask, key: str, payload: dict[str, object]) -> str:
    """A session cookie as an attacker who knows ``key`` would write it."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return str(serializer.dumps(payload))


@pytest.mark.parametrize("key", ["", "dev-only-change-me", "short-key", "changeme"])
def test_production_refuses_to_start_with_a_weak_key(monkeypatch: pytest.MonkeyPatch, db_url: str, key: str) -> None:
    monkeypatch.setattr(settings, "environment", "production")
    with pytest.raises(InsecureSecretKey, match="SECRET_KEY"):
        create_app({"DATABASE_URL": db_url, "SECRET_KEY": key})


def test_production_starts_with_a_strong_key_and_development_makes_one(
        monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setattr(settings, "environment", "production")
    assert create_app({"DATABASE_URL": db_url, "SECRET_KEY": STRONG}).secret_key == STRONG
    monkeypatch.setattr(settings, "environment", "development")
    config = {"DATABASE_URL": db_url, "SECRET_KEY": "", "INSTANCE_DIR": str(tmp_path)}
    first = create_app(config).secret_key
    again = create_app(config).secret_key
    assert isinstance(first, str) and len(first) >= 32 and first == again  # kept in instance/secret_key
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_a_cookie_signed_with_the_old_default_key_is_refused(app: Flask, web: Web, people: People) -> None:
    admin = people.user("boss", role="admin")
    for payload in ({"_user_id": str(admin.id), "_fresh": True},
                    {"_user_id": str(admin.id), "_fresh": True, "sv": 0}):
        client = app.test_client()
        client.set_cookie("session", _cookie_for(app, "dev-only-change-me", payload))
        response = client.get("/admin/users")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_without_the_session_version_is_refused_even_with_the_right_key(app: Flask, people: People) -> None:
    admin = people.user("boss", role="admin")
    client = app.test_client()
    cookie = _cookie_for(app, str(app.secret_key or ""), {"_user_id": str(admin.id), "_fresh": True})
    client.set_cookie("session", cookie)
    assert client.get("/admin/users").status_code == 302


def test_a_cookie_copied_before_logout_no_longer_works_after_it(app: Flask, web: Web, people: People) -> None:
    people.user("boss", role="admin")
    assert web.login("boss").status_code == 302
    copied = web.client.get_cookie("session")
    assert copied is not None
    assert web.get("/admin/users").status_code == 200
    assert web.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert thief.get("/admin/users").status_code == 302


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app: Flask, people: People) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    phone, laptop = Web(app.test_client()), Web(app.test_client())
    phone.login("owner")
    laptop.login("owner")
    page = f"/enterprises/{enterprise.id}"
    assert phone.get(page).status_code == 200 and laptop.get(page).status_code == 200
    phone.get("/account/password")
    response = phone.post("/account/password", {"current_password": PASSWORD, "password": "blue-kiln-2025",
                                                 "password_again": "blue-kiln-2025"})
    assert response.status_code == 302
    assert phone.get(page).status_code == 200
    assert laptop.get(page).status_code == 302  # the other device must log in again
    assert Web(app.test_client()).login("owner", "blue-kiln-2025").status_code == 302


@pytest.mark.parametrize(("password", "message"), [
    ("short", "至少 8 个字符"), ("owner-secret-1", "不能包含用户名"), ("12345678", "过于常见"),
    ("aaaaaaaaaaaa", "过于常见")])
def test_the_password_policy_explains_what_is_wrong(web: Web, people: People, password: str, message: str) -> None:
    people.user("owner", enterprise=people.enterprise())
    web.login("owner")
    web.get("/account/password")
    response = web.post("/account/password", {"current_password": PASSWORD, "password": password,
                                              "password_again": password})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_wrong_current_password_changes_nothing(web: Web, people: People) -> None:
    people.user("owner", enterprise=people.enterprise())
    web.login("owner")
    web.get("/account/password")
    response = web.post("/account/password", {"current_password": "not-it", "password": "blue-kiln-2025",
                                              "password_again": "blue-kiln-2025"})
    assert response.status_code == 400 and "当前密码不正确" in response.get_data(as_text=True)


def test_pages_carry_a_csp_without_inline_code_and_refuse_framing(web: Web) -> None:
    response = web.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe" not in script  # no inline or eval'd script, ever (Plotly needs inline style only)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_templates_hold_no_inline_script_or_style() -> None:
    root = Path(__file__).resolve().parents[2] / "survey_app"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for marker in ("style=", "<style", " onclick=", " onload=", " onchange=", " onsubmit="):
            if marker in text:
                offenders.append(f"{template.relative_to(root)}: {marker}")
        for chunk in text.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            if "src=" not in head and 'type="application/json"' not in head:
                offenders.append(f"{template.relative_to(root)}: inline <script>")
    assert offenders == []


def test_behind_a_tls_proxy_cookies_are_secure_and_hsts_is_sent(db_url: str, engine: object,
                                                                 questionnaire_dir: object, people: People) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": STRONG, "PROXY_HOPS": 1,
                      "SESSION_COOKIE_SECURE": True})
    people.user("owner", enterprise=people.enterprise())
    web = Web(app.test_client())
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Referer": "https://localhost/login"}
    response = web.client.get("/login", headers=headers, base_url="https://localhost")
    web._remember(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    response = web.client.post("/login", data={"username": "owner", "password": PASSWORD, "csrf_token": web.token},
                               headers=headers, base_url="https://localhost")
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
