"""Closing a year (the books' closing entry, then the year's SHU) and the cooperative's SHU
rules."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.reports import selectors as reports
from koperasi.savings.models import SavingsKind
from koperasi.shu import figures
from koperasi.shu.models import ShuSettings, ShuYear
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def close_year(*, cooperative: Cooperative, actor: Any, year: int) -> ShuYear:
    """Close the books of `year` (`ledger.close_year`: every month closed, earlier years first,
    once) and keep its SHU with the members' and non-members' parts as the statement of
    activities shows them."""
    activity = reports.year_activity(cooperative=cooperative, year=year)
    closed = ledger.close_year(cooperative=cooperative, actor=actor, year=year)
    return ShuYear.objects.create(
        cooperative=cooperative,
        year=year,
        year_close=closed,
        surplus=closed.surplus,
        member_part=activity.member_surplus,
        non_member_part=activity.non_member_surplus,
        member_income=activity.member_income,
        non_member_income=activity.non_member_income,
        closed_by=actor,
    )


ROUNDINGS = ("0.01", "1", "100", "1000")
WEIGHT_KEYS = ("loan_interest", "loan_principal")


@transaction.atomic
def update_settings(
    *,
    cooperative: Cooperative,
    actor: Any,
    allocation: dict[str, str],
    savings_kinds: list[str],
    transaction_weights: dict[str, str],
    rounding: str,
    savings_basis: str = ShuSettings.SavingsBasis.YEAR_END,
) -> ShuSettings:
    """The cooperative's SHU rules, checked whole (the allocation adds up to exactly 100 %)
    before anything is saved."""
    figures.allocation_of(allocation)
    if savings_basis not in ShuSettings.SavingsBasis.values:
        raise ServiceError(
            "shu_savings_basis", _("Choose how savings are counted."), "savings_basis"
        )
    if rounding not in ROUNDINGS:
        raise ServiceError("shu_rounding", _("Choose how shares are rounded."), "rounding")
    kinds = [k for k in savings_kinds if k in SavingsKind.values]
    if not kinds or len(kinds) != len(savings_kinds):
        raise ServiceError(
            "shu_savings_kinds",
            _("Choose at least one kind of savings that counts."),
            "savings_kinds",
        )
    weights: dict[str, str] = {}
    for key in WEIGHT_KEYS:
        raw = str(transaction_weights.get(key, "0")).strip()
        try:
            weight = Decimal(raw)
        except ArithmeticError as error:
            raise ServiceError(
                "shu_weight", _("A weight is a number from 0 to 100."), key
            ) from error
        if not weight.is_finite() or weight < 0 or weight > 100:
            raise ServiceError("shu_weight", _("A weight is a number from 0 to 100."), key)
        weights[key] = str(weight)
    if not any(Decimal(w) for w in weights.values()):
        raise ServiceError(
            "shu_weight", _("At least one kind of transaction must count."), "loan_interest"
        )
    found, _created = ShuSettings.objects.update_or_create(
        cooperative=cooperative,
        defaults={
            "allocation": {k: str(v) for k, v in allocation.items()},
            "savings_kinds": kinds,
            "savings_basis": savings_basis,
            "transaction_weights": weights,
            "rounding": rounding,
            "changed_by": actor,
        },
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="shu.settings",
        obj=found,
        summary=", ".join(f"{k} {v}%" for k, v in allocation.items()),
        data={"allocation": found.allocation, "rounding": rounding},
    )
    return found
