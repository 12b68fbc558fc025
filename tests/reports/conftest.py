"""A small hand-checkable loan book: six loans in known classes and days past due."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from koperasi.ledger import services as ledger
from koperasi.loans import services as loans
from koperasi.loans.models import Loan
from koperasi.tenancy.models import Role
from tests.conftest import make_coop, make_member, make_user
from tests.loans.conftest import borrower, disbursed_loan, manager, officer, product

# Fixtures of the loan tests, for the member annual statement's tests.
__all__ = ["borrower", "manager", "officer", "product"]

# (principal, days past due, class, collateral) of each loan; bank-style classes.
LOANS = (
    ("1000000", 0, 1, "0"),
    ("2000000", 29, 2, "0"),
    ("3000000", 30, 2, "0"),
    ("4000000", 60, 2, "0"),
    ("5000000", 90, 2, "0"),
    ("6000000", 91, 3, "2000000"),
)


@dataclass
class Book:
    coop: Any
    officer: Any
    manager: Any
    teller: Any
    product: Any
    loans: list[Any]
    today: dt.date


def build_book(code: str = "kopdit", legal: dt.date = dt.date(2020, 1, 1)) -> Book:
    coop = make_coop(code=code, name=f"KSP {code}", legal_entity_date=legal)
    admin = make_user(f"admin-{code}", coop, Role.ADMIN)
    officer = make_user(f"petugas-{code}", coop, Role.LOAN_OFFICER)
    manager = make_user(f"manajer-{code}", coop, Role.MANAGER)
    teller = make_user(f"kasir-{code}", coop, Role.TELLER)
    product = loans.create_product(
        cooperative=coop,
        actor=admin,
        code="UJI",
        name="Pinjaman Uji",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=1,
        max_term=24,
        min_principal=Decimal("100000"),
        max_principal=Decimal("20000000"),
    )
    today = ledger.business_today(coop)
    made = []
    for principal, dpd, klass, collateral in LOANS:
        member = make_member(coop, teller)
        member.joined_on = dt.date(2024, 1, 10)
        member.save(update_fields=["joined_on"])
        loan = disbursed_loan(
            coop, member, product, officer, manager, teller, on=today, principal=principal
        )
        Loan.objects.filter(pk=loan.pk).update(
            days_past_due=dpd, collectibility=klass, collateral_value=Decimal(collateral)
        )
        made.append(loan)
    return Book(coop, officer, manager, teller, product, made, today)


@pytest.fixture
def book(db):
    return build_book()
