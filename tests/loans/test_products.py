"""Loan products: every rule a product must keep is refused with its code and field, and a
refused create or update saves nothing."""

from decimal import Decimal

import pytest

from koperasi.audit.models import AuditLog
from koperasi.errors import NotFound, ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import LoanProduct

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")

VALID = {
    "method": "menurun",
    "rate": Decimal("1.5"),
    "rate_period": "month",
    "min_term": 3,
    "max_term": 24,
    "min_principal": Decimal("500000"),
    "max_principal": Decimal("10000000"),
}


def create(coop, actor, code="BARU", **changes):
    return loans.create_product(
        cooperative=coop, actor=actor, code=code, name="Produk Baru", **{**VALID, **changes}
    )


def test_default_products_are_installed(coop):
    codes = {p.code: p for p in LoanProduct.objects.filter(cooperative=coop)}
    assert set(codes) == {"PU", "PP", "PD"}
    assert (codes["PP"].accounting, codes["PP"].requires_collateral) == ("accrual", True)
    assert (codes["PD"].fee_mode, codes["PD"].overpayment) == ("separate", "savings")
    assert codes["PU"].gl_account.code == "1201"


def test_create_stores_terms_and_normalises_the_order(coop, admin_user):
    product = create(
        coop, admin_user, code=" kecil ", allocation_order=" Interest,penalty ,PRINCIPAL"
    )
    product.refresh_from_db()
    assert product.code == "KECIL"
    assert product.allocation_order == "interest,penalty,principal"
    assert product.rate == Decimal("1.5")
    assert AuditLog.objects.filter(action="loans.product_create", summary__startswith="KECIL")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        # 2,5 %/month is 30 % a year, above the cooperative's 24 % cap.
        ({"rate": Decimal("2.5")}, "rate_above_cap", "rate"),
        # 24,01 % a year: just above the cap.
        ({"rate": Decimal("24.01"), "rate_period": "year"}, "rate_above_cap", "rate"),
        ({"rate": Decimal("-0.5")}, "negative", "rate"),
        ({"min_term": 13, "max_term": 12}, "out_of_range", "max_term"),
        ({"min_term": 0}, "out_of_range", "max_term"),
        ({"max_grace_periods": 24}, "grace_too_long", "max_grace_periods"),
        ({"min_principal": Decimal("0")}, "out_of_range", "max_principal"),
        ({"min_principal": Decimal("20000000")}, "out_of_range", "max_principal"),
        ({"provisi_pct": Decimal("101")}, "out_of_range", "provisi_pct"),
        ({"admin_fee": Decimal("-1")}, "negative", "admin_fee"),
        ({"method": "bunga-berbunga"}, "invalid", "method"),
        ({"penalty_kind": "sometimes"}, "invalid", "penalty_kind"),
        ({"penalty_kind": "pct_day", "penalty_rate": Decimal("-0.1")}, "negative", "penalty_rate"),
        ({"penalty_kind": "pct_day", "penalty_rate": Decimal("150")}, "too_large", "penalty_rate"),
        ({"penalty_kind": "flat", "penalty_flat": Decimal("0.001")}, "too_precise", "penalty_flat"),
        ({"penalty_cap_pct": Decimal("1001")}, "too_large", "penalty_cap_pct"),
        ({"allocation_order": "interest,principal"}, "invalid_order", "allocation_order"),
        ({"allocation_order": "interest,interest,principal"}, "invalid_order", "allocation_order"),
        ({"allocation_order": "denda,bunga,pokok"}, "invalid_order", "allocation_order"),
        ({"overpayment": "refund"}, "invalid", "overpayment"),
        ({"colour": "red"}, "invalid", "colour"),
    ],
)
def test_create_refuses_bad_terms_and_saves_nothing(coop, admin_user, changes, code, field):
    products_before = LoanProduct.objects.count()
    audit_before = AuditLog.objects.count()
    with pytest.raises(ServiceError) as refused:
        create(coop, admin_user, **changes)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.status == 400
    assert LoanProduct.objects.count() == products_before
    assert AuditLog.objects.count() == audit_before


