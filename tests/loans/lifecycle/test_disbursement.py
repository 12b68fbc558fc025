"""Disbursing a loan: fees, the schedule, cash or savings, and refusals.

The test loan and its schedule: see conftest.py.
"""

import datetime as dt

import pytest

from koperasi.domain.schedule import LoanTerms, build_schedule
from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.ledger.models import JournalEntry
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import books_snapshot, make_member, sukarela_account
from tests.loans.conftest import (
    analysed_application,
    approved_application,
    check_books,
    disbursed_loan,
)
from tests.loans.lifecycle.conftest import (
    ON,
    D,
    balance,
    lines,
    refused,
    rows,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- disbursement


def test_cash_disbursement_deducts_the_fees(coop, borrower, product, officer, manager, teller):
    cash_before = balance(coop, "1101")
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, ON)
    txn = LoanTransaction.objects.get(loan=loan)
    # Fees: provisi 1 % × 1.200.000 = 12.000 + administration 10.000 = 22.000; paid out
    # 1.200.000 − 22.000 = 1.178.000.
    assert lines(txn.journal_entry) == [
        ("1101", D("0"), D("1178000")),
        ("1201", D("1200000"), D("0")),
        ("4201", D("0"), D("22000")),
    ]
    assert (txn.kind, txn.amount, txn.principal, txn.fee, txn.outstanding_after) == (
        "disbursement",
        D("1178000"),
        D("1200000"),
        D("22000"),
        D("1200000"),
    )
    assert txn.journal_entry.business_date == ON
    assert balance(coop, "1101") == cash_before - D("1178000")
    assert (loan.status, loan.outstanding_principal, loan.disbursed_to) == (
        "active",
        D("1200000"),
        "cash",
    )
    assert (loan.disbursed_on, loan.maturity_date) == (ON, dt.date(2027, 1, 15))
    assert LoanApplication.objects.get(pk=loan.application_id).status == "disbursed"
    check_books(coop)


def test_disbursement_to_savings(coop, borrower, product, officer, manager, teller):
    account = sukarela_account(coop, borrower)
    assert account.balance == D("2000000")
    application = approved_application(coop, borrower, product, officer, manager)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d-sav",
        to="savings",
        business_date_=ON,
    )
    account.refresh_from_db()
    # 2.000.000 + the net 1.178.000.
    assert account.balance == D("3178000")
    movement = SavingsTransaction.objects.get(account=account, kind="loan_credit")
    assert (movement.amount, movement.balance_after) == (D("1178000"), D("3178000"))
    txn = LoanTransaction.objects.get(loan=loan)
    assert movement.journal_entry_id == txn.journal_entry_id
    assert lines(txn.journal_entry) == [
        ("1201", D("1200000"), D("0")),
        ("2101", D("0"), D("1178000")),
        ("4201", D("0"), D("22000")),
    ]
    assert (loan.disbursed_to, loan.savings_account_id) == ("savings", account.pk)
    check_books(coop)


def test_disbursement_to_savings_needs_the_members_own_sukarela(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    stranger = make_member(coop, teller)
    theirs = sukarela_account(coop, stranger)
    before = books_snapshot(coop)
    error = refused(
        NotFound,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d1",
        to="savings",
        savings_account_id=theirs.pk,
    )
    assert error.field == "savings_account"
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d2",
        to="bank",
    )
    assert (error.code, error.field) == ("invalid", "to")
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists()
    # A member without a sukarela account cannot be paid into one.
    other = make_member(coop, teller)
    other_app = approved_application(coop, other, product, officer, manager)
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=other_app.pk,
        idempotency_key="d3",
        to="savings",
    )
    assert (error.code, error.field) == ("no_sukarela", "savings_account")
    assert books_snapshot(coop) == before
    other_app.refresh_from_db()
    assert other_app.status == "approved"


def test_fees_paid_separately_post_two_entries(coop, borrower, officer, manager, teller):
    # PD: flat 1 %/month, administration Rp 10.000 paid separately, no provisi.
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    disbursement, fee = LoanTransaction.objects.filter(loan=loan).order_by("id")
    assert (disbursement.kind, disbursement.amount, disbursement.fee) == (
        "disbursement",
        D("1200000"),
        D("0"),
    )
    assert lines(disbursement.journal_entry) == [
        ("1101", D("0"), D("1200000")),
        ("1201", D("1200000"), D("0")),
    ]
    assert (fee.kind, fee.amount, fee.fee) == ("fee", D("10000"), D("10000"))
    assert lines(fee.journal_entry) == [("1101", D("10000"), D("0")), ("4201", D("0"), D("10000"))]
    assert disbursement.journal_entry_id != fee.journal_entry_id
    check_books(coop)


