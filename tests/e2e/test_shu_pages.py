"""The distributed SHU on a phone (390 px): the distribution report, a teller paying a share in
cash and its receipt, and the member's own SHU page, each without sideways scrolling."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.ledger.services import Line
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.shu import services as shu
from koperasi.tenancy.models import Role
from tests.conftest import make_coop, make_member, make_user
from tests.e2e.test_phone_pages import (
    PHONE,
    fits,
    log_in,
    phone,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)


def _distributed_year():
    """A cooperative whose last year made a surplus, its members holding wajib savings then;
    December and the year closed, the SHU distributed with the shares left payable."""
    coop = make_coop(code="shuhp", name="KSP SHU Ponsel")
    coop.legal_entity_date = dt.date(2020, 1, 1)
    coop.save(update_fields=["legal_entity_date"])
    admin = make_user("admin-shuhp", coop, Role.ADMIN)
    teller = make_user("kasir-shuhp", coop, Role.TELLER)
    year = ledger.business_today(coop).year - 1
    people = [make_member(coop, teller) for _ in range(3)]
    for n, member in enumerate(people):
        wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=wajib.pk,
            amount=str(100_000 * (n + 1)),
            idempotency_key=f"wajib-{n}",
            business_date=dt.date(year, 6, 1),
        )
    cash, income = (Account.objects.get(cooperative=coop, code=c) for c in ("1101", "4101"))
    ledger.post_entry(
        cooperative=coop,
        actor=None,
        memo="pendapatan",
        source="test",
        idempotency_key="income",
        business_date=dt.date(year, 11, 1),
        lines=[Line(cash, debit=Decimal("900000")), Line(income, credit=Decimal("900000"))],
    )
    ledger.close_month(cooperative=coop, actor=None, year=year, month=12, by_close=True)
    shu.close_year(cooperative=coop, actor=admin, year=year)
    shu.distribute(
        cooperative=coop,
        actor=admin,
        year=year,
        approved_on=dt.date(year + 1, 3, 1),
        approval_reference="RAT 1",
        idempotency_key="rat",
    )
    login = members.create_portal_login(
        cooperative=coop, actor=None, member=people[0], password="ubi-jalar-sikka-5", username="m1"
    )
    return coop, year, teller, login


def test_the_distributed_shu_fits_a_phone(live_server, phone):  # noqa: F811
    coop, year, teller, login = _distributed_year()
    base = live_server.url
    log_in(phone.context, base, teller)
    phone.goto(f"{base}/k/{coop.code}/shu/{year}/pembagian/")
    assert phone.locator("[data-share]").count() == 3
    assert fits(phone) <= PHONE["width"] + 1
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.locator("[data-share] button", has_text="Bayar tunai").first.click()
    phone.wait_for_url(re.compile(r"/shu/kwitansi/\d+/$"))
    assert "rupiah" in phone.locator(".words").inner_text().lower()  # the amount in words
    assert fits(phone) <= PHONE["width"] + 1
    log_in(phone.context, base, login)
    phone.goto(f"{base}/saya/shu/")
    assert phone.locator("[data-paid]").first.inner_text().startswith("Dibayar")
    assert fits(phone) <= PHONE["width"] + 1