def test_the_cap_follows_the_cooperative(coop, admin_user):
    # 1,5 %/month = 18 % a year: allowed under 24 %, refused once the AD/ART cap is 12 %.
    coop.loan_rate_cap = Decimal("12")
    with pytest.raises(ServiceError) as refused:
        create(coop, admin_user)
    assert refused.value.code == "rate_above_cap"
    coop.loan_rate_cap = Decimal("24")
    assert create(coop, admin_user, rate=Decimal("2"), code="DUA").rate == Decimal("2")


def test_duplicate_code_is_refused_even_in_other_case(coop, admin_user):
    create(coop, admin_user, code="UMUM2")
    with pytest.raises(ServiceError) as refused:
        create(coop, admin_user, code=" umum2")
    assert (refused.value.code, refused.value.field) == ("duplicate_code", "code")
    assert LoanProduct.objects.filter(cooperative=coop, code="UMUM2").count() == 1
    with pytest.raises(ServiceError) as blank:
        create(coop, admin_user, code="  ")
    assert (blank.value.code, blank.value.field) == ("required", "code")


def test_same_code_in_another_cooperative_is_fine(coop, other_coop, admin_user):
    # Both cooperatives got PU at creation: codes are unique per cooperative only.
    create(coop, admin_user, code="SAMA")
    create(other_coop, admin_user, code="SAMA")
    assert LoanProduct.objects.filter(code="SAMA").count() == 2


def test_update_validates_and_keeps_the_old_terms_on_refusal(coop, admin_user, product):
    with pytest.raises(ServiceError) as refused:
        loans.update_product(
            cooperative=coop, actor=admin_user, product_id=product.pk, rate=Decimal("2.5")
        )
    assert (refused.value.code, refused.value.field) == ("rate_above_cap", "rate")
    with pytest.raises(ServiceError) as terms:
        loans.update_product(cooperative=coop, actor=admin_user, product_id=product.pk, min_term=30)
    assert (terms.value.code, terms.value.field) == ("out_of_range", "max_term")
    with pytest.raises(ServiceError) as order:
        loans.update_product(
            cooperative=coop, actor=admin_user, product_id=product.pk, allocation_order="x"
        )
    assert (order.value.code, order.value.field) == ("invalid_order", "allocation_order")
    with pytest.raises(ServiceError) as code:
        loans.update_product(cooperative=coop, actor=admin_user, product_id=product.pk, code="X")
    assert code.value.field == "code"
    product.refresh_from_db()
    assert (product.rate, product.min_term, product.allocation_order, product.code) == (
        Decimal("1.5"),
        1,
        "penalty,interest,principal",
        "UJI",
    )
    assert not AuditLog.objects.filter(action="loans.product_update").exists()


def test_update_saves_and_records_before_and_after(coop, admin_user, product):
    loans.update_product(
        cooperative=coop,
        actor=admin_user,
        product_id=product.pk,
        rate=Decimal("2"),
        penalty_cap_pct=Decimal("10"),
    )
    product.refresh_from_db()
    assert (product.rate, product.penalty_cap_pct) == (Decimal("2"), Decimal("10"))
    log = AuditLog.objects.get(action="loans.product_update")
    assert log.data["before"]["rate"] == "1.50000000"
    assert log.data["after"]["rate"] == "2"


def test_update_of_another_cooperatives_product_is_not_found(coop, other_coop, admin_user):
    theirs = LoanProduct.objects.get(cooperative=other_coop, code="PU")
    with pytest.raises(NotFound):
        loans.update_product(
            cooperative=coop, actor=admin_user, product_id=theirs.pk, name="Diambil alih"
        )
    theirs.refresh_from_db()
    assert theirs.name == "Pinjaman Umum"


def test_default_products_leave_out_those_above_a_low_cap(db):
    from tests.conftest import make_coop

    # PU is 1,5 %/month = 18 % a year and PP 18 % a year: both above a 15 % cap; PD (12 %) stays.
    coop = make_coop(code="rendah", loan_rate_cap=Decimal("15"))
    assert set(LoanProduct.objects.filter(cooperative=coop).values_list("code", flat=True)) == {
        "PD"
    }
