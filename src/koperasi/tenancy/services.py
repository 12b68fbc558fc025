"""Writes for tenants: create a cooperative with its books, staff roles and API tokens."""

import datetime as dt
import hashlib
import re
import secrets
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_amount, parse_rupiah_input
from koperasi.errors import InvalidInput, NotFound, ServiceError
from koperasi.tenancy.models import ApiToken, Cooperative, Role, StaffMembership

User = get_user_model()


@transaction.atomic
def create_cooperative(*, actor: Any, code: str, name: str, **settings: Any) -> Cooperative:
    """A new tenant with the KSP chart of accounts and the four savings products."""
    from koperasi.ledger import services as ledger
    from koperasi.savings import services as savings

    if Cooperative.objects.filter(code=code).exists():
        raise ServiceError("duplicate_code", _("This cooperative code is already used."), "code")
    coop = Cooperative.objects.create(code=code, name=name, **settings)
    ledger.install_chart(cooperative=coop)
    savings.install_default_products(cooperative=coop)
    audit.record(cooperative=coop, actor=actor, action="tenancy.create", obj=coop, summary=name)
    return coop


@transaction.atomic
def add_staff(*, cooperative: Cooperative, actor: Any, user: Any, role: str) -> StaffMembership:
    if role not in Role.values:
        raise ServiceError("invalid_role", _("Unknown role."), "role")
    membership, _created = StaffMembership.objects.update_or_create(
        user=user, cooperative=cooperative, defaults={"role": role, "is_active": True}
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff",
        obj=membership,
        summary=f"{user.username}: {role}",
    )
    return membership


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(*, cooperative: Cooperative, user: Any) -> str:
    """A new bearer token; the raw value is returned once and never stored."""
    raw = "kd_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, cooperative=cooperative, key_hash=hash_token(raw), prefix=raw[:8]
    )
    audit.record(cooperative=cooperative, actor=user, action="auth.token_issue", summary=raw[:8])
    return raw


def revoke_token(*, token: ApiToken, actor: Any) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        cooperative=token.cooperative,
        actor=actor,
        action="auth.token_revoke",
        obj=token,
        summary=token.prefix,
    )


# --- Settings pages: the cooperative's own settings ------------------------------------------

# Permenkop 8/2023 (savings-and-loan business): the most a cooperative may pay on savings and
# charge on loans, per year. A cooperative's own caps (AD/ART) may be lower, never higher.
REGULATORY_SAVINGS_RATE_CAP = Decimal("9")
REGULATORY_LOAN_RATE_CAP = Decimal("24")
HUNDRED = Decimal("100")

SETTINGS_FIELDS = (
    "name", "kind", "level", "legal_entity_number", "legal_entity_date", "nik_koperasi",
    "address", "time_zone", "fiscal_year_start_month", "closed_loop", "pokok_amount",
    "wajib_amount", "savings_rate_cap", "loan_rate_cap", "related_party_cap_pct",
)
_TEXT_LIMITS = {
    "name": 200, "legal_entity_number": 100, "nik_koperasi": 40, "address": 1000,
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
    if number != number.quantize(Decimal(1).scaleb(-places)):
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
            raise ServiceError(
                "invalid_date", _("Enter a date such as 17/08/2020."), field
            )
    if day > timezone.now().date():
        raise ServiceError("future_date", _("This date is in the future."), field)
    return day


def _cap_setting(value: Any, field: str) -> Decimal:
    cap = parse_percent(value, field=field)
    if cap <= 0 or cap > HUNDRED:
        raise ServiceError(
            "cap_out_of_range", _("A cap is more than 0 and at most 100 %."), field
        )
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
    if name in ("pokok_amount", "wajib_amount"):
        return _money_setting(value, name)
    return _cap_setting(value, name)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@transaction.atomic
def update_cooperative(*, cooperative: Cooperative, actor: Any, **fields: Any) -> Cooperative:
    """Change the cooperative's identity and AD/ART settings; every problem is reported at once.

    Simpanan pokok is the same for every member, so its amount is fixed once anyone has paid it.
    """
    from koperasi.savings import selectors as savings_selectors
    from koperasi.savings import services as savings

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
    changed = {
        name: value for name, value in values.items() if getattr(coop, name) != value
    }
    if "pokok_amount" in changed and savings.any_pokok_paid(cooperative=coop):
        errors.append(
            ServiceError(
                "pokok_locked",
                _("Simpanan pokok has already been paid by members; changing its amount "
                  "would make members unequal."),
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
                    % {"code": above.code, "rate": _jsonable(above.annual_rate)},
                    "savings_rate_cap",
                )
            )
    if errors:
        raise InvalidInput(errors)
    if not changed:
        return cooperative
    audit_changes = {
        name: [_jsonable(getattr(coop, name)), _jsonable(value)]
        for name, value in changed.items()
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


# --- Settings pages: staff -------------------------------------------------------------------


def _password_errors(password: str, user: Any) -> list[ServiceError]:
    if not password:
        return [ServiceError("required", _("This field is required."), "password")]
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [ServiceError("weak_password", " ".join(exc.messages), "password")]
    return []


def _membership(cooperative: Cooperative, membership_id: int) -> StaffMembership:
    membership = (
        StaffMembership.objects.select_related("user")
        .filter(cooperative=cooperative, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("Staff member not found."))
    return membership


def _is_last_active_admin(membership: StaffMembership) -> bool:
    if membership.role != Role.ADMIN or not membership.is_active:
        return False
    others = StaffMembership.objects.filter(
        cooperative_id=membership.cooperative_id, role=Role.ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    return not others.exists()


def _lock(cooperative: Cooperative) -> None:
    # Serialises staff changes per cooperative, so two admins demoting each other at the same
    # moment cannot both see "another admin remains".
    Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()


@transaction.atomic
def create_staff_user(
    *,
    cooperative: Cooperative,
    actor: Any,
    username: str,
    full_name: str,
    role: str,
    password: str,
) -> StaffMembership:
    """A new login for a new employee. An existing user (perhaps another cooperative's staff)
    is never attached silently: their password and identity are not ours to vouch for."""
    username = (username or "").strip()
    full_name = (full_name or "").strip()
    errors: list[ServiceError] = []
    if not username:
        errors.append(ServiceError("required", _("This field is required."), "username"))
    elif len(username) > 150:
        errors.append(ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150},
                                   "username"))
    else:
        try:
            User.username_validator(username)
        except DjangoValidationError:
            errors.append(
                ServiceError(
                    "invalid_username",
                    _("Use letters, digits and . - _ @ + only, without spaces."),
                    "username",
                )
            )
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors.append(
                    ServiceError("username_taken", _("This user name is taken."), "username")
                )
    if not full_name:
        errors.append(ServiceError("required", _("This field is required."), "full_name"))
    elif len(full_name) > 150:
        errors.append(ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150},
                                   "full_name"))
    if role not in Role.values:
        errors.append(ServiceError("invalid_role", _("Unknown role."), "role"))
    errors += _password_errors(password, User(username=username, first_name=full_name))
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, first_name=full_name
            )
    except IntegrityError as exc:  # created by a concurrent request a moment ago
        raise ServiceError("username_taken", _("This user name is taken."), "username") from exc
    membership = StaffMembership.objects.create(user=user, cooperative=cooperative, role=role)
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff_create",
        obj=membership,
        summary=f"{username}: {role}",
        data={"username": username, "full_name": full_name, "role": role},
    )
    return membership


