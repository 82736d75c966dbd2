"""The console in a real browser, as each role, at desktop and phone width.

Opens every page a role is shown (admin, viewer, commissioner, enterprise), saves a screenshot of each,
asserts that no page shows a code where a name belongs (``foundation``, ``beginner``, snake_case) and
that no link the page shows answers 403 for that role; clicks a cell of the industry map's heat map and
expects its scenarios to open; filters the directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import select

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.db import make_engine, session_factory, upgrade
from diagnostics.store.demo_data import DEMO_PASSWORD, seed_demo
from diagnostics.store.models import Assignment, Enterprise, User
from flows.context import DIRECT
from flows.pipeline import run_pipeline_stages
from survey_app import create_app
from survey_app.accounts.passwords import hash_password
from tests.browser.support import DESKTOP, PHONE, require_chromium, serve

SIZES: dict[str, ViewportSize] = {"desktop": DESKTOP, "phone": PHONE}
# a dotted name ("pilot file needs.common_share") is a source reference, not a code shown instead of a name
CODE_WORDS = re.compile(r"(?<![.\w])(foundation|management|results|beginner|follower|not_started|[a-z]+_[a-z_]+)\b")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.db'}"
    upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "database_url", url)
        patch.setattr(settings, "report_dir", tmp_path_factory.mktemp("reports"))
        cluster_data.clear_cache()
        session = session_factory(make_engine(url))()
        seed_demo(session, enterprises=60, password_hasher=hash_password)
        session.commit()
        run_pipeline_stages(None, runner=DIRECT)
        commissioner = session.scalar(select(User).where(User.username == "commissioner"))
        assert commissioner is not None
        assigned = session.scalar(select(Assignment.enterprise_id).where(Assignment.user_id == commissioner.id))
        own = session.scalar(select(User.enterprise_id).where(User.username == "enterprise1"))
        jdz_firm = session.scalars(select(Enterprise.id).order_by(Enterprise.id)).first()
        session.close()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-console", "TESTING": True})
        with serve(app) as base:
            yield {"base": base, "assigned": assigned, "own": own, "firm": jdz_firm}
    cluster_data.clear_cache()



def pages_for(role: str, demo: dict[str, object]) -> list[str]:
    officials = ["/dashboard/", "/dashboard/map", "/dashboard/enterprises", f"/dashboard/enterprises/{demo['firm']}",
                 "/dashboard/needs", "/dashboard/shortlist", "/dashboard/downloads"]
    return {
        "admin": [*officials, "/dashboard/technical", "/admin/enterprises"],
        "viewer": [*officials, "/admin/enterprises"],
        "commissioner": ["/field/", f"/enterprises/{demo['assigned']}", f"/dashboard/enterprises/{demo['assigned']}"],
        "enterprise1": [f"/enterprises/{demo['own']}", f"/dashboard/enterprises/{demo['own']}"],
    }[role]


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not log in"


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def check_links(page: Page, base: str, checked: dict[str, int]) -> None:
    """Every internal link the page shows answers something other than 403 (one per URL pattern)."""
    hrefs = page.eval_on_selector_all("main a[href], header a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        if not href or href.startswith(("#", "http", "mailto:")):
            continue
        key = _pattern(href.split("?")[0]) + ("?" if "?" in href else "")
        if key in checked:
            continue
        checked[key] = page.request.get(base + href, max_redirects=0).status
        assert checked[key] != 403, (href, page.url)


@pytest.mark.parametrize("role", ["admin", "viewer", "commissioner", "enterprise1"])
def test_each_role_sees_names_and_no_forbidden_links(role: str, demo: dict[str, object], browser: Browser,
                                                     artifacts_dir: Path) -> None:
    base = str(demo["base"])
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        login(page, base, role)
        checked: dict[str, int] = {}
        for path in pages_for(role, demo):
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (role, path)
            assert page.url.endswith(path), (role, path, page.url)  # not redirected to the log-in page
            page.wait_for_load_state("networkidle")
            text = page.inner_text("body")
            assert not CODE_WORDS.findall(text), (role, path, sorted(set(CODE_WORDS.findall(text))))
            holders = page.locator("[data-figure-holder]")
            for i in range(holders.count()):  # every chart on the page is drawn, not only the first
                expect(holders.nth(i)).to_have_attribute("data-rendered", "1")
            if size == "phone":  # the top bar's links stay on one row (they scroll sideways), however many
                rows = page.evaluate("""() => { const n = document.querySelector('nav.nav');
                    const a = n && n.querySelector('a'); return a ? n.clientHeight / a.offsetHeight : 1; }""")
                assert rows < 1.6, (role, path, rows)
            name = _pattern(path.strip("/").replace("/", "-")) or "home"
            page.screenshot(path=str(artifacts_dir / f"console-{role}-{name}-{size}.png"), full_page=True)
            if size == "desktop":
                check_links(page, base, checked)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, (role, path, size)
        context.close()


def test_clicking_a_map_cell_opens_its_scenarios(demo: dict[str, object], browser: Browser,
                                                  artifacts_dir: Path) -> None:
    base = str(demo["base"])
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        login(page, base, "admin")
        page.goto(f"{base}/dashboard/map")
        holder = page.locator("#fig-map")
        expect(holder).to_have_attribute("data-rendered", "1")
        holder.scroll_into_view_if_needed()
        point = page.evaluate("""() => {  // the centre of the first cell that has scenarios, in viewport pixels
            const gd = document.getElementById('fig-map'), t = gd.data[0], xa = gd._fullLayout.xaxis,
                  ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
            for (let i = 0; i < t.z.length; i++) for (let j = 0; j < t.z[i].length; j++)
                if (t.z[i][j] !== null)
                    return [r.left + xa._offset + xa.d2p(t.x[j]), r.top + ya._offset + ya.d2p(t.y[i])];
            return null; }""")
        assert point is not None
        page.mouse.click(point[0], point[1])
        detail = page.locator("[data-testid=cell-detail]")
        expect(detail).to_be_visible()
        expect(detail.locator("h3")).to_contain_text("×")
        page.click("[data-heat-mode='1']")
        expect(page.locator("[data-heat-mode='1']")).to_have_attribute("aria-pressed", "true")
        page.screenshot(path=str(artifacts_dir / f"console-map-cell-{size}.png"), full_page=True)
        context.close()


def test_filtering_the_directory(demo: dict[str, object], browser: Browser, artifacts_dir: Path) -> None:
    base = str(demo["base"])
    context = browser.new_context(viewport=SIZES["phone"], locale="zh-CN")
    page = context.new_page()
    login(page, base, "admin")
    page.goto(f"{base}/dashboard/enterprises")
    before = page.inner_text("[data-testid=matched]")
    page.select_option("select[name=size]", "small")
    page.select_option("select[name=sort]", "-total")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "size=small" in page.url
    after = page.inner_text("[data-testid=matched]")
    assert after != before
    sizes = page.locator("[data-testid=directory] tbody tr td:nth-child(2)").all_inner_texts()
    assert sizes and set(sizes) == {"小型"}
    page.screenshot(path=str(artifacts_dir / "console-directory-filtered-phone.png"), full_page=True)
    context.close()
