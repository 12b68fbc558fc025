"""Writing off a loan classed Macet and recovering money on it later, proposed by one person and
approved by the board. The test loan: see conftest.py."""

import datetime as dt

import pytest

from koperasi.errors import NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.loans import services as loans
from koperasi.loans.models import LoanProduct, LoanTransaction
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user
from tests.loans.conftest import analysed_application, check_books, disbursed_loan
from tests.loans.workout.conftest import (
    D,
    lines,
    propose,
    refused,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- write-off and recovery


@pytest.fixture
def second_admin(coop):
    return make_user("ketua", coop, Role.ADMIN)


def macet_loan(coop, member, product, officer, manager, teller, principal="1200000"):
    """Nothing paid since 15/01/2025: on 01/12/2025 instalment 1 is 289 days late (Macet)."""
    loan = disbursed_loan(
        coop, member, product, officer, manager, teller, dt.date(2025, 1, 15), principal=principal
    )
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2025, 12, 1))
    loan.refresh_from_db()
    assert loan.collectibility == 5
    return loan


def test_only_a_macet_loan_can_be_proposed(coop, borrower, product, officer, manager, teller):
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, dt.date(2025, 1, 15))
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2025, 11, 12))
    loan.refresh_from_db()
    assert loan.collectibility == 4  # 270 days: Diragukan
    error = refused(
        ServiceError,
        loans.propose_write_off,
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        reason="Macet",
    )
    assert error.code == "not_macet"
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2025, 11, 13))
    error = refused(
        ServiceError,
        loans.propose_write_off,
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        reason=" ",
    )
    assert (error.code, error.field) == ("required", "reason")
    loans.propose_write_off(cooperative=coop, actor=officer, loan_id=loan.pk, reason="Macet")
    error = refused(
        ServiceError,
        loans.propose_write_off,
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        reason="Lagi",
    )
    assert error.code == "pending"


def test_write_off_approval_is_the_boards_and_not_the_proposers(
    coop, borrower, product, officer, manager, teller, admin_user, second_admin
):
    loan = macet_loan(coop, borrower, product, officer, manager, teller)
    request = loans.propose_write_off(
        cooperative=coop, actor=admin_user, loan_id=loan.pk, reason="Anggota pindah"
    )
    before = books_snapshot(coop)
    decide = {
        "cooperative": coop,
        "request_id": request.pk,
        "approve": True,
        "idempotency_key": "wo",
    }
    refused(PermissionDenied, loans.decide_write_off, actor=manager, role=Role.MANAGER, **decide)
    error = refused(
        ServiceError, loans.decide_write_off, actor=admin_user, role=Role.ADMIN, **decide
    )
    assert error.code == "self_approval"
    assert books_snapshot(coop) == before
    loan.refresh_from_db()
    assert loan.status == "active"
    loans.decide_write_off(actor=second_admin, role=Role.ADMIN, **decide)
    after = books_snapshot(coop)
    # The same decision under its key again is a retry: the decided proposal, nothing posted.
    retried = loans.decide_write_off(actor=second_admin, role=Role.ADMIN, **decide)
    assert (retried.pk, retried.status) == (request.pk, "approved")
    assert books_snapshot(coop) == after
    error = refused(
        ServiceError,
        loans.decide_write_off,
        actor=second_admin,
        role=Role.ADMIN,
        **{**decide, "idempotency_key": "wo-2"},
    )
    assert error.code == "not_open"
    check_books(coop)


