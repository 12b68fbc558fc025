"""Writes for the people who work for a cooperative: staff accounts and their roles."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import InvalidInput, NotFound, ServiceError
from koperasi.tenancy.models import ApiToken, Cooperative, Role, StaffMembership
from koperasi.tenancy.services.passwords import password_errors, set_password

User = get_user_model()


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
        data={"username": user.username, "role": role},
    )
    return membership


# --- Settings pages: staff -------------------------------------------------------------------


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
        errors.append(
            ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150}, "username")
        )
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
        errors.append(
            ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150}, "full_name")
        )
    if role not in Role.values:
        errors.append(ServiceError("invalid_role", _("Unknown role."), "role"))
    errors += password_errors(password, User(username=username, first_name=full_name))
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
            _(
                "This is the cooperative's last active administrator; make someone else an "
                "administrator first."
            ),
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
        data={"username": membership.user.username, "changed": {"role": [old, role]}},
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
            raise ServiceError("self_deactivate", _("You cannot deactivate yourself."), "is_active")
        if _is_last_active_admin(membership):
            raise ServiceError(
                "last_admin",
                _(
                    "This is the cooperative's last active administrator; make someone else an "
                    "administrator first."
                ),
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
        data={
            "username": membership.user.username,
            "changed": {"is_active": [not is_active, is_active]},
        },
    )
    return membership


@transaction.atomic
def reset_staff_password(
    *, cooperative: Cooperative, actor: Any, membership_id: int, password: str
) -> StaffMembership:
    """An administrator sets a new password for one of the cooperative's own staff."""
    membership = _membership(cooperative, membership_id)
    user = membership.user
    shared = StaffMembership.objects.filter(user=user).exclude(cooperative=cooperative).exists()
    if shared or user.is_superuser:
        # Otherwise one cooperative's admin could take over a login another cooperative uses.
        raise ServiceError(
            "shared_user",
            _(
                "This login is also used outside this cooperative; its owner must change the "
                "password."
            ),
            "password",
            status=403,
        )
    # The new password, and every API token of the login revoked.
    set_password(user=user, password=password, actor=actor, reason="password_reset")
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="tenancy.staff_password_reset",
        obj=membership,
        summary=user.username,
    )
    return membership
