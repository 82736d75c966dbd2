"""The whole respondent journey in a real browser, on the shipped SME questionnaire.

Registers an enterprise, fills the national SME table page by page on a phone-sized screen (skip logic
revealing follow-up questions as answers are saved), reloads in the middle of a page and expects the
answers still there, submits, and reads the diagnosis with its level and radar chart. Screenshots at
phone and desktop width go to ``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from diagnostics.store.db import upgrade
from diagnostics.uscc import make_uscc
from survey_app import create_app
from tests.browser.support import DESKTOP, PHONE, require_chromium, serve

SCENARIO_RATINGS = {  # the 16 operations scenarios of the SME table, as a mid-level manufacturer rates them
    "s_product_design": "2", "s_process_design": "2", "s_marketing": "1", "s_after_sales": "1",
    "s_planning_scheduling": "2", "s_production_control": "3", "s_quality": "3", "s_equipment": "2",
    "s_safety": "2", "s_energy": "1", "s_procurement": "2", "s_warehouse_logistics": "2", "s_finance": "3",
    "s_hr": "2", "s_collaboration_office": "2", "s_decision_support": "1",
}

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, against a freshly migrated SQLite file."""
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'survey.db'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-test", "TESTING": True})
    with serve(app) as base:
        yield base



def _wait_saved(page: Page) -> None:
    """The page's background save has finished (its status line says so)."""
    page.wait_for_selector("[data-save-status].ok", timeout=10_000)


