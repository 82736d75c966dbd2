"""Helpers for the web app's tests: a CSRF-aware browser stand-in, people, and filling a questionnaire."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from diagnostics.store.models import Assignment, Enterprise, User
from diagnostics.uscc import make_uscc
from survey_app.accounts.passwords import hash_password

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct-horse-1"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Web:
    """A test client that behaves like a browser with forms: it sends the CSRF token it last saw."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def _remember(self, response: TestResponse) -> TestResponse:
        if response.mimetype == "text/html":
            found = _TOKEN.search(response.get_data(as_text=True))
            if found:
                self.token = found.group(1)
        return response

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self._remember(self.client.get(url, **kwargs))

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> TestResponse:
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/", follow_redirects=True)
            data.setdefault("csrf_token", self.token)
        response = self._remember(self.client.post(url, data=data, **kwargs))
        if url in ("/login", "/register", "/logout"):
            self.token = None  # a new session has a new CSRF secret
        return response

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/login", {"username": username, "password": password})

    def html(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


class People:
    """Creates enterprises and accounts directly in the database (faster than registering each)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._serial = 0

    def enterprise(self, name: str = "景德镇测试瓷业有限公司", industry_code: str = "3074") -> Enterprise:
        self._serial += 1
        row = Enterprise(uscc=make_uscc(f"9136020000000{self._serial:04d}"), name=name, industry_code=industry_code,
                         employees=50, revenue_10k=800.0, size_class="small", chain_links=[], tags=[])
        self.session.add(row)
        self.session.commit()
        return row

    def user(self, username: str, role: str = "enterprise", enterprise: Enterprise | None = None) -> User:
        row = User(username=username, password_hash=hash_password(PASSWORD), role=role,
                   enterprise_id=enterprise.id if enterprise else None)
        self.session.add(row)
        self.session.commit()
        return row

    def assign(self, user: User, enterprise: Enterprise) -> None:
        self.session.add(Assignment(user_id=user.id, enterprise_id=enterprise.id))
        self.session.commit()


def form_value(html: str, name: str) -> str:
    """The value of a hidden or text input in a page."""
    found = re.search(rf'name="{re.escape(name)}"[^>]*?value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*?name="{re.escape(name)}"', html)
    assert found, f"no input {name}"
    return found.group(1)


def start_survey(web: Web, enterprise_id: int, code: str = "mini-survey") -> int:
    """Start (or resume) the questionnaire as a respondent would; returns the submission id."""
    response = web.post(f"/enterprises/{enterprise_id}/questionnaires/{code}/start")
    assert response.status_code == 302, response.status_code
    found = re.search(r"/submissions/(\d+)/", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def save_page(web: Web, submission_id: int, page: int, answers: dict[str, Any], action: str = "save",
              revision: str | None = None) -> TestResponse:
    """Post one page as the browser does: with the revision the page was drawn from."""
    if revision is None:
        revision = form_value(web.html(f"/submissions/{submission_id}/pages/{page}"), "revision")
    return web.post(f"/submissions/{submission_id}/pages/{page}", {**answers, "revision": revision, "action": action})


FULL_ANSWERS: list[dict[str, Any]] = [  # page by page, a complete and valid set for mini.yaml: 45 points, level 2
    {"net": ["A", "B"], "info_sys": "B", "has_erp": "yes", "erp_years": "3"},
    {"quality": "same"},
    {"s_design": "2", "s_production": "1"},
]


def fill_all(web: Web, submission_id: int, pages: list[dict[str, Any]] | None = None) -> None:
    """Answer page by page with "next"; a page left incomplete on purpose is passed ("next" again)."""
    for number, answers in enumerate(pages or FULL_ANSWERS, start=1):
        response = save_page(web, submission_id, number, {**answers, "acknowledged": "1"}, action="next")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def submit(web: Web, submission_id: int) -> TestResponse:
    html = web.html(f"/submissions/{submission_id}/review")
    return web.post(f"/submissions/{submission_id}/submit", {
        "idempotency_key": form_value(html, "idempotency_key"), "revision": form_value(html, "revision"),
        "commitment": "yes"})


def figure_json(page: str, holder: str) -> dict[str, Any]:
    """The Plotly figure a console page embeds for ``holder`` (a JSON block the page's script draws)."""
    found = re.search(rf'data-figure-for="{holder}">(.*?)</script>', page, re.S)
    assert found, f"no figure {holder}"
    return dict(json.loads(found.group(1).replace("<\\/", "</")))