def test_disbursing_twice_is_refused_and_a_retry_returns_the_loan(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    first = loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d1"
    )
    before = books_snapshot(coop)
    # The same key (a double click, a retried request): the same loan, nothing posted.
    again = loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d1"
    )
    assert again.pk == first.pk
    assert books_snapshot(coop) == before
    # Another key: refused.
    error = refused(
        Conflict,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d2",
    )
    assert (error.code, error.status) == ("already_disbursed", 409)
    assert books_snapshot(coop) == before
    assert Loan.objects.count() == 1
    assert JournalEntry.objects.filter(source="loans").count() == 1
    check_books(coop)


def test_the_same_key_for_another_application_is_refused(
    coop, borrower, product, officer, manager, teller
):
    first = approved_application(coop, borrower, product, officer, manager)
    second = approved_application(coop, borrower, product, officer, manager, principal="500000")
    loans.disburse(cooperative=coop, actor=teller, application_id=first.pk, idempotency_key="k")
    before = books_snapshot(coop)
    error = refused(
        Conflict,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=second.pk,
        idempotency_key="k",
    )
    assert error.code == "idempotency_key_reused"
    assert books_snapshot(coop) == before


def test_only_an_approved_application_is_disbursed(
    coop, other_coop, borrower, product, officer, manager, teller
):
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    analysed = analysed_application(coop, borrower, product, officer)
    rejected = analysed_application(coop, borrower, product, officer)
    loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=rejected.pk,
        reason="Tidak layak",
    )
    before = books_snapshot(coop)
    for application in (submitted, analysed, rejected):
        error = refused(
            ServiceError,
            loans.disburse,
            cooperative=coop,
            actor=teller,
            application_id=application.pk,
            idempotency_key=f"d-{application.pk}",
        )
        assert error.code == "not_approved"
    approved = approved_application(coop, borrower, product, officer, manager)
    refused(
        NotFound,
        loans.disburse,
        cooperative=other_coop,
        actor=teller,
        application_id=approved.pk,
        idempotency_key="d-x",
    )
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=approved.pk,
        idempotency_key="",
    )
    assert error.code == "idempotency_key_required"
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists()


def test_disbursement_in_a_closed_period_writes_nothing(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    Cooperative.objects.filter(pk=coop.pk).update(books_closed_through=dt.date(2026, 1, 31))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d1",
        business_date_=ON,
    )
    assert error.code == "period_closed"
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists() and not Instalment.objects.exists()
    application.refresh_from_db()
    assert application.status == "approved"


@pytest.mark.parametrize("code", ["UJI", "PP", "PD"])
def test_schedule_rows_are_the_calculators(coop, borrower, officer, manager, teller, code, product):
    chosen = LoanProduct.objects.get(cooperative=coop, code=code)
    collateral = {}
    if code == "PP":
        collateral = {
            "collaterals": [loans.CollateralInput("shm", "SHM", "6000000")],
            "guarantor_ids": [make_member(coop, teller).pk],
        }
    principal = "6000000" if code == "PP" else "1200000"
    application = analysed_application(
        coop, borrower, chosen, officer, principal=principal, **collateral
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=ON,
    )
    expected = build_schedule(
        LoanTerms(
            principal=D(principal),
            rate=chosen.rate,
            rate_period=chosen.rate_period,
            periods=12,
            method=chosen.method,
            frequency=chosen.frequency,
            rounding=chosen.rounding,
        ),
        disbursed_on=ON,
    )
    stored = [(r.no, r.due_date, r.principal, r.interest, r.payment, r.balance) for r in rows(loan)]
    assert stored == [
        (r.no, r.due_date, r.principal, r.interest, r.payment, r.balance)
        for r in expected.instalments
    ]
    assert sum(r[2] for r in stored) == D(principal)
    if code == "UJI":
        assert stored[0][2:] == (D("100000"), D("18000"), D("118000"), D("1100000"))
        assert stored[11][1:4] == (dt.date(2027, 1, 15), D("100000"), D("1500"))
    if code == "PP":
        # A = 90.000 / (1 − 1,015^−12) = 550.079,96, rounded up to 551.000.
        assert stored[0][2:5] == (D("461000"), D("90000"), D("551000"))
    check_books(coop)