def test_register_fill_reload_submit_and_read_the_diagnosis(server: str, browser: Browser, artifacts_dir: Path) -> None:
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai")
    page = phone.new_page()
    page.set_default_timeout(15_000)

    # --- register (Chinese by default)
    page.goto(f"{server}/register")
    expect(page.locator("h1")).to_have_text("企业注册")
    page.fill("#username", "manager01")
    page.fill("#password", "factory-2024")
    page.fill("#password_again", "factory-2024")
    page.fill("#name", "景德镇青花瓷业有限公司")
    page.fill("#uscc", make_uscc("91360200MA35ABCD0"))
    page.select_option("#industry_code", "3074")
    page.fill("#region", "珠山区")
    page.check("#chain-links input[value=forming]")
    page.fill("#employees", "320")
    page.fill("#revenue_10k", "6500")
    page.locator("#contact_name").click()
    expect(page.locator("[data-size-label]")).to_have_text("中型")
    page.check("input[name=tags][value=srdi]")
    page.fill("#contact_name", "王经理")
    page.screenshot(path=str(artifacts_dir / "register-phone.png"), full_page=True)
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("景德镇青花瓷业有限公司")

    # --- start the SME self-assessment; page 1: foundation, with skip logic revealing follow-ups
    page.locator("form", has=page.locator("button.primary")).first.locator("button").click()
    expect(page.locator(".survey-head h1")).to_have_text("数字化基础")
    page.check("input[name=network_kinds][value=office_lan]")
    page.check("input[name=network_kinds][value=field_network]")
    expect(page.locator("#q-devices_digital")).to_be_hidden()
    page.fill("input[name=devices_total]", "120")
    page.locator("input[name=devices_total]").blur()
    expect(page.locator("#q-devices_digital")).to_be_visible()  # shown once the server saw devices_total > 0
    page.fill("input[name=devices_digital]", "60")
    page.fill("input[name=devices_networked]", "45")
    page.locator("input[name=devices_networked]").blur()
    expect(page.locator("#q-digitisation_rate [data-computed-value]")).to_have_text("50 %")  # computed, not asked
    for link in ("planning_scheduling", "production_control", "quality", "equipment"):
        page.check(f"input[name=data_collection_links][value={link}]")
    page.check("input[name=info_systems_coverage][value=several]")
    expect(page.locator("#q-info_systems_used")).to_be_visible()
    page.check("input[name=info_systems_used][value=erp]")
    page.check("input[name=network_security_measures][value=perimeter]")
    page.check("input[name=network_security_measures][value=policy]")
    page.check("input[name=data_security_measures][value=backup]")
    before = datetime.now(SHANGHAI).strftime("%H:%M")
    _wait_saved(page)
    # "saved at" on the respondent's own clock (Beijing time here), not the server's UTC
    shown = page.locator("[data-save-status]").inner_text()
    assert before in shown or datetime.now(SHANGHAI).strftime("%H:%M") in shown, shown
    page.screenshot(path=str(artifacts_dir / "survey-foundation-phone.png"), full_page=True)
    page.click("button[name=action][value=next]")

    # --- page 2: management; reload half-way and find the answers kept
    expect(page.locator(".survey-head h1")).to_have_text("数字化管理")
    page.check("input[name=planning_stage][value=planned]")
    page.check("input[name=mechanisms_in_place][value=leadership]")
    _wait_saved(page)
    page.reload()
    expect(page.locator("input[name=planning_stage][value=planned]")).to_be_checked()
    expect(page.locator("input[name=mechanisms_in_place][value=leadership]")).to_be_checked()
    page.click("button[name=action][value=prev]")  # and page 1 kept everything too
    expect(page.locator("input[name=devices_total]")).to_have_value("120")
    expect(page.locator("input[name=info_systems_used][value=erp]")).to_be_checked()
    page.click("button[name=action][value=next]")
    page.check("input[name=talent_measures][value=training]")
    page.check("input[name=digital_investment_share][value='1_2']")
    page.click("button[name=action][value=next]")

    # --- page 3: results
    expect(page.locator(".survey-head h1")).to_have_text("数字化成效")
    for qid in ("energy_change", "quality_change", "revenue_per_head_change", "cost_change"):
        page.check(f"input[name={qid}][value=better]")
    page.click("button[name=action][value=next]")

    # --- page 4: the 16 scenarios, level descriptions side by side
    expect(page.locator(".survey-head h1")).to_have_text("数字化经营")
    expect(page.locator("#q-s_product_design .level-card")).to_have_count(5)
    for qid, level in SCENARIO_RATINGS.items():
        page.check(f"input[name={qid}][value='{level}']")
    _wait_saved(page)
    page.screenshot(path=str(artifacts_dir / "survey-scenarios-phone.png"))
    desktop = browser.new_context(viewport=DESKTOP, storage_state=phone.storage_state(), locale="zh-CN")
    wide = desktop.new_page()
    wide.goto(page.url)
    expect(wide.locator("input[name=s_quality][value='3']")).to_be_checked()
    wide.screenshot(path=str(artifacts_dir / "survey-scenarios-desktop.png"))
    wide.close()
    page.click("button[name=action][value=review]")

    # --- review: nothing missing; submit (a double click must still make one submission)
    expect(page.locator("h1")).to_have_text("检查并提交")
    expect(page.locator(".alert-ok")).to_be_visible()
    page.check("#commitment")  # the authenticity commitment (真实性承诺)
    page.locator(".submit-form button").dblclick()

    # --- diagnosis: level, radar chart drawn by the bundled Plotly
    expect(page.locator("[data-testid=level] #level-title")).to_have_text("二级")
    expect(page.locator("#radar[data-rendered='1'] svg.main-svg").first).to_be_visible()
    assert page.locator("#radar .scatterlayer .trace").count() >= 1
    expect(page.locator(".recs .rec").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "diagnosis-phone.png"), full_page=True)

    wide = desktop.new_page()
    wide.goto(page.url)
    expect(wide.locator("#radar[data-rendered='1'] svg.main-svg").first).to_be_visible()
    wide.screenshot(path=str(artifacts_dir / "diagnosis-desktop.png"), full_page=True)
    wide.goto(f"{server}/")
    expect(wide.locator(".q-row").first).to_contain_text("已提交 1 次")
    wide.screenshot(path=str(artifacts_dir / "enterprise-desktop.png"), full_page=True)
    desktop.close()
    phone.close()
