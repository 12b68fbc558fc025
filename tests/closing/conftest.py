"""Close fixtures: a fixed "today", borrowers with accrual and cash-basis loans, closing."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest

from koperasi.closing import services as closing
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanAccrual, LoanProduct
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import gl_balances, make_member, make_user
from tests.loans.conftest import analysed_application

ON = dt.date(2026, 1, 15)  # every loan here is disbursed on this day
TODAY = dt.date(2026, 6, 30)  # the cooperative's "today" while closing


@contextmanager
def today_is(day):
    # Where it is defined (the business date reads it there) and where callers find it.
    with (
        mock.patch("koperasi.ledger.services.periods.local_today", return_value=day),
        mock.patch("koperasi.ledger.services.local_today", return_value=day),
    ):
        yield


@pytest.fixture(autouse=True)
def _fixed_today():
    with today_is(TODAY):
        yield


def start_closing_after(coop, day):
    """The cooperative has closed every day through `day` (its close history starts there)."""
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=day)
    coop.refresh_from_db()


def close_days(coop, to, actor=None):
    run = closing.start_day_close(cooperative=coop, actor=actor, to=to)
    return closing.execute(run, actor=actor)


def close_month(coop, year, month, actor=None):
    run = closing.start_month_close(cooperative=coop, actor=actor, year=year, month=month)
    return closing.execute(run, actor=actor)


def staff(coop, suffix=""):
    return {
        "officer": make_user(f"petugas{suffix}", coop, Role.LOAN_OFFICER),
        "manager": make_user(f"manajer{suffix}", coop, Role.MANAGER),
        "teller": make_user(f"kasir{suffix}", coop, Role.TELLER),
    }


def make_loan(coop, people, code="PP", principal="6000000"):
    """A loan of product `code` disbursed on ON in cash. PP: annuity 18 % a year, 12 months,
    accrual basis, instalment 551.000 (first interest 90.000); UJI-like cash products from the
    loans fixtures are made by the caller."""
    teller = people["teller"]
    borrower = make_member(coop, teller, joined_on=None)
    borrower.joined_on = dt.date(2025, 1, 10)
    borrower.save(update_fields=["joined_on"])
    product = LoanProduct.objects.get(cooperative=coop, code=code)
    extra = {}
    if product.requires_collateral:
        extra["collaterals"] = [loans.CollateralInput("shm", "SHM", principal)]
    if product.min_guarantors:
        extra["guarantor_ids"] = [
            make_member(coop, teller).pk for _ in range(product.min_guarantors)
        ]
    application = analysed_application(
        coop, borrower, product, people["officer"], principal=principal, **extra
    )
    loans.approve(
        cooperative=coop, actor=people["manager"], role=Role.MANAGER, application_id=application.pk
    )
    return loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key=f"d-{application.pk}",
        business_date_=ON,
    )


D = Decimal


def books_state(coop, loans):
    """What a close leaves behind: the general ledger, each loan's accrued interest and class,
    each instalment's accrued interest and penalty, and the number of accruals booked."""
    return {
        "balances": gl_balances(coop),
        "loans": [
            Loan.objects.filter(pk=loan.pk).values_list("accrued_interest", "collectibility").get()
            for loan in loans
        ],
        "rows": [
            list(
                Instalment.objects.filter(loan=loan)
                .order_by("no")
                .values_list("interest_accrued", "penalty")
            )
            for loan in loans
        ],
        "accruals": LoanAccrual.objects.filter(cooperative=coop).count(),
    }
