"""A commissioner's visit on a phone without signal, in a real browser (Debian's Chromium).

Goes offline mid-visit, corrects an answer, confirms another and attaches a photo, reloads the page
while still offline (the service worker serves it; the changes are still on the device), comes back
online, and the server ends with exactly those checks and that one file, once. Then a second device
changes an answer and the first, changing the same answer against the revision it last saw, gets the
conflict screen and keeps its own.
Screenshots at phone width go to ``tests/artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from diagnostics.settings import settings
from diagnostics.store import catalogue
from diagnostics.store.assessing import score_one
from diagnostics.store.db import make_engine, session_factory, upgrade
from diagnostics.store.models import Assignment, AuditLog, Enterprise, Evidence, Submission, User, utcnow
from diagnostics.store.models_field import AnswerCheck, Visit
from diagnostics.taxonomy import load_taxonomy
from diagnostics.uscc import make_uscc
from survey_app import create_app
from survey_app.accounts.passwords import hash_password
from tests.browser.support import PHONE, require_chromium, serve
from tests.field.test_visits import png_bytes
from tests.survey_app.survey_helpers import FIXTURES, PASSWORD

SELF_ANSWERS = {"net": ["A", "B"], "info_sys": "B", "has_erp": True, "erp_years": 3, "quality": "same",
                "s_design": 2, "s_production": 1}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    require_chromium()
    folder = tmp_path_factory.mktemp("field-browser")
    url = f"sqlite:///{folder / 'field.db'}"
    upgrade(url)
    saved = (settings.questionnaire_dir, settings.upload_dir)
    settings.questionnaire_dir, settings.upload_dir = FIXTURES / "questionnaires", folder / "uploads"
    load_taxonomy.cache_clear()
    engine = make_engine(url)
    with session_factory(engine)() as s:
        firm = Enterprise(uscc=make_uscc("91360200MA0000077"), name="景德镇青花瓷业有限公司", industry_code="3074",
                          chain_links=[], tags=[])
        s.add(firm)
        s.flush()
        zhang = User(username="zhang", password_hash=hash_password(PASSWORD), role="commissioner")
        s.add(zhang)
        s.flush()
        s.add(Assignment(user_id=zhang.id, enterprise_id=firm.id))
        version = catalogue.current_version(s, "mini-survey")
        sub = Submission(enterprise_id=firm.id, questionnaire_version_id=version.id, status="submitted",
                         channel="self", answers=dict(SELF_ANSWERS), submitted_at=utcnow())
        s.add(sub)
        s.flush()
        score_one(s, sub)
        s.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-test", "TESTING": True})
    with serve(app) as base:
        yield base, url
    engine.dispose()
    settings.questionnaire_dir, settings.upload_dir = saved
    load_taxonomy.cache_clear()



def _phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                               locale="zh-CN")


def _login(page: Page, server: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#username", "zhang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")


def _synced(page: Page) -> None:
    expect(page.locator("#sync-state")).to_have_attribute("data-pending", "0", timeout=15_000)
    expect(page.locator("#sync-state")).to_have_text("已同步")


def _correct(page: Page, qid: str, value: str, reason: str) -> None:
    card = page.locator(f"#q-{qid}")
    card.locator("details.correct summary").click()
    card.locator(f".correct-form input[name=value][value='{value}']").check()
    card.locator(".correct-form textarea[name=reason]").fill(reason)
    card.locator(".correct-form button[type=submit]").click()


def test_offline_visit_reload_and_sync_once_then_a_conflict(site: tuple[str, str], browser: Browser,
                                                            artifacts_dir: Path) -> None:
    server, url = site
    phone = _phone(browser)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    _login(page, server)
    page.goto(f"{server}/field/")
    page.locator("form[action*='/visit'] button").click()
    expect(page.locator("#visit")).to_have_attribute("data-ready", "1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker's control
    expect(page.locator("#visit")).to_have_attribute("data-ready", "1")
    visit_url = page.url

    # --- no signal on the factory floor
    phone.set_offline(True)
    _correct(page, "info_sys", "D", "现场查看：ERP、MES、WMS 全覆盖")
    page.locator("#q-net .confirm-form button").click()
    page.set_input_files("#file-info_sys", {"name": "ERP截图.png", "mimeType": "image/png", "buffer": png_bytes()})
    page.locator("#q-info_sys .evidence-form button").click()
    expect(page.locator("#sync-state")).to_have_attribute("data-pending", "3")
    expect(page.locator("#q-info_sys .field-value")).to_have_text("全部环节")
    _correct(page, "has_erp", "no", "现场未见ERP")  # skip logic in the browser: the follow-up disappears
    expect(page.locator("#q-erp_years")).to_be_hidden()
    _correct(page, "has_erp", "yes", "复核：有ERP")
    expect(page.locator("#q-erp_years")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "visit-offline-phone.png"), full_page=True)

    page.reload()  # still offline: the service worker serves the page, the changes come from the device
    expect(page.locator("#visit")).to_have_attribute("data-ready", "1")
    expect(page.locator("#sync-state")).to_have_attribute("data-pending", "4")  # has_erp twice: its last value
    expect(page.locator("#q-info_sys .field-value")).to_have_text("全部环节")
    expect(page.locator("#q-info_sys .queued-files li")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "visit-offline-reloaded-phone.png"), full_page=True)

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _synced(page)
    page.reload()
    _synced(page)

    engine = make_engine(url)
    with session_factory(engine)() as s:
        visit = s.scalars(select(Visit)).one()
        checks = {c.question_id: (c.verdict, c.value) for c in s.scalars(select(AnswerCheck))}
        assert checks == {"info_sys": ("corrected", "D"), "net": ("confirmed", ["A", "B"]),
                          "has_erp": ("corrected", True)}
        [evidence] = s.scalars(select(Evidence)).all()
        assert (evidence.question_id, evidence.content_type, evidence.size) == ("info_sys", "image/png",
                                                                                len(png_bytes()))
        corrections = s.scalars(select(AuditLog).where(AuditLog.action == "answer_corrected")).all()
        assert len(corrections) == 2  # info_sys and has_erp (its last value): each once, none resent twice
        field_sub = s.get(Submission, visit.field_submission_id)
        assert field_sub is not None and field_sub.answers["info_sys"] == "D"

    # --- a second device changes an answer this phone changes offline: the conflict screen
    tablet = _phone(browser)
    other = tablet.new_page()
    other.set_default_timeout(15_000)
    _login(other, server)
    other.goto(visit_url)
    expect(other.locator("#visit")).to_have_attribute("data-ready", "1")
    # the tablet saves first; the phone, still showing the revision it last synced, then changes the same
    # answer (its change carries that older revision, as a change queued offline does)
    _correct(other, "quality", "worse", "抽检合格率下降")
    _synced(other)
    _correct(page, "quality", "better", "良品率报表显示提升")
    conflict = page.locator("#conflicts .conflict-item[data-question=quality]")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".theirs")).to_have_text("下降")
    expect(conflict.locator(".mine")).to_have_text("提升")
    page.screenshot(path=str(artifacts_dir / "visit-conflict-phone.png"), full_page=True)
    conflict.locator(".keep-mine").click()
    _synced(page)
    with session_factory(engine)() as s:
        check = s.scalar(select(AnswerCheck).where(AnswerCheck.question_id == "quality"))
        assert check is not None and (check.verdict, check.value) == ("corrected", "better")
    engine.dispose()
    tablet.close()
    phone.close()
