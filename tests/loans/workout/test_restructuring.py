"""Restructuring a troubled loan: a new schedule version (the old one kept), proposed by one
person and approved by another. The test loan: see conftest.py."""

import datetime as dt
from decimal import ROUND_HALF_UP

import pytest

from koperasi.domain.periods import add_months
from koperasi.errors import PermissionDenied, ServiceError
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member
from tests.loans.conftest import analysed_application, check_books
from tests.loans.workout.conftest import (
    D,
    lines,
    propose,
    refused,
    snapshot,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- restructuring


def test_rescheduling_makes_version_2_and_keeps_version_1(
    coop, officer, manager, teller, late_loan, today
):
    loan = late_loan
    version_1 = snapshot(loan, 1)
    proposal = propose(coop, officer, loan)
    assert (proposal.status, proposal.from_version) == ("proposed", 1)
    decided = loans.decide_restructuring(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        restructuring_id=proposal.pk,
        approve=True,
    )
    assert (decided.status, decided.to_version, decided.effective_on) == ("approved", 2, today)
    loan.refresh_from_db()
    assert (loan.schedule_version, loan.term, loan.outstanding_principal) == (2, 24, D("1100000"))
    # The old schedule stays as it was; only the penalty earned up to today is assessed on it
    # (and carried over, below).
    assert snapshot(loan, 1) == version_1
    new = selectors.schedule(loan=loan)
    assert len(new) == 24 and all(r.version == 2 for r in new)
    assert sum(r.principal for r in new) == D("1100000")
    assert new[-1].balance == 0
    assert loan.maturity_date == new[-1].due_date == add_months(today, 24)
    # The unpaid interest of the instalments due by today (no. 2: 16.500, no. 3: 15.000) moves
    # onto the new first instalment. Its own part: the balance falls to 1.100.000 × 23/24 =
    # 1.054.166,67, so principal 45.833,33; interest 1.100.000 × 1,5 % = 16.500.
    first = new[0]
    assert first.due_date == add_months(today, 1)
    assert (first.principal, first.interest, first.payment, first.balance) == (
        D("45833.33"),
        D("48000"),
        D("93833.33"),
        D("1054166.67"),
    )
    # Penalties earned up to today are not forgiven either: no. 2 (116.500, due a month ago)
    # is late from its due date + 3 grace days, at 0,1 % a day; no. 3 is not late yet.
    second_due = add_months(add_months(today, -3), 2)
    late_days = (today - (second_due + dt.timedelta(days=3))).days
    penalty = (D("116.5") * late_days).quantize(D("1"), ROUND_HALF_UP)
    assert late_days > 20
    assert (first.penalty, first.penalty_through) == (penalty, today)
    old = selectors.schedule(loan=loan, version=1)
    assert [r.penalty for r in old[:4]] == [D("0"), penalty, D("0"), D("0")]
    assert LoanTransaction.objects.get(loan=loan, kind="penalty").amount == penalty
    assert [r.due_date > today for r in new] == [True] * 24
    assert (loan.days_past_due, loan.collectibility) == (0, 1)
    assert [r.pk for r in selectors.restructurings(loan=loan)] == [proposal.pk]
    check_books(coop)
    # A repayment made before the restructuring can no longer be reversed.
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=LoanTransaction.objects.get(idempotency_key="r1").pk,
        reason="Salah",
        idempotency_key="rev",
    )
    assert error.code == "later_movements"
    assert books_snapshot(coop) == before
    # The new first instalment is paid on its due date: 93.833,33 + the carried penalty.
    txn = loans.repay(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount=D("93833.33") + penalty,
        idempotency_key="r2",
        business_date_=first.due_date,
    )
    assert (txn.principal, txn.interest, txn.penalty) == (D("-45833.33"), D("48000"), penalty)
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1054166.67")
    check_books(coop)


def test_restructuring_an_accrual_loan_books_the_penalty_it_carries(
    coop, borrower, officer, manager, teller, today
):
    # PP (accrual) disbursed three months ago, nothing paid: instalment 1 has completed a
    # month of lateness (2 % of 551.000 = 11.020), which is booked when the new schedule starts.
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
        business_date_=add_months(today, -3),
    )
    proposal = propose(
        coop, officer, loan, new_rate=D("18"), new_rate_period="year", new_method="anuitas"
    )
    loans.decide_restructuring(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        restructuring_id=proposal.pk,
        approve=True,
    )
    loan.refresh_from_db()
    first = selectors.schedule(loan=loan)[0]
    assert loan.penalty_receivable == first.penalty == D("11020")
    penalty = LoanTransaction.objects.get(loan=loan, kind="penalty")
    assert lines(penalty.journal_entry) == [
        ("1302", D("11020"), D("0")),
        ("4202", D("0"), D("11020")),
    ]
    check_books(coop)


