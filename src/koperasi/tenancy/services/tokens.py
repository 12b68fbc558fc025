"""API bearer tokens: only their SHA-256 is stored; each expires, and records when it was last
used (coarsely)."""

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from koperasi.audit import services as audit
from koperasi.errors import NotFound
from koperasi.tenancy.models import ApiToken, Cooperative

User = get_user_model()

# `last_used_at` is refreshed at most this often: a hot token must not turn every read into a
# write.
LAST_USED_GRAIN = dt.timedelta(minutes=5)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)


def new_token(*, cooperative: Cooperative, user: Any) -> tuple[str, ApiToken]:
    """A new bearer token and its row; the raw value is returned once and never stored."""
    raw = "kd_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        cooperative=cooperative,
        key_hash=hash_token(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + token_lifetime(),
    )
    audit.record(cooperative=cooperative, actor=user, action="auth.token_issue", summary=raw[:8])
    return raw, token


def issue_token(*, cooperative: Cooperative, user: Any) -> str:
    """A new bearer token; the raw value is returned once and never stored."""
    return new_token(cooperative=cooperative, user=user)[0]


def note_token_use(*, token: ApiToken) -> None:
    """Remember that the token was used now (to within LAST_USED_GRAIN)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRAIN:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


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


@transaction.atomic
def revoke_cooperative_token(
    *, cooperative: Cooperative, actor: Any, token_id: int, user: Any = None
) -> ApiToken:
    """Revoke one token of this cooperative (a manager's settings page), or, with `user`, one
    of that user's own tokens; anyone else's is NotFound."""
    tokens = ApiToken.objects.select_for_update().filter(cooperative=cooperative, pk=token_id)
    if user is not None:
        tokens = tokens.filter(user=user)
    token = tokens.select_related("cooperative").first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        revoke_token(token=token, actor=actor)
    return token


def revoke_user_tokens(*, user: Any, actor: Any, reason: str) -> int:
    """Revoke every live token of the user, in every cooperative; the number revoked.

    One audit record per cooperative whose tokens were revoked, saying why (`reason`).
    """
    now = timezone.now()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    by_cooperative: dict[int, int] = {}
    for cooperative_id in live.values_list("cooperative_id", flat=True):
        by_cooperative[cooperative_id] = by_cooperative.get(cooperative_id, 0) + 1
    revoked = live.update(revoked_at=now)
    for cooperative in Cooperative.objects.filter(pk__in=by_cooperative):
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="auth.tokens_revoke_all",
            summary=f"{user.get_username()}: {by_cooperative[cooperative.pk]} ({reason})",
            data={
                "user": user.pk,
                "username": user.get_username(),
                "reason": reason,
                "count": by_cooperative[cooperative.pk],
            },
        )
    return revoked
