"""A cooperative's set-up and settings, kept consistent with its books and products."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans import selectors as loan_selectors
from koperasi.loans.services import products as loan_products
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def create_cooperative(*, actor: Any, code: str, name: str, **settings: Any) -> Cooperative:
    """A new tenant with the KSP chart of accounts, the four savings products and three
    starting loan products."""
    coop = tenancy.create_cooperative_record(actor=actor, code=code, name=name, **settings)
    ledger.install_chart(cooperative=coop)
    savings.install_default_products(cooperative=coop)
    loan_products.install_default_products(cooperative=coop)
    return coop


def update_cooperative(*, cooperative: Cooperative, actor: Any, **fields: Any) -> Cooperative:
    """Change the identity and AD/ART settings (`tenancy.services.update_cooperative`), also
    refusing what the products forbid: see `settings_problems`."""
    return tenancy.update_cooperative(
        cooperative=cooperative, actor=actor, check=settings_problems, **fields
    )


def settings_problems(coop: Cooperative, changed: dict[str, Any]) -> list[ServiceError]:
    """Simpanan pokok is the same for every member, so its amount is fixed once anyone has
    paid it; a rate cap may not fall below the rate of an active product."""
    errors: list[ServiceError] = []
    if "pokok_amount" in changed and savings.any_pokok_paid(cooperative=coop):
        errors.append(
            ServiceError(
                "pokok_locked",
                _(
                    "Simpanan pokok has already been paid by members; changing its amount "
                    "would make members unequal."
                ),
                "pokok_amount",
            )
        )
    if "savings_rate_cap" in changed:
        above = (
            savings_selectors.products(cooperative=coop)
            .filter(is_active=True, annual_rate__gt=changed["savings_rate_cap"])
            .order_by("code")
            .first()
        )
        if above is not None:
            errors.append(
                ServiceError(
                    "cap_below_product_rate",
                    _("Product %(code)s pays %(rate)s %%; lower its rate first.")
                    % {"code": above.code, "rate": tenancy.jsonable(above.annual_rate)},
                    "savings_rate_cap",
                )
            )
    if "loan_rate_cap" in changed:
        above_loan = loan_selectors.first_product_above_cap(
            cooperative=coop, annual_cap=changed["loan_rate_cap"]
        )
        if above_loan is not None:
            product, rate = above_loan
            errors.append(
                ServiceError(
                    "cap_below_product_rate",
                    _("Product %(code)s charges %(rate)s %% a year; lower its rate first.")
                    % {"code": product.code, "rate": tenancy.jsonable(rate)},
                    "loan_rate_cap",
                )
            )
    return errors
