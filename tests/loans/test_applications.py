"""The application workflow against a real database: apply → analyse → approve or reject, with
every refusal naming its code (and field) and leaving nothing behind."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from koperasi.errors import NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import (
    ApplicationDocument,
    Collateral,
    Guarantor,
    LoanApplication,
    LoanProduct,
)
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import make_member, make_user, sukarela_account
from tests.loans.conftest import analysed_application, check_books

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")

Status = LoanApplication.Status


def apply(coop, actor, member, product, principal="1200000", term=12, **kw):
    return loans.apply(
        cooperative=coop,
        actor=actor,
        member_id=member.pk,
        product_id=product.pk,
        principal=principal,
        term=term,
        purpose="Modal warung",
        **kw,
    )


def refused(exc_type, call, *args, **kwargs):
    with pytest.raises(exc_type) as info:
        call(*args, **kwargs)
    return info.value


def nothing_applied():
    return not LoanApplication.objects.exists()


# ---------------------------------------------------------------- apply


def test_apply_records_the_application(coop, officer, borrower, product):
    application = apply(coop, officer, borrower, product, principal=Decimal("1200000.00"))
    assert application.status == Status.SUBMITTED
    assert application.principal == Decimal("1200000")
    assert application.entered_by == officer
    assert application.number.startswith("PM-")
    assert [e.action for e in selectors.timeline(cooperative=coop, application=application)] == [
        "loans.apply"
    ]


@pytest.mark.parametrize(
    ("principal", "term", "grace", "code", "field"),
    [
        ("99999.99", 12, 0, "principal_out_of_range", "principal"),  # below Rp 100.000
        ("20000000.01", 12, 0, "principal_out_of_range", "principal"),  # above Rp 20.000.000
        ("1200000", 0, 0, "term_out_of_range", "term"),
        ("1200000", 25, 0, "term_out_of_range", "term"),  # the product allows 1 to 24
        ("1200000", 12, 1, "grace_out_of_range", "grace_periods"),  # no grace allowed
        ("-5", 12, 0, "not_positive", "principal"),
        ("12,5", 12, 0, "invalid", "principal"),
        ("1200000.001", 12, 0, "too_precise", "principal"),
    ],
)
def test_apply_refuses_out_of_range_terms(
    coop, officer, borrower, product, principal, term, grace, code, field
):
    error = refused(
        ServiceError,
        apply,
        coop,
        officer,
        borrower,
        product,
        principal=principal,
        term=term,
        grace_periods=grace,
    )
    assert (error.code, error.field) == (code, field)
    assert nothing_applied()


def test_apply_refuses_a_float_principal(coop, officer, borrower, product):
    error = refused(ServiceError, apply, coop, officer, borrower, product, principal=1200000.0)
    assert (error.code, error.field) == ("invalid", "principal")
    assert nothing_applied()


def test_apply_refuses_an_empty_purpose(coop, officer, borrower, product):
    error = refused(
        ServiceError,
        loans.apply,
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="   ",
    )
    assert (error.code, error.field) == ("required", "purpose")
    assert nothing_applied()


def test_apply_refuses_an_unknown_channel(coop, officer, borrower, product):
    error = refused(ServiceError, apply, coop, officer, borrower, product, channel="fax")
    assert (error.code, error.field) == ("invalid", "channel")
    assert nothing_applied()
    assert apply(coop, officer, borrower, product, channel="portal").channel == "portal"


def test_an_applicant_or_former_member_cannot_borrow(coop, officer, teller, product):
    applicant = make_member(coop, teller, active=False)
    assert applicant.status == Member.Status.APPLICANT
    error = refused(ServiceError, apply, coop, officer, applicant, product)
    assert (error.code, error.field) == ("member_inactive", "member")
    resigned = make_member(coop, teller)
    Member.objects.filter(pk=resigned.pk).update(status=Member.Status.RESIGNED)
    error = refused(ServiceError, apply, coop, officer, resigned, product)
    assert error.code == "member_inactive"
    assert nothing_applied()


def test_membership_must_be_long_enough(coop, officer, teller, borrower):
    # PU needs 3 months of membership. A member activated today has 0; the borrower joined
    # on 10/01/2025, long enough.
    pu = LoanProduct.objects.get(cooperative=coop, code="PU")
    newcomer = make_member(coop, teller)
    error = refused(ServiceError, apply, coop, officer, newcomer, pu, principal="500000")
    assert (error.code, error.field) == ("membership_too_short", "member")
    assert nothing_applied()
    assert apply(coop, officer, borrower, pu, principal="500000").status == Status.SUBMITTED


def test_loan_is_at_most_k_times_savings(coop, officer, teller, manager, borrower):
    # PU lends at most 10 × savings. The borrower holds pokok 100.000 + sukarela 2.000.000
    # = 2.100.000, so at most 21.000.000.
    pu = LoanProduct.objects.get(cooperative=coop, code="PU")
    error = refused(ServiceError, apply, coop, officer, borrower, pu, principal="21000000.01")
    assert (error.code, error.field) == ("above_savings_multiple", "principal")
    assert nothing_applied()
    application = apply(coop, officer, borrower, pu, principal="21000000", term=36)
    # Savings withdrawn after applying: approval checks again (2.090.000 × 10 = 20.900.000).
    account = sukarela_account(coop, borrower)
    savings.withdraw(
        cooperative=coop, actor=teller, account_id=account.pk, amount="10000", idempotency_key="w"
    )
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="10000000",
        monthly_expenses="2000000",
    )
    error = refused(
        ServiceError,
        loans.approve,
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
    )
    assert error.code == "above_savings_multiple"
    application.refresh_from_db()
    assert application.status == Status.ANALYSED


def test_another_cooperatives_member_or_product_is_not_found(
    coop, other_coop, officer, borrower, product
):
    stranger = make_member(other_coop)
    refused(NotFound, apply, coop, officer, stranger, product)
    their_product = LoanProduct.objects.get(cooperative=other_coop, code="PU")
    error = refused(NotFound, apply, coop, officer, borrower, their_product)
    assert error.field == "product"
    inactive = LoanProduct.objects.get(cooperative=coop, code="PD")
    LoanProduct.objects.filter(pk=inactive.pk).update(is_active=False)
    refused(NotFound, apply, coop, officer, borrower, inactive, principal="500000")
    assert nothing_applied()


# ---------------------------------------------------------------- analyse


def test_analysis_records_collateral_and_guarantors(coop, officer, teller, borrower, product):
    guarantor = make_member(coop, teller)
    application = apply(coop, officer, borrower, product)
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
        other_instalments="500000",
        note="Warung ramai",
        collaterals=[loans.CollateralInput("bpkb", "Honda Beat 2020", "8000000")],
        guarantor_ids=[guarantor.pk, guarantor.pk],
    )
    application.refresh_from_db()
    assert application.status == Status.ANALYSED
    # capacity = 5.000.000 − 2.000.000 − 500.000
    assert application.repayment_capacity == Decimal("2500000")
    assert list(application.collaterals.values_list("kind", "value")) == [
        ("bpkb", Decimal("8000000"))
    ]
    assert list(application.guarantors.values_list("member_id", flat=True)) == [guarantor.pk]
    assessment = loans.assess_application(cooperative=coop, application=application)
    # Declining 1.200.000 / 12 at 1,5 %: the largest instalment is the first, 100.000 + 18.000;
    # the limit is 40 % of 2.500.000.
    assert assessment.monthly_instalment == Decimal("118000.00")
    assert assessment.capacity_limit == Decimal("1000000.00")
    assert assessment.collateral_value == Decimal("8000000")
    assert assessment.problems == ()


@pytest.mark.parametrize("who", ["self", "inactive", "stranger", "missing"])
def test_bad_guarantors_are_refused(coop, other_coop, officer, teller, borrower, product, who):
    application = apply(coop, officer, borrower, product)
    if who == "self":
        guarantor_id, exc_type, code = borrower.pk, ServiceError, "self_guarantee"
    elif who == "inactive":
        guarantor_id, exc_type, code = (
            make_member(coop, teller, active=False).pk,
            ServiceError,
            ("guarantor_inactive"),
        )
    elif who == "stranger":
        guarantor_id, exc_type, code = make_member(other_coop).pk, NotFound, "not_found"
    else:
        guarantor_id, exc_type, code = 999999, NotFound, "not_found"
    error = refused(
        exc_type,
        loans.analyse,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income="5000000",
        monthly_expenses="2000000",
        collaterals=[loans.CollateralInput("shm", "Tanah", "9000000")],
        guarantor_ids=[guarantor_id],
    )
    assert (error.code, error.field) == (code, "guarantors")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.monthly_income is None
    assert not Collateral.objects.exists()
    assert not Guarantor.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"monthly_income": "-1"}, "not_positive", "monthly_income"),
        ({"monthly_expenses": "abc"}, "invalid", "monthly_expenses"),
        ({"recommendation": "maybe"}, "invalid", "recommendation"),
        (
            {"collaterals": [loans.CollateralInput("gold", "Emas", "1000")]},
            "invalid",
            "collaterals",
        ),
        ({"collaterals": [loans.CollateralInput("bpkb", " ", "1000")]}, "required", "collaterals"),
        (
            {"collaterals": [loans.CollateralInput("bpkb", "Motor", "-1")]},
            "not_positive",
            "collaterals",
        ),
    ],
)
def test_bad_analysis_input_is_refused(coop, officer, borrower, product, kwargs, code, field):
    application = apply(coop, officer, borrower, product)
    values = {"monthly_income": "5000000", "monthly_expenses": "2000000", **kwargs}
    error = refused(
        ServiceError,
        loans.analyse,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        **values,
    )
    assert (error.code, error.field) == (code, field)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


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


# ---------------------------------------------------------------- documents


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_a_pdf_is_stored(coop, officer, borrower, product, media):
    application = apply(coop, officer, borrower, product)
    upload = SimpleUploadedFile("ktp.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", "application/pdf")
    document = loans.add_document(
        cooperative=coop, actor=officer, application_id=application.pk, title="KTP", upload=upload
    )
    assert document.content_type == "application/pdf"
    assert document.file.read().startswith(b"%PDF")
    assert stored_files(media) == [document.file.name.rsplit("/", 1)[-1]]
    assert document.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        # A Windows program renamed .pdf (and claimed as a PDF by the browser).
        ("slip.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "file_type"),
        ("kosong.pdf", b"", "file_type"),
        ("besar.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "file_too_large"),
    ],
)
def test_bad_documents_are_refused(coop, officer, borrower, product, media, name, content, code):
    application = apply(coop, officer, borrower, product)
    upload = SimpleUploadedFile(name, content, "application/pdf")
    error = refused(
        ServiceError,
        loans.add_document,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="Slip gaji",
        upload=upload,
    )
    assert (error.code, error.field) == (code, "file")
    assert not ApplicationDocument.objects.exists()
    assert stored_files(media) == []


def test_exactly_five_megabytes_is_accepted(coop, officer, borrower, product, media):
    application = apply(coop, officer, borrower, product)
    content = b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024 - 8)
    document = loans.add_document(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="Foto usaha",
        upload=SimpleUploadedFile("usaha.png", content, "image/png"),
    )
    assert document.content_type == "image/png"


def test_documents_only_while_the_application_is_open(
    coop, officer, manager, borrower, product, media
):
    application = analysed_application(coop, borrower, product, officer)
    loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=application.pk,
        reason="Tidak layak",
    )
    error = refused(
        ServiceError,
        loans.add_document,
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        title="KTP",
        upload=SimpleUploadedFile("ktp.pdf", b"%PDF-1.4", "application/pdf"),
    )
    assert error.code == "not_open"
    assert stored_files(media) == []


@pytest.mark.parametrize("value", [0.0, 1500.5, True, "abc"])
def test_analysis_refuses_floats_and_booleans(coop, officer, borrower, product, value):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1000000",
        term=6,
        purpose="Modal",
    )
    with pytest.raises(ServiceError) as refused:
        loans.analyse(
            cooperative=coop,
            actor=officer,
            application_id=application.pk,
            monthly_income="5000000",
            monthly_expenses=value,
        )
    assert refused.value.field == "monthly_expenses"
