"""Setting a login's password: checked against the password rules, and every API token of the
login revoked, since a token outlives the password it was issued against otherwise. (Django
ends the web sessions itself: they carry a hash of the password.)"""

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.errors import InvalidInput, ServiceError
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
    return revoke_user_tokens(user=user, actor=actor, reason=reason)
