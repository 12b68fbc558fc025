"""Loan products: the terms, fees, penalty rule, eligibility and accounting a loan is made on."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.repayment import PenaltyRule, parse_order
from koperasi.domain.schedule import MAX_PERIODS
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans.models import LoanProduct
from koperasi.loans.simulation import annual_rate, percent_text
from koperasi.tenancy.models import Cooperative

DEFAULT_PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "code": "PU",
        "name": "Pinjaman Umum",
        "method": "menurun",
        "rate": Decimal("1.5"),
        "rate_period": "month",
        "rounding": "100",
        "min_term": 3,
        "max_term": 36,
        "min_principal": Decimal("500000"),
        "max_principal": Decimal("50000000"),
        "provisi_pct": Decimal("1"),
        "admin_fee": Decimal("25000"),
        "penalty_kind": "pct_day",
        "penalty_rate": Decimal("0.1"),
        "penalty_grace_days": 3,
        "penalty_cap_pct": Decimal("10"),
        "min_membership_months": 3,
        "max_savings_multiple": Decimal("10"),
        "max_instalment_income_pct": Decimal("40"),
        "min_guarantors": 0,
    },
    {
        "code": "PP",
        "name": "Pinjaman Produktif UMKM",
        "method": "anuitas",
        "rate": Decimal("18"),
        "rate_period": "year",
        "rounding": "1000",
        "min_term": 6,
        "max_term": 60,
        "min_principal": Decimal("5000000"),
        "max_principal": Decimal("200000000"),
        "provisi_pct": Decimal("1"),
        "admin_fee": Decimal("50000"),
        "penalty_kind": "pct_month",
        "penalty_rate": Decimal("2"),
        "penalty_grace_days": 7,
        "requires_collateral": True,
        "min_collateral_pct": Decimal("100"),
        "min_guarantors": 1,
        "accounting": "accrual",
        "max_instalment_income_pct": Decimal("35"),
    },
    {
        "code": "PD",
        "name": "Pinjaman Darurat",
        "method": "flat",
        "rate": Decimal("1"),
        "rate_period": "month",
        "rounding": "1",
        "min_term": 1,
        "max_term": 12,
        "min_principal": Decimal("100000"),
        "max_principal": Decimal("5000000"),
        "admin_fee": Decimal("10000"),
        "fee_mode": "separate",
        "penalty_kind": "flat",
        "penalty_flat": Decimal("10000"),
        "overpayment": "savings",
    },
)

_CHOICES = {
    "method": LoanProduct.Method.values,
    "rate_period": LoanProduct.RatePeriod.values,
    "frequency": LoanProduct.Frequency.values,
    "rounding": LoanProduct.Rounding.values,
    "fee_mode": LoanProduct.FeeMode.values,
    "penalty_kind": LoanProduct.PenaltyKind.values,
    "early_payoff": LoanProduct.EarlyPayoff.values,
    "overpayment": LoanProduct.Overpayment.values,
    "accounting": LoanProduct.Accounting.values,
}
EDITABLE = (
    "name",
    *_CHOICES,
    "rate",
    "min_term",
    "max_term",
    "max_grace_periods",
    "min_principal",
    "max_principal",
    "skip_holidays",
    "provisi_pct",
    "admin_fee",
    "penalty_rate",
    "penalty_flat",
    "penalty_grace_days",
    "penalty_cap_pct",
    "allocation_order",
    "min_membership_months",
    "max_savings_multiple",
    "max_instalment_income_pct",
    "requires_collateral",
    "min_collateral_pct",
    "min_guarantors",
    "early_payoff_fee_pct",
    "is_active",
)


def _invalid(field: str, message: Any, code: str = "invalid") -> ServiceError:
    return ServiceError(code, message, field)


def _validate(cooperative: Cooperative, product: LoanProduct) -> None:
    """Every rule a product must keep; raises on the first broken one, naming its field."""
    for field, allowed in _CHOICES.items():
        if getattr(product, field) not in allowed:
            raise _invalid(field, _("Choose one of the offered values."))
    if not product.name.strip():
        raise _invalid("name", _("This field is required."), "required")
    if product.rate < 0:
        raise _invalid("rate", _("The interest rate must not be negative."), "negative")
    cap = cooperative.loan_rate_cap
    if annual_rate(product.rate, product.rate_period) > cap:
        raise _invalid(
            "rate",
            _("The rate is above this cooperative's loan rate cap of %(cap)s%% a year.")
            % {"cap": percent_text(cap)},
            "rate_above_cap",
        )
    if not 1 <= product.min_term <= product.max_term <= MAX_PERIODS:
        raise _invalid(
            "max_term",
            _("Terms must satisfy 1 ≤ shortest ≤ longest ≤ %(max)s.") % {"max": MAX_PERIODS},
            "out_of_range",
        )
    if product.max_grace_periods >= product.max_term:
        raise _invalid(
            "max_grace_periods",
            _("The grace period must be shorter than the longest term."),
            "grace_too_long",
        )
    if not Decimal(0) < product.min_principal <= product.max_principal:
        raise _invalid(
            "max_principal",
            _("Amounts must satisfy 0 < smallest loan ≤ largest loan."),
            "out_of_range",
        )
    for field in ("provisi_pct", "min_collateral_pct", "early_payoff_fee_pct"):
        if not Decimal(0) <= getattr(product, field) <= Decimal(100):
            raise _invalid(field, _("Enter a percentage between 0 and 100."), "out_of_range")
    for field in ("admin_fee", "max_savings_multiple", "max_instalment_income_pct"):
        if getattr(product, field) < 0:
            raise _invalid(field, _("This value must not be negative."), "negative")
    try:
        PenaltyRule(
            kind=product.penalty_kind,  # type: ignore[arg-type]  # checked above
            rate=product.penalty_rate,
            flat=product.penalty_flat,
            grace_days=product.penalty_grace_days,
            cap_pct=product.penalty_cap_pct,
        )
        product.allocation_order = ",".join(parse_order(product.allocation_order))
    except DomainError as exc:
        raise ServiceError.from_domain(exc, exc.field or "penalty_kind") from exc


def create_product(
    *, cooperative: Cooperative, actor: Any, code: str, name: str, **fields: Any
) -> LoanProduct:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Unknown field."))
    code = code.strip().upper()
    if not code:
        raise _invalid("code", _("This field is required."), "required")
    if LoanProduct.objects.filter(cooperative=cooperative, code=code).exists():
        raise _invalid("code", _("This product code is already used."), "duplicate_code")
    product = LoanProduct(
        cooperative=cooperative,
        code=code,
        name=name,
        gl_account=ledger.account_by_role(cooperative, "loans_receivable"),
        **fields,
    )
    if "max_principal" not in fields:
        product.max_principal = Decimal("100000000")
    _validate(cooperative, product)
    with transaction.atomic():
        product.save()
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="loans.product_create",
            obj=product,
            summary=f"{code} {name}",
        )
    return product


def update_product(
    *, cooperative: Cooperative, actor: Any, product_id: int, **changes: Any
) -> LoanProduct:
    """Change a product. Loans already disbursed keep the terms they were made on."""
    product = LoanProduct.objects.filter(cooperative=cooperative, pk=product_id).first()
    if product is None:
        raise NotFound(_("Loan product not found."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Unknown field."))
    before = {field: str(getattr(product, field)) for field in changes}
    for field, value in changes.items():
        setattr(product, field, value)
    _validate(cooperative, product)
    with transaction.atomic():
        product.save()
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="loans.product_update",
            obj=product,
            summary=product.code,
            data={"before": before, "after": {f: str(getattr(product, f)) for f in changes}},
        )
    return product


def install_default_products(*, cooperative: Cooperative) -> None:
    """A new cooperative's starting products (those its loan rate cap allows)."""
    cap = cooperative.loan_rate_cap
    for spec in DEFAULT_PRODUCTS:
        if annual_rate(spec["rate"], spec["rate_period"]) > cap:
            continue
        fields = dict(spec)
        code, name = fields.pop("code"), fields.pop("name")
        create_product(cooperative=cooperative, actor=None, code=code, name=name, **fields)