@transaction.atomic
def set_staff_role(
    *, cooperative: Cooperative, actor: Any, membership_id: int, role: str
) -> StaffMembership:
    if role not in Role.values:
        raise ServiceError("invalid_role", _("Unknown role."), "role")
    _lock(cooperative)
    membership = _membership(cooperative, membership_id)
    if membership.role == role:
        return membership
    if _is_last_active_admin(membership):
        raise ServiceError(
            "last_admin",
            _("This is the cooperative's last active administrator; make someone else an "
              "administrator first."),
            "role",
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff_role",
        obj=membership,
        summary=f"{membership.user.username}: {old} -> {role}",
        data={"changed": {"role": [old, role]}},
    )
    return membership


@transaction.atomic
def set_staff_active(
    *, cooperative: Cooperative, actor: Any, membership_id: int, is_active: bool
) -> StaffMembership:
    """Deactivate (the login no longer opens this cooperative) or reactivate a staff member."""
    _lock(cooperative)
    membership = _membership(cooperative, membership_id)
    if membership.is_active == is_active:
        return membership
    if not is_active:
        if membership.user_id == getattr(actor, "pk", None):
            raise ServiceError(
                "self_deactivate", _("You cannot deactivate yourself."), "is_active"
            )
        if _is_last_active_admin(membership):
            raise ServiceError(
                "last_admin",
                _("This is the cooperative's last active administrator; make someone else an "
                  "administrator first."),
                "is_active",
            )
        # A token must not come back to life if the person is reactivated one day.
        ApiToken.objects.filter(
            cooperative=cooperative, user_id=membership.user_id, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    membership.is_active = is_active
    membership.save(update_fields=["is_active"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff_active",
        obj=membership,
        summary=f"{membership.user.username}: {'active' if is_active else 'inactive'}",
        data={"changed": {"is_active": [not is_active, is_active]}},
    )
    return membership


@transaction.atomic
def reset_staff_password(
    *, cooperative: Cooperative, actor: Any, membership_id: int, password: str
) -> StaffMembership:
    """An administrator sets a new password for one of the cooperative's own staff."""
    membership = _membership(cooperative, membership_id)
    user = membership.user
    shared = (
        StaffMembership.objects.filter(user=user).exclude(cooperative=cooperative).exists()
    )
    if shared or user.is_superuser:
        # Otherwise one cooperative's admin could take over a login another cooperative uses.
        raise ServiceError(
            "shared_user",
            _("This login is also used outside this cooperative; its owner must change the "
              "password."),
            "password",
            status=403,
        )
    errors = _password_errors(password, user)
    if errors:
        raise InvalidInput(errors)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff_password_reset",
        obj=membership,
        summary=user.username,
    )
    return membership
