"""Writes for a cooperative itself: the tenant row and its AD/ART settings.

A new cooperative also needs its chart and products, and some settings are checked against
the products: `koperasi.administration` runs those workflows over the apps and calls these.
"""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import is_exact_to, parse_amount, parse_rupiah_input
from koperasi.errors import InvalidInput, ServiceError
from koperasi.tenancy.models import Cooperative

User = get_user_model()


def create_cooperative_record(*, actor: Any, code: str, name: str, **settings: Any) -> Cooperative:
    """The tenant row (`administration.services.create_cooperative` adds its books)."""
    if Cooperative.objects.filter(code=code).exists():
        raise ServiceError("duplicate_code", _("This cooperative code is already used."), "code")
    coop = Cooperative.objects.create(code=code, name=name, **settings)
    audit.record(cooperative=coop, actor=actor, action="tenancy.create", obj=coop, summary=name)
    return coop


# Problems a change of settings would cause elsewhere (a product paying more than a new cap):
# given the locked cooperative and the changed values, the caller's rules list them.
SettingsCheck = Callable[[Cooperative, dict[str, Any]], list[ServiceError]]


# --- Settings pages: the cooperative's own settings ------------------------------------------

# Permenkop 8/2023 (savings-and-loan business): the most a cooperative may pay on savings and
# charge on loans, per year. A cooperative's own caps (AD/ART) may be lower, never higher.
REGULATORY_SAVINGS_RATE_CAP = Decimal("9")
REGULATORY_LOAN_RATE_CAP = Decimal("24")
HUNDRED = Decimal("100")

SETTINGS_FIELDS = (
    "name",
    "kind",
    "level",
    "legal_entity_number",
    "legal_entity_date",
    "nik_koperasi",
    "address",
    "time_zone",
    "fiscal_year_start_month",
    "closed_loop",
    "pokok_amount",
    "wajib_amount",
    "savings_rate_cap",
    "loan_rate_cap",
    "related_party_cap_pct",
    "loan_manager_approval_limit",
    "collectibility_regime",
)
_TEXT_LIMITS = {
    "name": 200,
    "legal_entity_number": 100,
    "nik_koperasi": 40,
    "address": 1000,
}
_CAP_PLACES = 4  # the caps are stored with 4 decimal places


