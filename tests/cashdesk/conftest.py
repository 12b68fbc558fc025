"""A teller with a day of cash: receipts and a payment, some dated the day before."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.ledger import services as ledger
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import make_user, sukarela_account

D = Decimal


@pytest.fixture
def manager(coop):
    return make_user("manajer", coop, Role.MANAGER)


@pytest.fixture
def today(coop):
    return ledger.business_today(coop)


@pytest.fixture
def cash_day(coop, teller, member, today):
    """Yesterday: the pokok (100.000, by make_member today) aside, 300.000 in; today 500.000 in
    and 120.000 out. Opening today 300.000; closing 300.000 + 600.000 − 120.000 = 780.000."""
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=D("300000"),
        idempotency_key="kemarin",
        business_date=today - dt.timedelta(days=1),
    )
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=D("500000"),
        idempotency_key="hari-ini",
    )
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=D("120000"),
        idempotency_key="tarik",
    )
    return account
