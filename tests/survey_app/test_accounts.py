"""Registration, log-in throttling, sessions, CSRF and language: what a respondent meets first."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.store.models import Enterprise, User, utcnow
from diagnostics.uscc import make_uscc
from survey_app import create_app
from survey_app.accounts import routes as account_routes
from tests.survey_app.survey_helpers import PASSWORD, People, Web

GOOD_USCC = make_uscc("91360200MA35XY120")


def registration(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "manager", "password": "factory-2024", "password_again": "factory-2024",
        "name": "景德镇青花瓷业有限公司", "uscc": GOOD_USCC, "industry_code": "3074", "region": "珠山区",
        "chain_links": ["forming"], "employees": "350", "revenue_10k": "6500", "tags": ["srdi", "listed"],
        "contact_name": "王经理", "contact_phone": "0798-1234567", "pilot_willing": "y",
    }
    data.update(overrides)
    return data


def test_registration_creates_the_enterprise_and_logs_in(web: Web, session: Session) -> None:
    typed = " ".join([GOOD_USCC[:6], GOOD_USCC[6:].lower()])  # as copied from a licence: spaced, lower case
    response = web.post("/register", registration(uscc=typed))
    assert response.status_code == 302
    enterprise = session.scalar(select(Enterprise))
    assert enterprise is not None and enterprise.uscc == GOOD_USCC
    assert enterprise.size_class == "medium"  # derived, never typed
    assert enterprise.chain_links == ["forming"] and enterprise.tags == ["srdi", "listed"]
    assert enterprise.pilot_willing is True
    user = session.scalar(select(User))
    assert user is not None and user.role == "enterprise" and user.enterprise_id == enterprise.id
    assert user.password_hash != "factory-2024" and user.password_hash.startswith("scrypt:")
    page = web.html(response.headers["Location"])
    assert "景德镇青花瓷业有限公司" in page and "中型" in page


def test_bad_credit_code_is_refused_with_the_rule_that_failed(web: Web, session: Session) -> None:
    wrong_check = GOOD_USCC[:17] + ("0" if GOOD_USCC[17] != "0" else "1")
    response = web.post("/register", registration(uscc=wrong_check))
    assert response.status_code == 400
    assert "校验码不符" in response.get_data(as_text=True)
    response = web.post("/register", registration(uscc="91360200MA35"))
    assert "统一社会信用代码应为18位，当前输入了12位" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_duplicate_credit_code_is_refused_with_guidance(web: Web, other_web: Web, session: Session) -> None:
    assert web.post("/register", registration()).status_code == 302
    response = other_web.post("/register", registration(username="someone-else", name="另一家公司"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "该统一社会信用代码已注册" in text and "工信局" in text
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 1


def test_short_password_and_taken_user_name_are_explained(web: Web, people: People) -> None:
    people.user("manager", role="viewer")
    response = web.post("/register", registration(password="short", password_again="short"))
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "至少 8 个字符" in text
    response = web.post("/register", registration())
    assert "该用户名已被使用" in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(web: Web, people: People, session: Session) -> None:
    user = people.user("owner", enterprise=people.enterprise())
    for _ in range(4):
        response = web.login("owner", "wrong-password")
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    response = web.login("owner", "wrong-password")
    assert response.status_code == 429 and "账户已锁定" in response.get_data(as_text=True)
    assert "15 分钟" in response.get_data(as_text=True)
    response = web.login("owner", PASSWORD)  # even the right password waits
    assert response.status_code == 429
    session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow() + timedelta(minutes=14)

    user.locked_until = utcnow() - timedelta(seconds=1)  # a quarter of an hour later
    session.commit()
    response = web.login("owner", PASSWORD)
    assert response.status_code == 302
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def _from(app: Flask, address: str) -> Web:
    """A browser on another network address (the test client's REMOTE_ADDR)."""
    web = Web(app.test_client())
    web.client.environ_base["REMOTE_ADDR"] = address
    return web


def test_one_address_trying_many_accounts_is_slowed_not_locked_out(
        db_url: str, engine: object, questionnaire_dir: object, people: People,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_IP_LIMIT": 3,
                      "LOGIN_IP_DELAY_SECONDS": 2.5})
    waits: list[float] = []
    monkeypatch.setattr(account_routes.time, "sleep", waits.append)
    people.user("real", enterprise=people.enterprise())
    web = _from(app, "10.1.1.1")
    for name in ("alice", "bob", "carol"):
        assert web.login(name, "guess").status_code == 401
    assert waits == []
    assert web.login("dave", "guess").status_code == 401
    assert waits == [2.5]  # the fourth guess from this network is slowed down
    response = web.login("real", PASSWORD)  # ... but the right password of a real account still gets in
    assert response.status_code == 302
    waits.clear()
    assert _from(app, "10.0.0.9").login("erin", "guess").status_code == 401
    assert waits == []  # another network is not slowed


