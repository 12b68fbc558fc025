"""Reversing a repayment or payoff by a reversal entry.

The test loan and its schedule: see conftest.py.
"""

import datetime as dt

import pytest

from koperasi.errors import ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import (
    LoanProduct,
    LoanTransaction,
)
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, sukarela_account
from tests.loans.conftest import (
    analysed_application,
    check_books,
    disbursed_loan,
)
from tests.loans.lifecycle.conftest import (
    ON,
    D,
    lines,
    refused,
    repay,
    rows,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- reversal


def test_reversal_restores_rows_outstanding_status_and_savings(coop, borrower, teller, loan):
    account = sukarela_account(coop, borrower)
    before_rows = [(r.principal_paid, r.interest_paid, r.paid_on) for r in rows(loan)]
    # The whole debt, 1.317.000, from savings: the loan closes.
    payment = repay(coop, teller, loan, "1317000", "r1", dt.date(2026, 2, 15), channel="savings")
    loan.refresh_from_db()
    account.refresh_from_db()
    assert (loan.status, account.balance) == ("closed", D("683000"))
    reversal = loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah pinjaman",
        idempotency_key="rev1",
    )
    loan.refresh_from_db()
    account.refresh_from_db()
    assert (loan.status, loan.closed_on, loan.outstanding_principal) == (
        "active",
        None,
        D("1200000"),
    )
    assert account.balance == D("2000000")
    assert [(r.principal_paid, r.interest_paid, r.paid_on) for r in rows(loan)] == before_rows
    assert (reversal.kind, reversal.reverses_id, reversal.amount, reversal.principal) == (
        "reversal",
        payment.pk,
        D("-1317000"),
        D("1200000"),
    )
    assert reversal.journal_entry.reversal_of_id == payment.journal_entry_id
    assert lines(reversal.journal_entry) == [
        ("1201", D("1200000"), D("0")),
        ("2101", D("0"), D("1317000")),
        ("4101", D("117000"), D("0")),
    ]
    assert SavingsTransaction.objects.filter(account=account, kind="reversal").count() == 1
    # The same key again returns the reversal; another key is refused.
    again = loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah pinjaman",
        idempotency_key="rev1",
    )
    assert again.pk == reversal.pk
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Lagi",
        idempotency_key="rev2",
    )
    assert error.code == "already_reversed"
    assert books_snapshot(coop) == before
    check_books(coop)


def test_reversal_takes_back_an_excess_paid_into_savings(coop, borrower, officer, manager, teller):
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    account = sukarela_account(coop, borrower)
    payment = repay(coop, teller, loan, "150000", "r1", dt.date(2026, 2, 15))
    # The member withdraws everything (2.038.000): the 38.000 excess cannot be taken back.
    savings.withdraw(
        cooperative=coop, actor=teller, account_id=account.pk, amount="2038000", idempotency_key="w"
    )
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    assert error.code == "insufficient_balance"
    assert books_snapshot(coop) == before
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount="40000", idempotency_key="d"
    )
    loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    account.refresh_from_db()
    loan.refresh_from_db()
    assert account.balance == D("2000")  # 40.000 − 38.000
    assert loan.outstanding_principal == D("1200000")
    assert rows(loan)[0].amount_due == D("112000")
    check_books(coop)


def test_reversing_an_older_repayment_while_a_later_stands(coop, teller, loan):
    older = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    later = repay(coop, teller, loan, "116500", "r2", dt.date(2026, 3, 15))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=older.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    assert error.code == "later_movements"
    assert books_snapshot(coop) == before
    for txn, key in ((later, "rev2"), (older, "rev1")):
        loans.reverse_repayment(
            cooperative=coop,
            actor=teller,
            transaction_id=txn.pk,
            reason="Salah",
            idempotency_key=key,
        )
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1200000")
    assert all(r.principal_paid == 0 and r.interest_paid == 0 for r in rows(loan))
    check_books(coop)


def test_only_repayments_are_reversed_and_with_a_reason(coop, teller, loan):
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=disbursement.pk,
        reason="Batal",
        idempotency_key="rev1",
    )
    assert error.code == "not_reversible"
    payment = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason=" ",
        idempotency_key="rev2",
    )
    assert (error.code, error.field) == ("required", "reason")
    assert books_snapshot(coop) == before


def test_accrual_penalty_is_booked_and_repaid_from_the_receivable(
    coop, borrower, officer, manager, teller
):
    # PP (accrual): annuity 6.000.000 / 12 at 18 % a year, instalment 551.000; penalty 2 % of
    # the overdue instalment per month after 7 grace days. Instalment 1 is due 15/02/2026; its
    # first month of lateness completes on 22/03 (15/02 + 7 days + 1 month): 2 % × 551.000 =
    # 11.020. Instalment 2 (due 15/03) has no complete month yet.
    pp = LoanProduct.objects.get(cooperative=coop, code="PP")
    guarantor = make_member(coop, teller)
    application = analysed_application(
        coop,
        borrower,
        pp,
        officer,
        principal="6000000",
        collaterals=[loans.CollateralInput("shm", "SHM", "6000000")],
        guarantor_ids=[guarantor.pk],
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=ON,
    )
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 21))
    assert not LoanTransaction.objects.filter(loan=loan, kind="penalty").exists()
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 22))
    penalty = LoanTransaction.objects.get(loan=loan, kind="penalty")
    assert penalty.amount == D("11020")
    assert lines(penalty.journal_entry) == [
        ("1302", D("11020"), D("0")),
        ("4202", D("0"), D("11020")),
    ]
    loan.refresh_from_db()
    assert loan.penalty_receivable == D("11020")
    check_books(coop)
    txn = repay(coop, teller, loan, "11020", "r1", dt.date(2026, 3, 22))
    assert txn.penalty == D("11020")
    # Income was booked at assessment: the payment clears the receivable.
    assert lines(txn.journal_entry) == [
        ("1101", D("11020"), D("0")),
        ("1302", D("0"), D("11020")),
    ]
    loan.refresh_from_db()
    assert loan.penalty_receivable == D("0")
    check_books(coop)
