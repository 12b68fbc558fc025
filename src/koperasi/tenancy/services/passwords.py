"""Setting a login's password: checked against the password rules, and every API token of the
login revoked, since a token outlives the password it was issued against otherwise. (Django
ends the web sessions itself: they carry a hash of the password.)"""

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import InvalidInput, ServiceError
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.services.tokens import revoke_user_tokens


def password_errors(password: str, user: Any, field: str = "password") -> list[ServiceError]:
    if not password:
        return [ServiceError("required", _("This field is required."), field)]
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [ServiceError("weak_password", " ".join(exc.messages), field)]
    return []


@transaction.atomic
def set_password(*, user: Any, password: str, actor: Any, reason: str = "password_change") -> int:
    """Give `user` a new password and revoke all of their API tokens, in every cooperative;
    returns the number of tokens revoked. The one way a password is changed: an administrator's
    reset and a person's own change both come here. Refuses a weak password (InvalidInput,
    field "password") and changes nothing then.

    The caller checks who may do this (for one's own change: the old password) and keeps the
    caller's own web session alive if it should (`update_session_auth_hash`).
    """
    errors = password_errors(password, user)
    if errors:
        raise InvalidInput(errors)
    user.set_password(password)
    user.save(update_fields=["password"])
    if reason == "password_change":  # an administrator's reset is recorded by its caller
        for cooperative in _cooperatives_of(user):
            audit.record(
                cooperative=cooperative,
                actor=actor,
                action="auth.password_change",
                summary=user.get_username(),
                data={"user": user.pk, "username": user.get_username()},
            )
    return revoke_user_tokens(user=user, actor=actor, reason=reason)


def _cooperatives_of(user: Any) -> list[Cooperative]:
    """Every cooperative the login works in (as staff) or belongs to (as a member): each
    one's audit log shows that the password changed."""
    ids = set(user.staff_memberships.values_list("cooperative_id", flat=True))
    member = getattr(user, "member", None)
    if member is not None:
        ids.add(member.cooperative_id)
    return list(Cooperative.objects.filter(pk__in=ids).order_by("pk"))
