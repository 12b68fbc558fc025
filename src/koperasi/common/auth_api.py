"""The API's authentication endpoints: a bearer token for a login, and its revocation.

Every refused login attempt, whatever is wrong with it, counts toward django-axes' lockout
like the web login's.
"""

import datetime as dt
import json
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from ninja.errors import ValidationError
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from koperasi.common.api import ERRORS, Text, json_body
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
    expires_at: dt.datetime


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


def _login_input(request: HttpRequest) -> TokenIn:
    data = json_body(request)
    if data is not None and not isinstance(data, dict):
        raise ServiceError("invalid", _("Send a JSON object with username and password."))
    try:
        return TokenIn.model_validate(data or {})
    except PydanticValidationError as exc:
        raise ValidationError(list(exc.errors(include_url=False))) from exc


def _form_data(request: HttpRequest) -> QueryDict:
    """request.POST, or nothing when the body is no form that can be read. django-axes records
    the form fields of a failed login, and a body such as multipart without a boundary would
    otherwise make it fail before the failure is counted."""
    try:
        return request.POST
    except (MultiPartParserError, SuspiciousOperation):
        request.POST = QueryDict()
        return request.POST


def _named_username(request: HttpRequest) -> str | None:
    """The user name a refused login attempt named, if it can be read at all: whatever its
    content type, a JSON object's "username" or a form's."""
    try:
        body = request.body
    except RequestDataTooBig:
        request.POST = QueryDict()  # a body this large is not read at all
        return None
    try:
        data = json.loads(body) if body else None
    except (ValueError, RecursionError):
        data = None
    name = data.get("username") if isinstance(data, dict) else _form_data(request).get("username")
    if not isinstance(name, str) or not name:
        return None
    return name.replace("\x00", "")[:150]  # as the lockout's table can hold it


def _count_failed_login(request: HttpRequest, username: str | None) -> None:
    """Count a refused attempt toward the lockout, as `authenticate` does for a wrong password."""
    _form_data(request)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def _refuse_if_locked(request: HttpRequest) -> None:
    if getattr(request, "axes_locked_out", False):
        # Answer in JSON ourselves; AxesMiddleware would otherwise swap in its HTML page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise LockedOut(
            "locked_out",
            _("Too many failed login attempts. This login is locked for a while; try later."),
        )


# The body is read by the view (so that no refusal escapes the lockout); documented here.
_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": TokenIn.model_json_schema()}},
    }
}


@router.post("/token", auth=None, response={200: TokenOut, **ERRORS}, openapi_extra=_LOGIN_BODY)
def issue_token(request: HttpRequest) -> dict[str, Any]:
    """Exchange a user name and password for a bearer token bound to one cooperative; it
    expires after the days the cooperative's server is configured for (90 by default).

    Every refused attempt counts toward the lockout (5 per user name and address), whatever is
    wrong with it: a wrong password, a missing field, or a body that cannot be read.
    """
    try:
        payload = _login_input(request)
    except (ServiceError, ValidationError):
        _count_failed_login(request, _named_username(request))
        _refuse_if_locked(request)
        raise
    user = authenticate(request, username=payload.username, password=payload.password)
    _refuse_if_locked(request)
    if user is None:
        raise TokenRefused("invalid_credentials", _("The user name or password is wrong."))
    coop = _token_cooperative(user, payload.cooperative)
    raw, token = services.new_token(cooperative=coop, user=user)
    return {"token": raw, "cooperative": coop.code, "expires_at": token.expires_at}


@router.post("/revoke", response={204: None, **ERRORS})
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request is made with."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    services.revoke_token(token=token, actor=token.user)
    return Status(204, None)
