"""Deciding an application: maker-checker, who may approve, the board's limit, capacity, the
regulation's collateral and related-party caps, rejection, the timeline and cancelling."""

from decimal import Decimal

import pytest

from koperasi.errors import NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import LoanProduct
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import make_member, make_user
from tests.loans.applications.conftest import Status, apply, refused
from tests.loans.conftest import analysed_application, check_books

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- approve / reject


def test_maker_checker(coop, officer, manager, borrower, product):
    analyst = make_user("analis", coop, Role.LOAN_OFFICER)
    application = apply(coop, officer, borrower, product)
    loans.analyse(
        cooperative=coop,
        actor=analyst,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
    )
    for person in (officer, analyst):  # entered it / analysed it
        error = refused(
            ServiceError,
            loans.approve,
            cooperative=coop,
            actor=person,
            role=Role.MANAGER,
            application_id=application.pk,
        )
        assert error.code == "self_approval"
        error = refused(
            ServiceError,
            loans.reject,
            cooperative=coop,
            actor=person,
            role=Role.MANAGER,
            application_id=application.pk,
            reason="Tidak layak",
        )
        assert error.code == "self_approval"
    application.refresh_from_db()
    assert application.status == Status.ANALYSED
    approved = loans.approve(
        cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk
    )
    assert (approved.status, approved.decided_by, approved.approval_level) == (
        Status.APPROVED,
        manager,
        Role.MANAGER,
    )


def test_only_managers_and_the_board_decide(coop, officer, teller, borrower, product):
    application = analysed_application(coop, borrower, product, officer)
    for role in (Role.TELLER, Role.LOAN_OFFICER, Role.ACCOUNTANT):
        refused(
            PermissionDenied,
            loans.approve,
            cooperative=coop,
            actor=teller,
            role=role,
            application_id=application.pk,
        )
    application.refresh_from_db()
    assert application.status == Status.ANALYSED


