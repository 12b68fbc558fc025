"""Applying and the officer's analysis against a real database, every refusal naming its code
(and field) and leaving nothing behind."""

from decimal import Decimal

import pytest

from koperasi.errors import NotFound, ServiceError
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Collateral,
    Guarantor,
    LoanProduct,
)
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import make_member, sukarela_account
from tests.loans.applications.conftest import Status, apply, nothing_applied, refused

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


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
