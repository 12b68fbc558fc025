"""A manager on a phone changes a statement's date: htmx swaps in the new figures without a
page load, and a refused date shows its message in place (a 400 is swapped in too)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.ledger.services import Line
from koperasi.tenancy.models import Role
from tests.conftest import make_coop, make_user
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_phone_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(browser, settings):
    """A phone whose console must stay clean but for the one refusal this journey asks for."""
    settings.AXES_ENABLED = False
    context = browser.new_context(locale="id-ID", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if ("Content Security Policy" in m.text or m.type == "error") and "400" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []


def test_the_position_follows_its_date_filter(live_server, phone):  # noqa: F811
    coop = make_coop(code="filter", name="KSP Filter")
    manager = make_user("manajer-f", coop, Role.MANAGER)
    cash, grants = (Account.objects.get(cooperative=coop, code=c) for c in ("1101", "3301"))
    for key, day, amount in (
        ("a", dt.date(2026, 1, 5), "1000000"),
        ("b", dt.date(2026, 3, 5), "250000"),
    ):
        ledger.post_entry(
            cooperative=coop,
            actor=None,
            memo=key,
            source="test",
            idempotency_key=key,
            business_date=day,
            lines=[Line(cash, debit=Decimal(amount)), Line(grants, credit=Decimal(amount))],
        )
    log_in(phone.context, live_server.url, manager)
    phone.goto(f"{live_server.url}/k/{coop.code}/laporan/posisi-keuangan/?compare=none")
    cash_row = phone.locator('tr[data-line="cash"] td').nth(1)
    assert cash_row.inner_text() == "1.250.000"
    phone.evaluate("window.sameDocument = true")
    phone.fill("#id_as_of", "2026-02-28")
    phone.locator("form.no-print button[type=submit]").first.click()
    # Waits by locator: a string predicate would be evaluated under the page's CSP (no eval).
    expect(phone.locator('tr[data-line="cash"] td').nth(1)).to_have_text("1.000.000")
    assert phone.evaluate("window.sameDocument === true")  # swapped by htmx, not a page load
    assert "as_of=2026-02-28" in phone.url  # and the address says what is shown
    # The date's change and the button's submit both ask; hx-sync drops the second while the
    # first is on its way, and the next fill must not race a swap still coming.
    expect(phone.locator("form.htmx-request")).to_have_count(0)
    phone.fill("#id_as_of", "2099-01-01")
    phone.locator("form.no-print button[type=submit]").first.click()
    expect(phone.locator("#report .field-error")).to_contain_text("2099")
    assert "2099" in phone.locator("#report .field-error").inner_text()
    assert phone.locator("#report-body table").count() == 0  # no figures for that date
    assert phone.evaluate("window.sameDocument === true")