def parse_percent(value: Any, *, field: str, places: int = _CAP_PLACES) -> Decimal:
    """A percentage typed as "9", "7,5", "7.5" or "7,5 %", or given as a Decimal; never a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ServiceError("invalid_percent", _("Enter a percentage such as 9 or 7,5."), field)
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip().replace(",", ".")
        if not text:
            raise ServiceError("required", _("This field is required."), field)
        if not re.fullmatch(r"-?\d+(\.\d*)?|-?\.\d+", text):
            raise ServiceError("invalid_percent", _("Enter a percentage such as 9 or 7,5."), field)
        value = Decimal(text)
    number = Decimal(value)
    if not number.is_finite() or abs(number) >= 10**9:  # no rate is a billion per cent
        raise ServiceError("invalid_percent", _("Enter a percentage such as 9 or 7,5."), field)
    if not is_exact_to(number, places):
        raise ServiceError(
            "too_precise",
            _("Use at most %(n)s decimal places.") % {"n": places},
            field,
        )
    return number


def _money_setting(value: Any, field: str) -> Decimal:
    """An amount > 0: form text the Indonesian way ("100.000"), or a Decimal/int."""
    try:
        if isinstance(value, str):
            return parse_rupiah_input(value, field=field)
        return parse_amount(value, field=field)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field) from exc


def _date_setting(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                day = dt.datetime.strptime(str(value).strip(), fmt).date()
                break
            except ValueError:
                continue
        else:
            raise ServiceError("invalid_date", _("Enter a date such as 17/08/2020."), field)
    if day > timezone.now().date():
        raise ServiceError("future_date", _("This date is in the future."), field)
    return day


def _cap_setting(value: Any, field: str) -> Decimal:
    cap = parse_percent(value, field=field)
    if cap <= 0 or cap > HUNDRED:
        raise ServiceError("cap_out_of_range", _("A cap is more than 0 and at most 100 %."), field)
    limits = {
        "savings_rate_cap": REGULATORY_SAVINGS_RATE_CAP,
        "loan_rate_cap": REGULATORY_LOAN_RATE_CAP,
    }
    limit = limits.get(field)
    if limit is not None and cap > limit:
        raise ServiceError(
            "above_regulation",
            _("Permenkop 8/2023 allows at most %(limit)s %% a year.") % {"limit": limit},
            field,
        )
    return cap


def _clean_setting(name: str, value: Any) -> Any:
    """One setting, checked and converted; ServiceError names the field."""
    if name in _TEXT_LIMITS:
        text = str(value or "").strip()
        if name == "name" and not text:
            raise ServiceError("required", _("This field is required."), name)
        if len(text) > _TEXT_LIMITS[name]:
            raise ServiceError(
                "too_long",
                _("At most %(n)s characters.") % {"n": _TEXT_LIMITS[name]},
                name,
            )
        return text
    choices = {
        "kind": Cooperative.Kind.values,
        "level": Cooperative.Level.values,
        "time_zone": Cooperative.TimeZone.values,
        "collectibility_regime": Cooperative.CollectibilityRegime.values,
    }
    if name in choices:
        if value not in choices[name]:
            raise ServiceError("invalid_choice", _("Choose one of the listed values."), name)
        return value
    if name == "legal_entity_date":
        return _date_setting(value, name)
    if name == "fiscal_year_start_month":
        month = int(value) if isinstance(value, int | str) and str(value).isdigit() else 0
        if not 1 <= month <= 12:
            raise ServiceError("invalid_month", _("Choose a month from 1 to 12."), name)
        return month
    if name == "closed_loop":
        if not isinstance(value, bool):
            raise ServiceError("invalid_choice", _("Choose yes or no."), name)
        return value
    if name in ("pokok_amount", "wajib_amount", "loan_manager_approval_limit"):
        return _money_setting(value, name)
    return _cap_setting(value, name)


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@transaction.atomic
def update_cooperative(
    *,
    cooperative: Cooperative,
    actor: Any,
    check: SettingsCheck | None = None,
    **fields: Any,
) -> Cooperative:
    """Change the cooperative's identity and AD/ART settings; every problem is reported at once,
    `check`'s problems (rules of the apps above) with the settings' own."""
    unknown = sorted(set(fields) - set(SETTINGS_FIELDS))
    if unknown:
        raise ServiceError(
            "unknown_field",
            _("This setting cannot be changed here: %(name)s") % {"name": unknown[0]},
            unknown[0],
        )
    # Locked: two admins saving at once must not interleave their checks and writes.
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    values: dict[str, Any] = {}
    errors: list[ServiceError] = []
    for name, raw in fields.items():
        try:
            values[name] = _clean_setting(name, raw)
        except ServiceError as exc:
            errors.append(exc)
    changed = {name: value for name, value in values.items() if getattr(coop, name) != value}
    if check is not None:
        errors.extend(check(coop, changed))
    if errors:
        raise InvalidInput(errors)
    if not changed:
        return cooperative
    audit_changes = {
        name: [jsonable(getattr(coop, name)), jsonable(value)] for name, value in changed.items()
    }
    for name, value in changed.items():
        setattr(coop, name, value)
        setattr(cooperative, name, value)  # the caller's copy shows the new settings too
    coop.save(update_fields=list(changed))
    audit.record(
        cooperative=coop,
        actor=actor,
        action="tenancy.settings",
        obj=coop,
        summary=", ".join(sorted(changed)),
        data={"changed": audit_changes},
    )
    return cooperative
