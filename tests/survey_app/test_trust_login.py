"""Throttling that holds: counted atomically in the database, the same for names that do not exist."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.store.models import User
from diagnostics.store.models_trust import LoginCounter
from survey_app import create_app
from tests.survey_app.survey_helpers import PASSWORD, People, Web


def _simultaneous_logins(app: Flask, username: str, n: int) -> Counter[int]:
    """``n`` browsers post a wrong password for ``username`` at the same moment; their status codes."""
    browsers = [Web(app.test_client()) for _ in range(n)]
    for browser in browsers:
        browser.get("/login")
    barrier = threading.Barrier(n)
    codes: list[int] = []
    lock = threading.Lock()

    def attempt(browser: Web) -> None:
        barrier.wait()
        code = browser.client.post("/login", data={"username": username, "password": "wrong-guess",
                                                   "csrf_token": browser.token}).status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=attempt, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(codes)


def test_25_simultaneous_wrong_passwords_are_all_counted(db_url: str, engine: object, questionnaire_dir: object,
                                                         people: People, session: Session) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_MAX_FAILURES": 5,
                      "LOGIN_PAIR_LIMIT": 1000, "LOGIN_IP_LIMIT": 1000})
    user = people.user("owner", enterprise=people.enterprise())
    codes = _simultaneous_logins(app, "owner", 25)
    session.refresh(user)
    # every failure that got past the lock check was counted; exactly the four before the limit say
    # "wrong password", the one reaching it and all later ones say "locked"
    assert codes == Counter({401: 4, 429: 21})
    assert user.locked_until is not None
    assert 5 <= user.failed_logins <= 25  # the lock check races only with requests already past it


def test_the_failure_counter_loses_no_update(db_url: str, engine: object, questionnaire_dir: object,
                                             people: People, session: Session) -> None:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_MAX_FAILURES": 100,
                      "LOGIN_PAIR_LIMIT": 1000, "LOGIN_IP_LIMIT": 1000})
    user = people.user("owner", enterprise=people.enterprise())
    codes = _simultaneous_logins(app, "owner", 25)
    assert codes == Counter({401: 25})
    session.refresh(user)
    assert user.failed_logins == 25
    pair = session.scalar(select(LoginCounter.failures).where(LoginCounter.key == "pair:owner|127.0.0.1"))
    assert pair == 25


def test_a_name_without_an_account_locks_exactly_like_a_real_one(web: Web, other_web: Web, people: People) -> None:
    people.user("real", enterprise=people.enterprise())
    answers: dict[str, list[tuple[int, str]]] = {}
    for name, browser in (("real", web), ("ghost", other_web)):
        answers[name] = []
        for _ in range(6):
            response = browser.login(name, "wrong-guess")
            text = response.get_data(as_text=True)
            answers[name].append((response.status_code, "账户已锁定" if "账户已锁定" in text else "错误"))
    assert answers["real"] == answers["ghost"]
    assert [code for code, _ in answers["ghost"]] == [401, 401, 401, 401, 429, 429]


def test_counters_survive_a_restart_and_are_shared_by_workers(db_url: str, engine: object, questionnaire_dir: object,
                                                              people: People, session: Session) -> None:
    people.user("owner", enterprise=people.enterprise())
    config = {"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t"}
    first, second = create_app(config), create_app(config)  # two workers (or before and after a restart)
    for _ in range(3):
        assert Web(first.test_client()).login("owner", "wrong").status_code == 401
    assert Web(second.test_client()).login("owner", "wrong").status_code == 401
    assert Web(second.test_client()).login("owner", "wrong").status_code == 429
    assert Web(first.test_client()).login("owner", PASSWORD).status_code == 429
    owner = session.scalar(select(User).where(User.username == "owner"))
    assert owner is not None and owner.locked_until is not None
