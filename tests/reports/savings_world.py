"""Fixtures of the savings reports' tests (imported by their modules, so the fixed today
applies to them only). A cooperative with two closed months of savings: interest with tax,
wajib bills, payments.

Today is 15/03/2026; January and February are closed by the day-end and month-end close:
- Maria has 120.000.000 in sukarela from 02/01 (interest above Rp 240.000 a month: taxed) and
  pays no wajib: she owes the February and March bills (2 months, 100.000, oldest February);
- Yosef has 1.000.000 in sukarela and pays one wajib month on 10/02: he owes March only.
"""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative, Role
from tests.closing.conftest import close_days, close_month, start_closing_after, today_is
from tests.conftest import make_member, make_user, sukarela_account

D = Decimal
TODAY = dt.date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _fixed_today():
    with today_is(TODAY):
        yield


@pytest.fixture(name="savings_world")
def savings_world_fixture(coop):
    Cooperative.objects.filter(pk=coop.pk).update(books_closed_through=dt.date(2025, 12, 31))
    start_closing_after(coop, dt.date(2025, 12, 31))
    teller = make_user("kasir", coop, Role.TELLER)
    maria = make_member(coop, teller, name="Maria Goreti")
    yosef = make_member(coop, teller, name="Yosef Bala")

    def pay(member, kind, amount, day, key):
        if kind == "sukarela":
            account = sukarela_account(coop, member, teller)
        else:
            account = SavingsAccount.objects.get(member=member, product__kind=kind)
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount=D(amount),
            idempotency_key=key,
            business_date=day,
        )

    pay(maria, "sukarela", "120000000", dt.date(2026, 1, 2), "m-ss")
    pay(yosef, "sukarela", "1000000", dt.date(2026, 1, 2), "y-ss")
    close_days(coop, dt.date(2026, 1, 31))
    close_month(coop, 2026, 1)
    pay(yosef, "wajib", "50000", dt.date(2026, 2, 10), "y-sw")
    close_days(coop, dt.date(2026, 2, 28))
    close_month(coop, 2026, 2)
    coop.refresh_from_db()
    return {"coop": coop, "maria": maria, "yosef": yosef, "teller": teller}
