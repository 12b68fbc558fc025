"""Loan fixtures: staff in every lending role and a member who may borrow."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.loans import services as loans
from koperasi.loans.models import LoanProduct
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user, sukarela_account


@pytest.fixture
def officer(coop):
    return make_user("petugas", coop, Role.LOAN_OFFICER)


@pytest.fixture
def manager(coop):
    return make_user("manajer", coop, Role.MANAGER)


@pytest.fixture
def borrower(coop, teller):
    """An active member of a year's standing with Rp 2.000.000 in sukarela."""
    member = make_member(coop, teller, joined_on=None)
    member.joined_on = dt.date(2025, 1, 10)
    member.save(update_fields=["joined_on"])
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("2000000"),
        idempotency_key=f"fund-{member.pk}",
    )
    return member


@pytest.fixture
def people(coop, officer, manager, teller):
    """The staff a loan passes through, by what they do."""
    return {"officer": officer, "manager": manager, "teller": teller}


@pytest.fixture
def product(coop, admin_user):
    """Declining balance 1,5 %/month, no rounding, cash basis, 0,1 %/day penalty after 3 days."""
    return loans.create_product(
        cooperative=coop,
        actor=admin_user,
        code="UJI",
        name="Pinjaman Uji",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=1,
        max_term=24,
        min_principal=Decimal("100000"),
        max_principal=Decimal("20000000"),
        provisi_pct=Decimal("1"),
        admin_fee=Decimal("10000"),
        penalty_kind="pct_day",
        penalty_rate=Decimal("0.1"),
        penalty_grace_days=3,
    )


def approved_application(coop, borrower, product, officer, manager, principal="1200000", term=12):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal=principal,
        term=term,
        purpose="Modal warung",
    )
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
    )
    return loans.approve(
        cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk
    )


def disbursed_loan(coop, borrower, product, officer, manager, teller, on, **kw):
    application = approved_application(coop, borrower, product, officer, manager, **kw)
    return loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key=f"disb-{application.pk}",
        business_date_=on,
    )


__all__ = [
    "LoanProduct",
    "analysed_application",
    "approved_application",
    "check_books",
    "disbursed_loan",
]


def analysed_application(
    coop,
    borrower,
    product,
    officer,
    principal="1200000",
    term=12,
    income="5000000",
    expenses="2000000",
    **analysis,
):
    """Entered and analysed by `officer`, ready for someone else to decide."""
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal=principal,
        term=term,
        purpose="Modal usaha",
    )
    return loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income=income,
        monthly_expenses=expenses,
        **analysis,
    )


def check_books(coop):
    """`koperasi check` passes and the loan sub-ledger reconciles (raises otherwise)."""
    from django.core.management import call_command

    from koperasi.loans.selectors import loan_violations

    assert loan_violations(cooperative=coop) == []
    call_command("books_check")


@pytest.fixture
def books_checked(coop):
    """`koperasi check` must pass after the test (a module opts in with usefixtures)."""
    yield
    check_books(coop)
