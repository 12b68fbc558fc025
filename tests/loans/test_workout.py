"""Troubled loans against a real database: restructuring (a new schedule version, the old one
kept) and write-off with later recovery, each proposed by one person and approved by another.

Restructuring and write-off take effect on the cooperative's business date (today), so the
loans here are disbursed relative to today. The test loan is the fixture product's: Rp 1.200.000
over 12 months, declining 1,5 %/month: instalment k pays 100.000 + (18.000 − 1.500·(k−1)).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from koperasi.domain.periods import add_months
from koperasi.errors import NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user
from tests.loans.conftest import analysed_application, check_books, disbursed_loan

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")

D = Decimal
FIELDS = (
    "version",
    "no",
    "due_date",
    "principal",
    "interest",
    "payment",
    "balance",
    "principal_paid",
    "interest_paid",
    "interest_waived",
    "penalty_paid",
    "paid_on",
)


def lines(entry):
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


def snapshot(loan, version):
    return list(
        Instalment.objects.filter(loan=loan, version=version).order_by("no").values_list(*FIELDS)
    )


def refused(exc_type, call, **kwargs):
    with pytest.raises(exc_type) as info:
        call(**kwargs)
    return info.value


@pytest.fixture
def today(coop):
    return ledger.business_today(coop)


@pytest.fixture
def late_loan(coop, borrower, product, officer, manager, teller, today):
    """Disbursed three months ago; instalment 1 paid on time, 2 and 3 due and unpaid."""
    start = add_months(today, -3)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, start)
    loans.repay(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="118000",
        idempotency_key="r1",
        business_date_=add_months(start, 1),
    )
    loan.refresh_from_db()
    return loan


def propose(coop, actor, loan, **changes):
    terms = {
        "kind": "rescheduling",
        "new_term": 24,
        "new_rate": D("1.5"),
        "new_rate_period": "month",
        "new_method": "menurun",
        "reason": "Usaha sepi setelah banjir",
        **changes,
    }
    return loans.propose_restructuring(cooperative=coop, actor=actor, loan_id=loan.pk, **terms)


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