def test_write_off_uses_the_allowance_first(
    coop, borrower, product, officer, manager, teller, admin_user, second_admin, today
):
    first = macet_loan(coop, borrower, product, officer, manager, teller)
    second = macet_loan(coop, borrower, product, officer, manager, teller, principal="600000")
    # An allowance (CKPN) of 500.000 booked by the accountant.
    ledger.post_manual_entry(
        cooperative=coop,
        actor=admin_user,
        lines=[("5203", D("500000"), D("0")), ("1209", D("0"), D("500000"))],
        memo="CKPN",
        idempotency_key="ckpn",
    )

    def write_off(loan, key):
        request = loans.propose_write_off(
            cooperative=coop, actor=officer, loan_id=loan.pk, reason="Tidak tertagih"
        )
        loans.decide_write_off(
            cooperative=coop,
            actor=second_admin,
            role=Role.ADMIN,
            request_id=request.pk,
            approve=True,
            idempotency_key=key,
        )
        return LoanTransaction.objects.get(loan=loan, kind="write_off")

    # 1.200.000: 500.000 from the allowance, the other 700.000 as allowance expense.
    txn = write_off(first, "wo1")
    assert lines(txn.journal_entry) == [
        ("1201", D("0"), D("1200000")),
        ("1209", D("500000"), D("0")),
        ("5203", D("700000"), D("0")),
    ]
    first.refresh_from_db()
    assert (first.status, first.outstanding_principal, first.written_off_amount) == (
        "written_off",
        D("0"),
        D("1200000"),
    )
    assert (first.written_off_on, txn.principal, txn.business_date) == (today, D("-1200000"), today)
    assert Account.objects.get(cooperative=coop, code="1209").balance == 0
    # The allowance is used up: the next write-off is all expense.
    txn = write_off(second, "wo2")
    assert lines(txn.journal_entry) == [
        ("1201", D("0"), D("600000")),
        ("5203", D("600000"), D("0")),
    ]
    assert Account.objects.get(cooperative=coop, code="1209").balance == 0
    check_books(coop)
    # A written-off loan takes no repayment: money received is a recovery.
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=first.pk,
        amount="1000",
        idempotency_key="r",
    )
    assert error.code == "loan_written_off"


def test_write_off_takes_booked_penalties_back_out_of_income(
    coop, borrower, officer, manager, teller, second_admin
):
    # PP is accrual-basis: its penalties were booked as income (Dr 1302, Cr 4202).
    pp = LoanProduct.objects.get(cooperative=coop, code="PP")
    application = analysed_application(
        coop,
        borrower,
        pp,
        officer,
        principal="6000000",
        collaterals=[loans.CollateralInput("shm", "SHM", "6000000")],
        guarantor_ids=[make_member(coop, teller).pk],
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=dt.date(2025, 1, 15),
    )
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2025, 12, 1))
    loan.refresh_from_db()
    booked = loan.penalty_receivable
    assert booked > 0 and loan.collectibility == 5
    request = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=loan.pk, reason="Macet"
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=second_admin,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key="wo",
    )
    txn = LoanTransaction.objects.get(loan=loan, kind="write_off")
    assert lines(txn.journal_entry) == [
        ("1201", D("0"), D("6000000")),
        ("1302", D("0"), booked),
        ("4202", booked, D("0")),
        ("5203", D("6000000"), D("0")),
    ]
    loan.refresh_from_db()
    assert (loan.penalty_receivable, loan.status) == (D("0"), "written_off")
    check_books(coop)


def test_recovery_up_to_what_was_written_off(
    coop, borrower, product, officer, manager, teller, second_admin
):
    loan = macet_loan(coop, borrower, product, officer, manager, teller)
    error = refused(
        ServiceError,
        loans.recover,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1000",
        idempotency_key="rc0",
    )
    assert error.code == "not_written_off"
    request = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=loan.pk, reason="Macet"
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=second_admin,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key="wo",
    )
    txn = loans.recover(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="200000", idempotency_key="rc1"
    )
    assert lines(txn.journal_entry) == [
        ("1101", D("200000"), D("0")),
        ("4302", D("0"), D("200000")),
    ]
    assert txn.kind == "recovery"
    again = loans.recover(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="200000", idempotency_key="rc1"
    )
    assert again.pk == txn.pk
    # 1.200.000 − 200.000 = 1.000.000 remains to be recovered.
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.recover,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1000000.01",
        idempotency_key="rc2",
    )
    assert (error.code, error.field) == ("recovery_too_large", "amount")
    assert "1.000.000" in error.message
    assert books_snapshot(coop) == before
    loans.recover(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="1000000", idempotency_key="rc3"
    )
    loan.refresh_from_db()
    assert loan.recovered_amount == D("1200000")
    error = refused(
        ServiceError,
        loans.recover,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="0.01",
        idempotency_key="rc4",
    )
    assert error.code == "recovery_too_large"
    check_books(coop)


def test_workout_of_another_cooperatives_loan_is_not_found(coop, other_coop, officer, late_loan):
    refused(NotFound, propose, coop=other_coop, actor=officer, loan=late_loan)
    refused(
        NotFound,
        loans.propose_write_off,
        cooperative=other_coop,
        actor=officer,
        loan_id=late_loan.pk,
        reason="x",
    )
