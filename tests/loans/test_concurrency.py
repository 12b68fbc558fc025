"""Concurrent loan movements on PostgreSQL: row locks keep savings from being overdrawn, an
application from being disbursed twice and an idempotency key from posting twice. (SQLite
serialises every writer, so there is nothing to race there.)"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from koperasi.errors import ServiceError
from koperasi.ledger.models import JournalEntry
from koperasi.ledger.selectors import ledger_violations
from koperasi.loans import services as loans
from koperasi.loans.models import Loan, LoanTransaction
from koperasi.loans.selectors import loan_violations
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.savings.selectors import savings_violations
from koperasi.tenancy.models import Role
from tests.conftest import make_coop, make_member, make_user, sukarela_account

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL for real concurrent transactions",
    ),
]

ON = dt.date(2026, 1, 15)


class Setup:
    """A cooperative with staff, a product and a member holding `funds` in sukarela."""

    def __init__(self, code: str, funds: str) -> None:
        self.coop = make_coop(code=code)
        self.officer = make_user(f"{code}-petugas", self.coop, Role.LOAN_OFFICER)
        self.manager = make_user(f"{code}-manajer", self.coop, Role.MANAGER)
        self.teller = make_user(f"{code}-kasir", self.coop, Role.TELLER)
        self.member = make_member(self.coop, self.teller)
        Member.objects.filter(pk=self.member.pk).update(joined_on=dt.date(2025, 1, 10))
        self.account = sukarela_account(self.coop, self.member)
        savings.deposit(
            cooperative=self.coop,
            actor=self.teller,
            account_id=self.account.pk,
            amount=funds,
            idempotency_key="fund",
        )
        # Declining 1,5 %/month, no fees: instalment 1 of 1.200.000 / 12 is 100.000 + 18.000.
        self.product = loans.create_product(
            cooperative=self.coop,
            actor=None,
            code="UJI",
            name="Uji",
            method="menurun",
            rate=Decimal("1.5"),
            rate_period="month",
            min_term=1,
            max_term=24,
            min_principal=Decimal("100000"),
            max_principal=Decimal("20000000"),
        )

    def approved(self):
        application = loans.apply(
            cooperative=self.coop,
            actor=self.officer,
            member_id=self.member.pk,
            product_id=self.product.pk,
            principal="1200000",
            term=12,
            purpose="Modal",
        )
        loans.analyse(
            cooperative=self.coop,
            actor=self.officer,
            application_id=application.pk,
            monthly_income="5000000",
            monthly_expenses="1000000",
        )
        return loans.approve(
            cooperative=self.coop,
            actor=self.manager,
            role=Role.MANAGER,
            application_id=application.pk,
        )

    def loan(self):
        return loans.disburse(
            cooperative=self.coop,
            actor=self.teller,
            application_id=self.approved().pk,
            idempotency_key="disburse",
            business_date_=ON,
        )

    def clean(self):
        assert ledger_violations(cooperative=self.coop) == []
        assert savings_violations(cooperative=self.coop) == []
        assert loan_violations(cooperative=self.coop) == []


def race(count, work):
    """Run work(n) in `count` threads released together; returns results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def codes(results):
    return sorted(r.code for r in results if isinstance(r, ServiceError))


