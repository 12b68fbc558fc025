"""Savings products: the defaults every cooperative starts with, and their settings."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, parse_amount
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.savings.models import (
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


DEFAULT_PRODUCTS = (
    # code, name, kind, annual rate, method, term, accounting class, GL role
    ("SP", "Simpanan Pokok", SavingsKind.POKOK, "0", "none", None, "equity", "savings_pokok"),
    ("SW", "Simpanan Wajib", SavingsKind.WAJIB, "0", "none", None, "equity", "savings_wajib"),
    (
        "SS",
        "Simpanan Sukarela",
        SavingsKind.SUKARELA,
        "3",
        "harian",
        None,
        "liability",
        "savings_sukarela",
    ),
    (
        "SB12",
        "Simpanan Berjangka 12 Bulan",
        SavingsKind.BERJANGKA,
        "6",
        "harian",
        12,
        "liability",
        "savings_berjangka",
    ),
)


def install_default_products(*, cooperative: Cooperative) -> None:
    for code, name, kind, rate, method, term, klass, role in DEFAULT_PRODUCTS:
        SavingsProduct.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            kind=kind,
            annual_rate=Decimal(rate),
            interest_method=method,
            term_months=term,
            accounting_class=klass,
            gl_account=ledger.account_by_role(cooperative, role),
        )


def create_product(
    *,
    cooperative: Cooperative,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    annual_rate: Decimal,
    interest_method: str = "harian",
    term_months: int | None = None,
    minimum_balance: Decimal = ZERO,
    accounting_class: str = "",
) -> SavingsProduct:
    """A further savings product; its rate may not exceed the cap (Permenkop 8/2023)."""
    if kind not in SavingsKind.values:
        raise ServiceError("invalid_kind", _("Unknown savings kind."), "kind")
    if annual_rate < 0 or annual_rate > cooperative.savings_rate_cap:
        raise ServiceError(
            "rate_above_cap",
            _("The rate may not exceed %(cap)s%% a year.") % {"cap": cooperative.savings_rate_cap},
            "annual_rate",
        )
    if kind == SavingsKind.BERJANGKA and not term_months:
        raise ServiceError("term_required", _("A time deposit needs a term."), "term_months")
    if SavingsProduct.objects.filter(cooperative=cooperative, code=code).exists():
        raise ServiceError("duplicate_code", _("This product code is already used."), "code")
    role = f"savings_{kind}"
    default_class = "equity" if kind in (SavingsKind.POKOK, SavingsKind.WAJIB) else "liability"
    with transaction.atomic():
        product = SavingsProduct.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            kind=kind,
            annual_rate=annual_rate,
            interest_method=interest_method
            if kind not in (SavingsKind.POKOK, SavingsKind.WAJIB)
            else "none",
            term_months=term_months,
            minimum_balance=minimum_balance,
            accounting_class=accounting_class or default_class,
            gl_account=ledger.account_by_role(cooperative, role),
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="savings.product_create",
            obj=product,
            summary=f"{code} {name}",
        )
    return product


def product_of_kind(cooperative: Cooperative, kind: str) -> SavingsProduct:
    product = (
        SavingsProduct.objects.filter(cooperative=cooperative, kind=kind, is_active=True)
        .select_related("gl_account")
        .order_by("id")
        .first()
    )
    if product is None:
        raise ServiceError(
            "product_missing", _("The cooperative has no %(kind)s product.") % {"kind": kind}
        )
    return product


# --- Settings pages -----------------------------------------------------------------------------


def any_pokok_paid(*, cooperative: Cooperative) -> bool:
    """Whether any member has paid simpanan pokok (after which its amount is fixed)."""
    return SavingsTransaction.objects.filter(
        cooperative=cooperative, account__product__kind=SavingsKind.POKOK
    ).exists()


def _product_amount(value: Any, field: str) -> Decimal:
    """Zero or more: form text the Indonesian way ("1.000.000"), or a Decimal/int."""
    from koperasi.domain.money import parse_rupiah_input

    try:
        if isinstance(value, str):
            return parse_rupiah_input(value, field=field, allow_zero=True)
        return parse_amount(value, field=field, allow_zero=True)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field) from exc


def update_product(
    *,
    cooperative: Cooperative,
    actor: Any,
    product_id: int,
    name: str,
    annual_rate: Decimal | str,
    minimum_balance: Decimal | str,
    is_active: bool,
) -> SavingsProduct:
    """Rename a product, change its rate (within the cap) or minimum balance, (de)activate it.

    Pokok and wajib are the members' capital: they earn no interest (members share in the SHU
    instead) and cannot be switched off. A new rate applies from the next interest run.
    """
    from koperasi.errors import InvalidInput
    from koperasi.savings.models import LOCKED_KINDS
    from koperasi.tenancy.services import parse_percent

    with transaction.atomic():
        product = (
            SavingsProduct.objects.select_for_update()
            .filter(cooperative=cooperative, pk=product_id)
            .first()
        )
        if product is None:
            raise NotFound(_("Savings product not found."))
        errors: list[ServiceError] = []
        name = (name or "").strip()
        if not name:
            errors.append(ServiceError("required", _("This field is required."), "name"))
        elif len(name) > 100:
            errors.append(
                ServiceError("too_long", _("At most %(n)s characters.") % {"n": 100}, "name")
            )
        rate = None
        try:
            rate = parse_percent(annual_rate, field="annual_rate", places=6)
        except ServiceError as exc:
            errors.append(exc)
        capital = product.kind in LOCKED_KINDS
        if rate is not None:
            if rate < 0 or rate > cooperative.savings_rate_cap:
                errors.append(
                    ServiceError(
                        "rate_above_cap",
                        _("The rate may not exceed %(cap)s%% a year.")
                        % {"cap": cooperative.savings_rate_cap},
                        "annual_rate",
                    )
                )
            elif capital and rate != 0:
                errors.append(
                    ServiceError(
                        "capital_no_interest",
                        _(
                            "Simpanan pokok and wajib earn no interest; members share in the "
                            "SHU instead."
                        ),
                        "annual_rate",
                    )
                )
        minimum = None
        try:
            minimum = _product_amount(minimum_balance, "minimum_balance")
        except ServiceError as exc:
            errors.append(exc)
        if not isinstance(is_active, bool):
            errors.append(ServiceError("invalid_choice", _("Choose yes or no."), "is_active"))
        elif capital and not is_active:
            errors.append(
                ServiceError(
                    "product_required",
                    _("Simpanan pokok and wajib products cannot be deactivated."),
                    "is_active",
                )
            )
        if errors:
            raise InvalidInput(errors)
        new = {
            "name": name,
            "annual_rate": rate,
            "minimum_balance": minimum,
            "is_active": is_active,
        }
        changed = {
            field: [str(getattr(product, field)), str(value)]
            for field, value in new.items()
            if getattr(product, field) != value
        }
        if not changed:
            return product
        for field, value in new.items():
            setattr(product, field, value)
        product.save(update_fields=list(changed))
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="savings.product_update",
            obj=product,
            summary=f"{product.code}: {', '.join(sorted(changed))}",
            data={"code": product.code, "changed": changed},
        )
    return product
