"""Writes for tenants: create a cooperative with its books, staff roles and API tokens."""

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import ServiceError
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