@pytest.mark.django_db(transaction=True)
def test_repayments_from_one_savings_account_cannot_overdraw():
    world = Setup("conc-sav", "150000")
    loan = world.loan()

    def repay(n: int) -> int:
        return loans.repay(
            cooperative=world.coop,
            actor=world.teller,
            loan_id=loan.pk,
            amount="118000",
            idempotency_key=f"r-{n}",
            channel="savings",
            business_date_=dt.date(2026, 2, 15),
        ).pk

    results = race(4, repay)
    # 150.000 covers one instalment of 118.000; the other three are refused.
    assert codes(results) == ["insufficient_balance"] * 3, results
    world.account.refresh_from_db()
    assert world.account.balance == Decimal("32000.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("1100000.00")
    assert LoanTransaction.objects.filter(loan=loan, kind="repayment").count() == 1
    world.clean()


@pytest.mark.django_db(transaction=True)
def test_concurrent_cash_repayments_all_post_in_order():
    world = Setup("conc-cash", "0.01")
    loan = world.loan()

    def repay(n: int) -> int:
        return loans.repay(
            cooperative=world.coop,
            actor=world.teller,
            loan_id=loan.pk,
            amount="50000",
            idempotency_key=f"c-{n}",
            business_date_=dt.date(2026, 2, 15),
        ).pk

    results = race(6, repay)
    assert all(isinstance(r, int) for r in results), results
    # 300.000 in all: instalment 1 (118.000) and 2 (116.500), then 15.000 interest and 50.500
    # principal of no. 3, whatever order the six payments took.
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("949500.00")
    world.clean()


@pytest.mark.django_db(transaction=True)
def test_an_application_disbursed_twice_at_once_makes_one_loan():
    world = Setup("conc-disb", "0.01")
    application = world.approved()

    def disburse(n: int) -> int:
        return loans.disburse(
            cooperative=world.coop,
            actor=world.teller,
            application_id=application.pk,
            idempotency_key=f"d-{n}",
            business_date_=ON,
        ).pk

    results = race(4, disburse)
    assert codes(results) == ["already_disbursed"] * 3, results
    assert Loan.objects.filter(application=application).count() == 1
    assert JournalEntry.objects.filter(cooperative=world.coop, source="loans").count() == 1
    world.clean()


@pytest.mark.django_db(transaction=True)
def test_a_disbursement_retried_at_once_returns_the_same_loan():
    world = Setup("conc-retry", "0.01")
    application = world.approved()

    def disburse(n: int) -> int:
        return loans.disburse(
            cooperative=world.coop,
            actor=world.teller,
            application_id=application.pk,
            idempotency_key="one-click",
            to="savings",
            business_date_=ON,
        ).pk

    results = race(4, disburse)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    world.account.refresh_from_db()
    # 0,01 + the 1.200.000 paid in once (the product has no fees).
    assert world.account.balance == Decimal("1200000.01")
    world.clean()


@pytest.mark.django_db(transaction=True)
def test_a_repayment_retried_at_once_posts_once():
    # 150.000 covers the instalment once: a retry must get the original, not "insufficient".
    world = Setup("conc-key", "150000")
    loan = world.loan()

    def repay(n: int) -> int:
        return loans.repay(
            cooperative=world.coop,
            actor=world.teller,
            loan_id=loan.pk,
            amount="118000",
            idempotency_key="double-click",
            channel="savings",
            business_date_=dt.date(2026, 2, 15),
        ).pk

    results = race(4, repay)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    world.account.refresh_from_db()
    assert world.account.balance == Decimal("32000.00")
    assert LoanTransaction.objects.filter(loan=loan, kind="repayment").count() == 1
    world.clean()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False])
def test_a_repayment_reversed_twice_at_once_is_reversed_once(same_key):
    world = Setup(f"conc-rev-{same_key}".lower(), "200000")
    loan = world.loan()
    payment = loans.repay(
        cooperative=world.coop,
        actor=world.teller,
        loan_id=loan.pk,
        amount="118000",
        idempotency_key="pay",
        channel="savings",
        business_date_=dt.date(2026, 2, 15),
    )

    def reverse(n: int) -> int:
        return loans.reverse_repayment(
            cooperative=world.coop,
            actor=world.teller,
            transaction_id=payment.pk,
            reason="Salah input",
            idempotency_key="rev" if same_key else f"rev-{n}",
        ).pk

    results = race(4, reverse)
    reversals = [r for r in results if isinstance(r, int)]
    if same_key:
        assert len(reversals) == 4 and len(set(reversals)) == 1, results
    else:
        assert len(reversals) == 1 and codes(results) == ["already_reversed"] * 3, results
    world.account.refresh_from_db()
    assert world.account.balance == Decimal("200000.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("1200000.00")
    assert LoanTransaction.objects.filter(loan=loan, kind="reversal").count() == 1
    world.clean()
