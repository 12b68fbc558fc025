"""API bearer tokens: only their SHA-256 is stored."""

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from koperasi.audit import services as audit
from koperasi.tenancy.models import ApiToken, Cooperative

User = get_user_model()


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
