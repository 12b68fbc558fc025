"""Phone first: at 390 px every page fits the screen (nothing scrolls sideways), the menu folds
behind a button, and the tables that matter show their key figures without scrolling. Real
Chromium, screenshots in test-artifacts/ (phone-<page>.png)."""

import re

import pytest
from django.test import Client

from tests.e2e.conftest import SCREENSHOTS, VIEWPORTS
from tests.web.site_pages import build_world, every_page

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = VIEWPORTS["phone"]


def log_in(context, base: str, user) -> None:
    """Give the browser `user`'s session (the login form itself is tested in the journeys)."""
    context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


def fits(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def table_overflow(page, selector: str) -> int:
    """How many pixels the table in `selector` is wider than the screen space it has."""
    return page.evaluate(
        """(selector) => {
            const table = document.querySelector(selector);
            const box = table.closest('.table-wrap') || table.parentElement;
            return Math.max(table.scrollWidth - box.clientWidth,
                            table.getBoundingClientRect().right - window.innerWidth);
        }""",
        selector,
    )


def visible_right_edge(page, selector: str) -> float:
    """The right edge of the last visible cell of every row of `selector` (0 if none)."""
    return page.evaluate(
        """(selector) => Math.max(0, ...[...document.querySelectorAll(selector)]
            .filter((cell) => cell.offsetParent !== null)
            .map((cell) => cell.getBoundingClientRect().right))""",
        selector,
    )


@pytest.fixture
def phone(browser, settings):
    settings.AXES_ENABLED = False
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == [], "the browser reported problems"


def test_every_page_fits_a_phone_and_the_key_tables_show_their_figures(live_server, phone):
    world = build_world(None)
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wide = []
    current_user = object()
    for index, page_info in enumerate(p for p in every_page(world) if p.html):
        user = world.users.get(page_info.user)
        if user is not current_user:
            log_in(phone.context, base, user)
            current_user = user
        response = phone.goto(base + page_info.url)
        assert response.status == 200, page_info.url
        phone.wait_for_load_state("networkidle")
        name = re.sub(r"[^a-z0-9]+", "-", page_info.name.lower()).strip("-")
        phone.screenshot(path=str(SCREENSHOTS / f"phone-{index:02d}-{name}.png"), full_page=True)
        if fits(phone) > PHONE["width"] + 1:
            wide.append(f"{page_info.url}: {fits(phone)} px")
    assert wide == [], "pages wider than a phone"


def test_the_menu_folds_behind_a_button_on_a_phone(live_server, phone):
    world = build_world(None)
    log_in(phone.context, live_server.url, world.users["admin"])
    phone.goto(f"{live_server.url}/k/{world.coop.code}/")
    members_link = phone.locator("[data-menu=main] a", has_text="Anggota")
    assert not members_link.is_visible()
    phone.click("details.site-menu > summary")
    assert members_link.is_visible()
    phone.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"), full_page=True)
    members_link.click()
    phone.wait_for_url(re.compile(r".*/anggota/$"))
    assert not phone.locator("[data-menu=main] a", has_text="Dasbor").is_visible()


def test_on_a_desktop_the_menu_is_always_open(live_server, browser):
    world = build_world(None)
    context = browser.new_context(locale="id-ID", viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(context, live_server.url, world.users["admin"])
    page.goto(f"{live_server.url}/k/{world.coop.code}/")
    assert page.locator("[data-menu=main] a", has_text="Anggota").is_visible()
    assert not page.locator("details.site-menu > summary").is_visible()
    context.close()


def test_key_tables_show_balance_and_amount_due_without_scrolling(live_server, phone):
    world = build_world(None)
    base, code = live_server.url, world.coop.code

    log_in(phone.context, base, world.users["teller"])
    phone.goto(f"{base}/k/{code}/simpanan/?member={world.member.pk}")
    assert table_overflow(phone, "#member-accounts") <= 0
    assert 0 < visible_right_edge(phone, "#member-accounts td.money") <= PHONE["width"]
    assert "Rp 2.000.000" in phone.locator("#member-accounts").inner_text()

    phone.goto(f"{base}/k/{code}/anggota/")
    assert table_overflow(phone, "#member-table table") <= 0
    assert 0 < visible_right_edge(phone, "#member-table td.member-status") <= PHONE["width"]

    log_in(phone.context, base, world.users["member"])
    phone.goto(f"{base}/saya/pinjaman/{world.loan.pk}/")
    assert table_overflow(phone, "#schedule") <= 0
    assert 0 < visible_right_edge(phone, "#schedule td.amount-due") <= PHONE["width"]
