"""The programme pages at phone width, on the demo: every page opens filled, nothing wider than the
screen (wide tables scroll inside their own box), and a rule refusal reads in Chinese. Screenshots go
to ``tests/artifacts/`` for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from diagnostics.store.db import make_engine, session_factory, upgrade
from diagnostics.store.demo_data import DEMO_PASSWORD, seed_demo
from survey_app import create_app
from survey_app.accounts.passwords import hash_password
from tests.browser.support import PHONE, require_chromium, serve

PAGES = ("/programme/", "/programme/projects", "/programme/projects/1", "/programme/providers",
         "/programme/solutions", "/programme/cases", "/programme/experts", "/programme/evaluation",
         "/programme/projects/new", "/programme/experts/1", "/programme/experts/1/edit", "/programme/experts/1/delete",
         "/programme/deployments/1/edit", "/programme/deployments/1/delete", "/programme/cases/1/edit",
         "/programme/cases/1/delete")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('programme') / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as s:
        seed_demo(s, enterprises=60, password_hasher=hash_password)
        s.commit()
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-test", "TESTING": True})
    with serve(app) as base:
        yield base



def test_programme_pages_fit_a_phone_and_refuse_in_chinese(server: str, browser: Browser, artifacts_dir: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:has(input[name=username]) button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server}/programme/")
    chinese = page.locator("button[name=lang][value=zh_CN]")
    if chinese.count():  # the browser asked for English: switch as a person would
        chinese.click()
        page.wait_for_load_state()
    for path in PAGES:
        response = page.goto(f"{server}{path}")
        assert response is not None and response.status == 200 and "/login" not in page.url, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (path, width)
        name = path.strip("/").replace("/", "-") or "programme"
        page.screenshot(path=str(artifacts_dir / f"phone-{name}.png"), full_page=True)
    page.goto(f"{server}/programme/")
    overview = page.content()
    assert "试点验收指标" in overview and "服务商能力手册" in overview

    page.goto(f"{server}/programme/projects/1")
    landing = page.locator("span.mono").first.inner_text()
    page.goto(f"{server}/programme/projects/new")
    page.fill("input[name=name]", "同一企业的第二个项目")
    page.fill("input[name=year]", "2025")
    page.locator("input[name=providers]").first.check()
    page.fill("textarea[name=landing]", landing)
    page.click("form.programme-form button[type=submit]")
    page.wait_for_load_state()
    alert = page.locator(".alert-error").inner_text()
    assert "不符合试点规则" in alert and "每家制造业企业每年最多参加1个项目" in alert
    page.screenshot(path=str(artifacts_dir / "phone-programme-refused.png"), full_page=True)
    context.close()