def test_restructuring_is_approved_by_someone_else(coop, officer, teller, late_loan):
    proposal = propose(coop, officer, late_loan)
    error = refused(
        ServiceError,
        loans.decide_restructuring,
        cooperative=coop,
        actor=officer,
        role=Role.MANAGER,
        restructuring_id=proposal.pk,
        approve=True,
    )
    assert error.code == "self_approval"
    for role in (Role.TELLER, Role.LOAN_OFFICER):
        refused(
            PermissionDenied,
            loans.decide_restructuring,
            cooperative=coop,
            actor=teller,
            role=role,
            restructuring_id=proposal.pk,
            approve=True,
        )
    proposal.refresh_from_db()
    late_loan.refresh_from_db()
    assert (proposal.status, late_loan.schedule_version) == ("proposed", 1)
    assert not Instalment.objects.filter(loan=late_loan, version=2).exists()


def test_rejecting_a_restructuring_needs_a_note(coop, officer, manager, late_loan):
    proposal = propose(coop, officer, late_loan)
    decide = {
        "cooperative": coop,
        "actor": manager,
        "role": Role.MANAGER,
        "restructuring_id": proposal.pk,
        "approve": False,
    }
    error = refused(ServiceError, loans.decide_restructuring, **decide)
    assert (error.code, error.field) == ("required", "note")
    rejected = loans.decide_restructuring(note="Usaha masih jalan", **decide)
    assert rejected.status == "rejected"
    error = refused(ServiceError, loans.decide_restructuring, note="lagi", **decide)
    assert error.code == "not_open"
    late_loan.refresh_from_db()
    assert late_loan.schedule_version == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        # Rescheduling changes only the term.
        ({"new_rate": D("1.2")}, "rescheduling_terms", "kind"),
        ({"new_method": "anuitas"}, "rescheduling_terms", "kind"),
        # 2,5 %/month = 30 % a year, above the 24 % cap.
        ({"kind": "reconditioning", "new_rate": D("2.5")}, "rate_above_cap", "new_rate"),
        (
            {"kind": "reconditioning", "new_rate": D("25"), "new_rate_period": "year"},
            "rate_above_cap",
            "new_rate",
        ),
        ({"kind": "3r"}, "invalid", "kind"),
        ({"new_method": "magic", "kind": "restructuring"}, "invalid", "new_method"),
        ({"new_term": 0}, "out_of_range", "new_term"),
        ({"reason": " "}, "required", "reason"),
    ],
)
def test_bad_restructuring_proposals(coop, officer, late_loan, changes, code, field):
    error = refused(ServiceError, propose, coop=coop, actor=officer, loan=late_loan, **changes)
    assert (error.code, error.field) == (code, field)
    assert not selectors.restructurings(loan=late_loan).exists()


def test_reconditioning_changes_the_rate(coop, officer, manager, late_loan):
    # 1 %/month annuity over 12 months on 1.100.000.
    proposal = propose(
        coop,
        officer,
        late_loan,
        kind="reconditioning",
        new_rate=D("1"),
        new_method="anuitas",
        new_term=12,
    )
    loans.decide_restructuring(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        restructuring_id=proposal.pk,
        approve=True,
    )
    late_loan.refresh_from_db()
    assert (late_loan.rate, late_loan.method, late_loan.schedule_version) == (D("1"), "anuitas", 2)
    # Interest of the new first instalment: 1.100.000 × 1 % = 11.000 + the carried 31.500.
    assert selectors.schedule(loan=late_loan)[0].interest == D("42500")
    check_books(coop)


def test_one_proposal_at_a_time_and_only_on_an_active_loan(coop, officer, late_loan):
    propose(coop, officer, late_loan)
    error = refused(ServiceError, propose, coop=coop, actor=officer, loan=late_loan)
    assert error.code == "pending"
    Loan.objects.filter(pk=late_loan.pk).update(status="written_off")
    error = refused(ServiceError, propose, coop=coop, actor=officer, loan=late_loan)
    assert error.code == "loan_not_active"
    Loan.objects.filter(pk=late_loan.pk).update(status="active")
