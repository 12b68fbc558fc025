"""Who may see which cooperative, and with what role."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from koperasi.errors import NotFound, PermissionDenied
from koperasi.tenancy.models import ApiToken, Cooperative, StaffMembership
from koperasi.tenancy.permissions import role_allows
from koperasi.tenancy.services import hash_token


def staff_role(user: Any, cooperative: Cooperative) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        StaffMembership.objects.filter(user=user, cooperative=cooperative, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def cooperatives_for(user: Any) -> QuerySet[Cooperative]:
    return Cooperative.objects.filter(
        staff__user=user, staff__is_active=True, is_active=True
    ).order_by("name")


def cooperative_by_code(code: str) -> Cooperative:
    coop = Cooperative.objects.filter(code=code, is_active=True).first()
    if coop is None:
        raise NotFound()
    return coop


def require_permission(user: Any, cooperative: Cooperative, permission: str) -> str:
    """The user's role; NotFound for a stranger, PermissionDenied for a role without it."""
    role = staff_role(user, cooperative)
    if role is None:
        raise NotFound()
    if not role_allows(role, permission):
        raise PermissionDenied()
    return role


def token_owner(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .select_related("user", "cooperative")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Coarse: a hot token must not turn every API read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def staff_members(*, cooperative: Cooperative) -> QuerySet[StaffMembership]:
    """The cooperative's staff with their logins, active and inactive, by user name."""
    return (
        StaffMembership.objects.filter(cooperative=cooperative)
        .select_related("user")
        .order_by("user__username", "pk")
    )


def staff_membership(*, cooperative: Cooperative, membership_id: int) -> StaffMembership:
    found = staff_members(cooperative=cooperative).filter(pk=membership_id).first()
    if found is None:
        raise NotFound()
    return found