def test_one_account_from_one_address_waits_while_others_log_in(
        db_url: str, engine: object, questionnaire_dir: object, people: People) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_PAIR_LIMIT": 2,
                      "LOGIN_MAX_FAILURES": 10})
    enterprise = people.enterprise()
    people.user("target", enterprise=enterprise)
    people.user("colleague", enterprise=enterprise)
    web = _from(app, "10.2.2.2")
    assert web.login("target", "guess-1").status_code == 401
    assert web.login("target", "guess-2").status_code == 401
    response = web.login("target", PASSWORD)
    assert response.status_code == 429 and "网络" in response.get_data(as_text=True)
    assert web.login("colleague", PASSWORD).status_code == 302  # same network, other account: fine
    assert _from(app, "10.3.3.3").login("target", PASSWORD).status_code == 302  # the owner at home: fine


def test_session_expires_after_the_configured_lifetime(db_url: str, engine: object, questionnaire_dir: object,
                                                       people: People) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t",
                      "PERMANENT_SESSION_LIFETIME": timedelta(seconds=1)})
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    assert web.login("owner").status_code == 302
    assert web.get(f"/enterprises/{enterprise.id}").status_code == 200
    time.sleep(2.1)
    response = web.get(f"/enterprises/{enterprise.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unchanged_session_is_signed_again_only_now_and_then_and_an_active_one_never_ends(
        db_url: str, engine: object, questionnaire_dir: object, people: People) -> None:
    """No new cookie on every response (an autosave each keystroke would sign one each time); a tenth of the
    lifetime after the last signing it is signed again, so a session in use slides on past its lifetime."""
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    page = f"/enterprises/{enterprise.id}"

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t",
                      "PERMANENT_SESSION_LIFETIME": timedelta(seconds=20)})
    web = Web(app.test_client())
    assert "Set-Cookie" in web.login("owner").headers  # a changed session is always sent
    assert web.get(page).status_code == 200 and "Set-Cookie" not in web.get(page).headers
    time.sleep(2.1)  # a tenth of the lifetime
    assert "Set-Cookie" in web.get(page).headers

    short = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t",
                        "PERMANENT_SESSION_LIFETIME": timedelta(seconds=3)})
    web = Web(short.test_client())
    web.login("owner")
    for _ in range(5):  # 5 s of use against a 3 s lifetime
        time.sleep(1.0)
        assert web.get(page).status_code == 200


def test_forms_without_the_csrf_token_are_refused(web: Web, people: People) -> None:
    people.user("owner", enterprise=people.enterprise())
    response = web.post("/login", {"username": "owner", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert web.login("owner").status_code == 302
    assert web.post("/logout", csrf=False).status_code == 400


def test_chinese_by_default_and_english_on_request(web: Web, people: People, session: Session) -> None:
    user = people.user("owner", enterprise=people.enterprise())
    assert "登录" in web.html("/login")
    web.login("owner")
    response = web.post("/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 302
    session.refresh(user)
    assert user.locale == "en"  # remembered on the account for the next device
    page = web.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Self-assessment" in page and "数字化水平自评" not in page
    wrong = web.post("/register", registration(uscc="123"))  # logged in: redirected, not registered
    assert wrong.status_code == 302


def test_english_validation_message_for_a_bad_code(web: Web) -> None:
    web.post("/lang", {"lang": "en", "next": "/register"})
    response = web.post("/register", registration(uscc=GOOD_USCC[:17] + "Z"))
    assert "Character &#39;Z&#39; at position 18 is not allowed" in response.get_data(as_text=True)


def test_logout_ends_the_session(web: Web, people: People, app: Flask) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web.login("owner")
    web.get(f"/enterprises/{enterprise.id}")
    assert web.post("/logout").status_code == 302
    assert web.get(f"/enterprises/{enterprise.id}").status_code == 302


def test_profile_edit_recomputes_the_size_class(web: Web, session: Session) -> None:
    web.post("/register", registration())
    enterprise = session.scalar(select(Enterprise))
    assert enterprise is not None and enterprise.size_class == "medium"
    response = web.post(f"/enterprises/{enterprise.id}/edit", registration(employees="1500", revenue_10k="52000",
                                                                           chain_links=["firing"]))
    assert response.status_code == 302
    session.expire_all()
    assert enterprise.size_class == "large" and enterprise.chain_links == ["firing"]
    assert enterprise.uscc == GOOD_USCC  # the code is not part of the profile form
    wrong_link = web.post(f"/enterprises/{enterprise.id}/edit", registration(chain_links=["smelting"]))
    assert wrong_link.status_code == 400
    assert "这些产业链环节不属于所选行业" in wrong_link.get_data(as_text=True)


def test_number_fields_speak_plainly_once_and_show_what_was_stored(web: Web, session: Session) -> None:
    """One message for a non-number (not a range message on top), a range in words, and a stored whole
    revenue shown as typed (2032, not 2032.0)."""
    bad = web.post("/register", registration(employees="三百", revenue_10k="-5"))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    employees = page[page.index('id="employees"'):page.index('id="revenue_10k"')]
    assert employees.count('class="field-error"') == 1
    assert "10,000,000" not in employees and "介于" not in employees and "between" not in employees  # no range on top
    assert "请输入 0 到 1,000,000,000 之间的数" in page and "1000000000.0 之间" not in page
    assert web.post("/register", registration(revenue_10k="2032")).status_code == 302
    enterprise = session.scalar(select(Enterprise))
    assert enterprise is not None
    form = web.html(f"/enterprises/{enterprise.id}/edit")
    assert 'value="2032"' in form and "2032.0" not in form
