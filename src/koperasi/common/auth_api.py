"""The API's authentication endpoints: a bearer token for a login, and its revocation.

Failed logins count toward django-axes' lockout like the web login's.
"""

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import Field

from koperasi.common.api import ERRORS, Text
from koperasi.errors import ServiceError
from koperasi.members import selectors as member_selectors
from koperasi.tenancy import selectors, services
from koperasi.tenancy.models import ApiToken, Cooperative

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: Text = Field(max_length=150)
    password: Text = Field(max_length=4096)
    cooperative: Text | None = Field(
        None, max_length=40, description="Cooperative code; needed when you serve several."
    )


class TokenOut(Schema):
    token: str
    cooperative: str


class TokenRefused(ServiceError):
    status = 401


class LockedOut(ServiceError):
    status = 429


def _token_cooperative(user: Any, code: str | None) -> Cooperative:
    """The cooperative the token will serve: named by code, or the user's only one."""
    choices = list(selectors.cooperatives_for(user))
    own = member_selectors.member_for_user(user)
    if own is not None and own.cooperative.is_active and own.cooperative not in choices:
        choices.append(own.cooperative)
    if code:
        for coop in choices:
            if coop.code == code:
                return coop
        raise ServiceError(
            "invalid_cooperative",
            _("You do not serve a cooperative with this code."),
            "cooperative",
        )
    if not choices:
        raise ServiceError(
            "no_cooperative", _("This login does not belong to any cooperative."), status=403
        )
    if len(choices) > 1:
        raise ServiceError(
            "cooperative_required",
            _("You serve several cooperatives; give the code of one: %(codes)s.")
            % {"codes": ", ".join(c.code for c in choices)},
            "cooperative",
        )
    return choices[0]


@router.post("/token", auth=None, response={200: TokenOut, **ERRORS})
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """Exchange a user name and password for a bearer token bound to one cooperative."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answer in JSON ourselves; AxesMiddleware would otherwise swap in its HTML page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise LockedOut(
            "locked_out",
            _("Too many failed login attempts. This login is locked for a while; try later."),
        )
    if user is None:
        raise TokenRefused("invalid_credentials", _("The user name or password is wrong."))
    coop = _token_cooperative(user, payload.cooperative)
    return {"token": services.issue_token(cooperative=coop, user=user), "cooperative": coop.code}


@router.post("/revoke", response={204: None, **ERRORS})
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request is made with."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    services.revoke_token(token=token, actor=token.user)
    return Status(204, None)
