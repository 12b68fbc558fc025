"""The RAT's decision on the SHU allocation (kind `shu_allocation` of the governance registry):
typed as "cadangan=40, jasa_modal=20, …", checked like the SHU rules, applied through them."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from koperasi.errors import ServiceError
from koperasi.governance.services.decisions import DecisionKind, register
from koperasi.shu import figures, services
from koperasi.tenancy.models import Cooperative

FIELD = "decision_value"


def parse(text: str) -> dict[str, str]:
    allocation: dict[str, str] = {}
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        fund, sep, percent = part.partition("=")
        if not sep or not fund.strip() or not percent.strip():
            raise ServiceError(
                "shu_allocation_text",
                _("Write the allocation as fund=percent, separated by commas."),
                FIELD,
            )
        allocation[fund.strip().lower().replace(" ", "_")] = percent.strip()
    try:
        figures.allocation_of(allocation)
    except ServiceError as error:
        raise ServiceError(error.code, error.message, FIELD) from error
    return allocation


def show(allocation: dict[str, str]) -> str:
    return ", ".join(f"{fund} {percent} %" for fund, percent in allocation.items())


def apply(cooperative: Cooperative, actor: Any, allocation: dict[str, str]) -> None:
    current = figures.settings_of(cooperative)
    services.update_settings(
        cooperative=cooperative,
        actor=actor,
        allocation=allocation,
        savings_kinds=current.savings_kinds or list(figures.DEFAULT_KINDS),
        transaction_weights=current.transaction_weights,
        rounding=current.rounding,
        savings_basis=current.savings_basis,
    )


def register_kinds() -> None:
    register(DecisionKind("shu_allocation", gettext_lazy("SHU allocation"), parse, show, apply))
