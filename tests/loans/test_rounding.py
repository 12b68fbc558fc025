"""Loan limits and figures round half-up through domain/money.py (issue 12 point 22).

They used a bare ``.quantize(Decimal("0.01"))``, which rounds half-even: on an exact half sen
with an even sen digit before it, the limit came out a sen lower than the documented half-up
rule gives. Each case below sits on such a half.
"""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.domain.schedule import Instalment, Schedule
from koperasi.ledger import services as ledger
from koperasi.loans import application_views
from koperasi.loans import services as loans
from koperasi.loans.models import LoanProduct
from koperasi.loans.services.terms import monthly_burden
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative
from tests.conftest import make_member, sukarela_account
from tests.loans.conftest import analysed_application

D = Decimal
pytestmark = pytest.mark.usefixtures("books_checked")


def test_capacity_and_collateral_limits_round_half_up(coop, officer, borrower, product):
    LoanProduct.objects.filter(pk=product.pk).update(
        max_instalment_income_pct=D("50"), requires_collateral=True, min_collateral_pct=D("50")
    )
    product.refresh_from_db()
    application = analysed_application(
        coop, borrower, product, officer, principal="1200000.01", income="1000000.01", expenses="0"
    )
    assessment = loans.assess_application(cooperative=coop, application=application)
    # 1.000.000,01 × 50 % = 500.000,005 and 1.200.000,01 × 50 % = 600.000,005: half-up gives
    # ,01 (half-even gave ,00).
    assert assessment.capacity_limit == D("500000.01")
    assert assessment.collateral_needed == D("600000.01")


def test_savings_multiple_limit_rounds_half_up(coop, officer, teller, borrower, product):
    account = sukarela_account(coop, borrower)
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount="1000.01", idempotency_key="s"
    )
    LoanProduct.objects.filter(pk=product.pk).update(max_savings_multiple=D("0.5"))
    product.refresh_from_db()
    # Savings: pokok 100.000 + sukarela 2.001.000,01 = 2.101.000,01; × 0,5 = 1.050.500,005,
    # so at most 1.050.500,01 (half-even allowed only 1.050.500,00).
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1050500.01",
        term=12,
        purpose="Modal warung",
    )
    assert application.principal == D("1050500.01")


def test_related_party_limit_rounds_half_up(coop, officer, teller, admin_user, product):
    insider = make_member(coop, teller)
    Member.objects.filter(pk=insider.pk).update(office=Member.Office.BOARD)
    Cooperative.objects.filter(pk=coop.pk).update(related_party_cap_pct=D("50"))
    coop.refresh_from_db()
    ledger.post_manual_entry(
        cooperative=coop,
        actor=admin_user,
        lines=[("1101", D("0.01"), D("0")), ("3103", D("0"), D("0.01"))],
        memo="Modal penyertaan",
        idempotency_key="modal-sen",
    )
    application = analysed_application(coop, insider, product, officer)
    assessment = loans.assess_application(cooperative=coop, application=application)
    # own capital: pokok 100.000 + 0,01 = 100.000,01; × 50 % = 50.000,005 -> 50.000,01
    assert assessment.related_party_limit == D("50000.01")


def test_monthly_burden_of_a_daily_instalment_rounds_half_up():
    # 0,06 × 365 / 12 = 1,825: half-up 1,83 (half-even gave 1,82)
    row = Instalment(1, dt.date(2026, 1, 2), D("0.06"), D("0.00"), D("0.06"), D("0.00"))
    schedule = Schedule((row,), D("0.00"), D("0.06"))
    assert monthly_burden(schedule, "daily") == D("1.83")
    assert monthly_burden(schedule, "monthly") == D("0.06")


def test_problem_loan_ratio_rounds_half_up(monkeypatch):
    # 246,90 of 2.000 outstanding in class 3 or worse: 12,345 % -> 12,35 % (half-even 12,34 %)
    rows = [(1, 3, D("1753.10")), (3, 1, D("246.90"))]
    monkeypatch.setattr(
        application_views.selectors, "portfolio_summary", lambda *, cooperative: rows
    )
    summary = application_views._summary(None)  # type: ignore[arg-type]
    assert summary["problem_pct"] == D("12.35")
    assert summary["total"] == D("2000.00")
