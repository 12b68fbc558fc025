"""Decisions of the meeting that change a setting, and the registry of what they may change.

A motion may carry a decision: a kind from `DECISION_KINDS`, a new value and the date it takes
effect. Once the motion is approved and that date has come, `apply_due_decisions` applies it
through the owning app's service (never by writing the setting directly), so the service's own
checks still hold (a pokok amount already paid by members stays fixed, a rate cap may not fall
below an active product's rate). A refusal is kept on the item (`decision_error`) and shown.

Supported now (each through `administration.services.update_cooperative`): the simpanan wajib
amount, the simpanan pokok amount, the savings and loan rate caps, the related-party cap and the
largest loan a manager may approve. Another app adds its own kinds with `register(...)` (the SHU
allocation percentages, for one), e.g. in its AppConfig.ready():

    from koperasi.governance.services.decisions import DecisionKind, register
    register(DecisionKind("shu_allocation", _("SHU allocation"), parse, show, apply))
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from koperasi.administration import services as administration
from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import format_rupiah, parse_rupiah_input
from koperasi.errors import InvalidInput, ServiceError
from koperasi.governance.models import AgendaItem
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative

FIELD = "decision_value"


@dataclass(frozen=True)
class DecisionKind:
    code: str
    label: str | Promise
    # The typed value checked and converted (ServiceError with field "decision_value").
    parse: Callable[[str], Any]
    # The converted value as people read it ("Rp 30.000", "18 %").
    show: Callable[[Any], str]
    # Applies the value: (cooperative, actor, value); raises ServiceError when refused.
    apply: Callable[[Cooperative, Any, Any], None]


DECISION_KINDS: dict[str, DecisionKind] = {}


def register(kind: DecisionKind) -> None:
    """Add (or replace) a kind of decision the meeting may take."""
    DECISION_KINDS[kind.code] = kind


def _amount(text: str) -> Decimal:
    try:
        return parse_rupiah_input(text, field=FIELD)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, FIELD) from exc


def _percent(text: str) -> Decimal:
    value = tenancy.parse_percent(text, field=FIELD)
    if value <= 0 or value > 100:
        raise ServiceError("cap_out_of_range", _("A cap is more than 0 and at most 100 %."), FIELD)
    return value


def _capped(limit: Decimal) -> Callable[[str], Decimal]:
    """A rate cap: at most what Permenkop 8/2023 allows."""

    def parse(text: str) -> Decimal:
        value = _percent(text)
        if value > limit:
            raise ServiceError(
                "above_regulation",
                _("Permenkop 8/2023 allows at most %(limit)s %% a year.") % {"limit": limit},
                FIELD,
            )
        return value

    return parse


def _show_percent(value: Any) -> str:
    return f"{Decimal(value).normalize():f}".replace(".", ",") + " %"


def _show_amount(value: Any) -> str:
    return format_rupiah(Decimal(value))


def _setting(name: str) -> Callable[[Cooperative, Any, Any], None]:
    def apply(cooperative: Cooperative, actor: Any, value: Any) -> None:
        try:
            administration.update_cooperative(cooperative=cooperative, actor=actor, **{name: value})
        except InvalidInput as exc:
            raise ServiceError(exc.code, exc.message, FIELD) from exc

    return apply


for _code, _label, _parse, _show in (
    ("wajib_amount", _("Simpanan wajib amount"), _amount, _show_amount),
    ("pokok_amount", _("Simpanan pokok amount"), _amount, _show_amount),
    (
        "savings_rate_cap",
        _("Savings rate cap (% a year)"),
        _capped(tenancy.REGULATORY_SAVINGS_RATE_CAP),
        _show_percent,
    ),
    (
        "loan_rate_cap",
        _("Loan rate cap (% a year)"),
        _capped(tenancy.REGULATORY_LOAN_RATE_CAP),
        _show_percent,
    ),
    (
        "related_party_cap_pct",
        _("Loans to related parties (% of own capital)"),
        _percent,
        _show_percent,
    ),
    ("loan_manager_approval_limit", _("Largest loan a manager may approve"), _amount, _show_amount),
):
    register(DecisionKind(_code, _label, _parse, _show, _setting(_code)))


def parse_decision(kind: str, value: str) -> Any:
    """The decision's value checked for its kind (refused with a message beside the field)."""
    found = DECISION_KINDS.get(kind)
    if found is None:
        raise ServiceError("invalid_choice", _("Choose one of the listed values."), "decision_kind")
    if not value.strip():
        raise ServiceError("required", _("This field is required."), FIELD)
    return found.parse(value.strip())


def describe(item: AgendaItem) -> str:
    """ "Simpanan wajib amount → Rp 30.000" for a stored decision."""
    found = DECISION_KINDS.get(item.decision_kind)
    if found is None:
        return f"{item.decision_kind} → {item.decision_value}"
    try:
        shown = found.show(found.parse(item.decision_value))
    except ServiceError:
        shown = item.decision_value
    return f"{found.label} → {shown}"


def apply_due_decisions(*, cooperative: Cooperative, actor: Any, today: dt.date) -> int:
    """Apply every approved decision whose date has come and that is not yet applied; returns
    how many were applied. Each in its own transaction: one refusal does not stop the others.
    Safe to call from any page, the day-end or a scheduled command: an applied decision is never
    applied again (the item row is locked and re-read)."""
    due = list(
        AgendaItem.objects.filter(
            cooperative=cooperative,
            outcome="approved",
            decision_applied_at__isnull=True,
            effective_on__lte=today,
        )
        .exclude(decision_kind="")
        .values_list("pk", flat=True)
    )
    applied = 0
    for pk in due:
        with transaction.atomic():
            item = AgendaItem.objects.select_for_update().get(pk=pk)
            if item.decision_applied_at is not None:
                continue
            kind = DECISION_KINDS.get(item.decision_kind)
            try:
                if kind is None:
                    raise ServiceError("unknown_decision", _("This kind of decision is unknown."))
                with transaction.atomic():
                    kind.apply(cooperative, actor, kind.parse(item.decision_value))
            except ServiceError as exc:
                item.decision_error = str(exc.message)[:300]
                item.save(update_fields=["decision_error"])
                continue
            item.decision_applied_at = timezone.now()
            item.decision_error = ""
            item.save(update_fields=["decision_applied_at", "decision_error"])
            audit.record(
                cooperative=cooperative,
                actor=actor,
                action="governance.decision_apply",
                obj=item,
                summary=describe(item),
                data={"kind": item.decision_kind, "value": item.decision_value},
            )
            applied += 1
    return applied
