"""Who may see which cooperative, and with what role."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from koperasi import sqlrows
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


def require_permission(
    user: Any, cooperative: Cooperative, permission: str, *, role: str | None = None
) -> str:
    """The user's role (given, or looked up); NotFound for a stranger, PermissionDenied for a
    role without it."""
    role = role or staff_role(user, cooperative)
    if role is None:
        raise NotFound()
    if not role_allows(role, permission):
        raise PermissionDenied()
    return role


# Every API request starts here: the token, its user and cooperative, and the user's staff role
# there, in one plain statement (see koperasi.sqlrows).
_TOKEN_PARTS = ((ApiToken, None), (get_user_model(), None), (Cooperative, None))
_TOKEN_OWNER = (
    "SELECT "
    + ", ".join(
        sqlrows.columns(f"t{i}", model, names) for i, (model, names) in enumerate(_TOKEN_PARTS)
    )
    + ", s.role FROM tenancy_apitoken t0"
    f" JOIN {get_user_model()._meta.db_table} t1 ON t1.id = t0.user_id"
    " JOIN tenancy_cooperative t2 ON t2.id = t0.cooperative_id"
    " LEFT JOIN tenancy_staffmembership s ON s.user_id = t0.user_id"
    " AND s.cooperative_id = t0.cooperative_id AND s.is_active"
    " WHERE t0.key_hash = %s AND t0.revoked_at IS NULL"
)


def token_owner(raw: str) -> ApiToken | None:
    """The unrevoked token for this raw value of an active user, with its user, cooperative and
    the user's active staff role there (`token.staff_role`, None for a member's own login).
    Whether it has expired is the caller's to tell (`token.expires_at`), so that it can say so.
    """
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_TOKEN_OWNER, [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    token, user, cooperative = sqlrows.split(row[:-1], *_TOKEN_PARTS)
    if not user.is_active:
        return None
    token.user, token.cooperative = user, cooperative
    token.staff_role = row[-1]
    return token


def live_tokens(*, cooperative: Cooperative, user: Any = None) -> QuerySet[ApiToken]:
    """The cooperative's tokens that still work (or one user's there), newest first."""
    tokens = ApiToken.objects.filter(
        cooperative=cooperative, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens.select_related("user").order_by("-created_at", "-pk")


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