def test_large_loans_need_the_board(coop, officer, manager, admin_user, borrower, product):
    # Managers approve up to Rp 1.000.000 here; Rp 1.200.000 needs an admin (the board).
    Cooperative.objects.filter(pk=coop.pk).update(loan_manager_approval_limit=Decimal("1000000"))
    coop.loan_manager_approval_limit = Decimal("1000000")
    application = analysed_application(coop, borrower, product, officer)
    refused(
        PermissionDenied,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    application.refresh_from_db()
    assert application.status == Status.ANALYSED
    approved = loans.approve(
        cooperative=coop, actor=admin_user, role=Role.ADMIN, application_id=application.pk
    )
    assert (approved.status, approved.approval_level) == (Status.APPROVED, Role.ADMIN)
    # Exactly at the limit a manager may approve.
    small = analysed_application(coop, borrower, product, officer, principal="1000000")
    assert (
        loans.approve(
            cooperative=coop, actor=manager, role=Role.MANAGER, application_id=small.pk
        ).approval_level
        == Role.MANAGER
    )


def test_approve_needs_an_analysis_and_happens_once(coop, officer, manager, borrower, product):
    application = apply(coop, officer, borrower, product)
    error = refused(
        ServiceError,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    assert error.code == "not_analysed"
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    error = refused(
        ServiceError,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    assert error.code == "not_open"
    error = refused(
        ServiceError,
        loans.analyse,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="1",
        monthly_expenses="0",
    )
    assert error.code == "not_open"


def test_capacity_exceeded_is_refused(coop, officer, manager, borrower, product):
    # Capacity 1.000.000 − 800.000 = 200.000; 40 % of it is 80.000 < the 118.000 instalment.
    application = analysed_application(
        coop, borrower, product, officer, income="1000000", expenses="800000"
    )
    assessment = loans.assess_application(cooperative=coop, application=application)
    assert (assessment.capacity, assessment.capacity_limit) == (
        Decimal("200000"),
        Decimal("80000.00"),
    )
    assert len(assessment.problems) == 1
    error = refused(
        ServiceError,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    assert error.code == "not_eligible"
    assert "118.000" in error.message
    application.refresh_from_db()
    assert application.status == Status.ANALYSED


def test_collateral_and_guarantor_required_by_pp(coop, officer, manager, teller, borrower):
    # PP: collateral ≥ 100 % of the loan and one guarantor. Annuity 6.000.000 / 12 at 18 % a
    # year (1,5 %/month): A = 90.000 / (1 − 1,015^−12) = 550.079,96, rounded up to 551.000.
    pp = LoanProduct.objects.get(cooperative=coop, code="PP")
    guarantor = make_member(coop, teller)
    application = analysed_application(
        coop, borrower, pp, officer, principal="6000000", guarantor_ids=[guarantor.pk]
    )
    assessment = loans.assess_application(cooperative=coop, application=application)
    assert assessment.monthly_instalment == Decimal("551000.00")
    assert (assessment.collateral_value, assessment.collateral_needed) == (
        Decimal("0"),
        Decimal("6000000.00"),
    )
    decide = {"cooperative": coop, "actor": manager, "role": Role.MANAGER}
    error = refused(ServiceError, loans.approve, application_id=application.pk, **decide)
    assert error.code == "not_eligible"
    # One sen short of 100 % is still refused; a missing guarantor too.
    for collateral, guarantors in (("5999999.99", [guarantor.pk]), ("6000000", [])):
        loans.analyse(
            cooperative=coop,
            actor=officer,
            application_id=application.pk,
            monthly_income="5000000",
            monthly_expenses="2000000",
            collaterals=[loans.CollateralInput("shm", "SHM 123", collateral)],
            guarantor_ids=guarantors,
        )
        error = refused(ServiceError, loans.approve, application_id=application.pk, **decide)
        assert error.code == "not_eligible"
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
        collaterals=[
            loans.CollateralInput("shm", "SHM 123", "4000000"),
            loans.CollateralInput("bpkb", "Motor", "2000000"),
        ],
        guarantor_ids=[guarantor.pk],
    )
    assert loans.approve(application_id=application.pk, **decide).status == Status.APPROVED


def test_related_party_cap(coop, officer, manager, admin_user, teller, borrower, product):
    # Own capital = the equity accounts' credit balance. Members: the borrower and the insiders
    # below, each with pokok 100.000.
    insider = make_member(coop, teller)
    Member.objects.filter(pk=insider.pk).update(office=Member.Office.BOARD)
    # Capital 200.000 → 10 % = 20.000: a 1.200.000 loan to a board member is refused.
    application = analysed_application(coop, insider, product, officer)
    assessment = loans.assess_application(cooperative=coop, application=application)
    assert assessment.related_party
    assert (assessment.related_party_total, assessment.related_party_limit) == (
        Decimal("1200000"),
        Decimal("20000.00"),
    )
    decide = {"cooperative": coop, "actor": manager, "role": Role.MANAGER}
    error = refused(ServiceError, loans.approve, application_id=application.pk, **decide)
    assert error.code == "not_eligible"
    # The same loan to an ordinary member is fine.
    ordinary = analysed_application(coop, borrower, product, officer)
    assert loans.approve(application_id=ordinary.pk, **decide).status == Status.APPROVED
    # Modal penyertaan of 20.000.000 → capital 20.200.000, limit 2.020.000.
    ledger.post_manual_entry(
        cooperative=coop,
        actor=admin_user,
        lines=[
            ("1101", Decimal("20000000"), Decimal("0")),
            ("3103", Decimal("0"), Decimal("20000000")),
        ],
        memo="Modal penyertaan",
        idempotency_key="modal-1",
    )
    loans.approve(application_id=application.pk, **decide)
    loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d-ins"
    )
    # A supervisor joins (capital 20.300.000, limit 2.030.000): 1.200.000 + 830.001 is above it,
    # 1.200.000 + 830.000 is exactly at it and allowed.
    supervisor = make_member(coop, teller)
    Member.objects.filter(pk=supervisor.pk).update(office=Member.Office.SUPERVISOR)
    over = analysed_application(coop, supervisor, product, officer, principal="830000.01")
    error = refused(ServiceError, loans.approve, application_id=over.pk, **decide)
    assert error.code == "not_eligible"
    assert "2.030.000" in error.message
    at_limit = analysed_application(coop, supervisor, product, officer, principal="830000")
    assert loans.approve(application_id=at_limit.pk, **decide).status == Status.APPROVED
    check_books(coop)


def test_related_party_cap_counts_approved_applications_not_yet_disbursed(
    coop, officer, manager, admin_user, teller, product
):
    board = make_member(coop, teller)
    supervisor = make_member(coop, teller)
    Member.objects.filter(pk=board.pk).update(office=Member.Office.BOARD)
    Member.objects.filter(pk=supervisor.pk).update(office=Member.Office.SUPERVISOR)
    # Capital: 2 × pokok 100.000 + modal penyertaan 20.000.000 = 20.200.000; limit 2.020.000.
    ledger.post_manual_entry(
        cooperative=coop,
        actor=admin_user,
        lines=[
            ("1101", Decimal("20000000"), Decimal("0")),
            ("3103", Decimal("0"), Decimal("20000000")),
        ],
        memo="Modal penyertaan",
        idempotency_key="modal-1",
    )
    decide = {"cooperative": coop, "actor": manager, "role": Role.MANAGER}
    first = analysed_application(coop, board, product, officer)
    loans.approve(application_id=first.pk, **decide)
    # The first is approved but not paid out yet: 1.200.000 + 1.000.000 = 2.200.000 > 2.020.000.
    second = analysed_application(coop, supervisor, product, officer, principal="1000000")
    assessment = loans.assess_application(cooperative=coop, application=second)
    assert assessment.related_party_total == Decimal("2200000")
    error = refused(ServiceError, loans.approve, application_id=second.pk, **decide)
    assert error.code == "not_eligible"
    # Shown again on the approved application's page, it counts itself once.
    first.refresh_from_db()
    shown = loans.assess_application(cooperative=coop, application=first)
    assert shown.related_party_total == Decimal("1200000")
    # Once the first is rejected, the second fits.
    loans.reject(application_id=first.pk, reason="Dibatalkan pengurus", **decide)
    assert loans.approve(application_id=second.pk, **decide).status == Status.APPROVED


def test_reject_needs_a_reason(coop, officer, manager, borrower, product):
    application = analysed_application(coop, borrower, product, officer)
    error = refused(
        ServiceError,
        loans.reject,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
        reason="  ",
    )
    assert (error.code, error.field) == ("required", "reason")
    application.refresh_from_db()
    assert application.status == Status.ANALYSED
    rejected = loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
        reason="Usaha belum jalan",
    )
    assert (rejected.status, rejected.decision_note) == (Status.REJECTED, "Usaha belum jalan")
    error = refused(
        ServiceError,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    assert error.code == "not_open"


def test_timeline_lists_the_steps_in_order(coop, officer, manager, teller, borrower, product):
    application = analysed_application(coop, borrower, product, officer)
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d1"
    )
    steps = [
        (e.action, e.actor) for e in selectors.timeline(cooperative=coop, application=application)
    ]
    assert steps == [
        ("loans.apply", officer),
        ("loans.analyse", officer),
        ("loans.approve", manager),
        ("loans.disburse", teller),
    ]
    assert loan.application_id == application.pk


def test_member_cancels_only_their_own_open_application(coop, officer, teller, borrower, product):
    application = apply(coop, officer, borrower, product)
    other = make_member(coop, teller)
    refused(
        NotFound,
        loans.cancel,
        cooperative=coop,
        actor=None,
        member=other,
        application_id=application.pk,
    )
    cancelled = loans.cancel(
        cooperative=coop, actor=None, member=borrower, application_id=application.pk
    )
    assert cancelled.status == Status.CANCELLED
    error = refused(
        ServiceError,
        loans.cancel,
        cooperative=coop,
        actor=None,
        member=borrower,
        application_id=application.pk,
    )
    assert error.code == "not_open"
