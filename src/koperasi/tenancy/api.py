"""API plumbing shared by every router: bearer tokens, who is calling, the request body, input
types, money and idempotency.

A token is bound to one cooperative. Staff act with their role's permissions; a member with a
portal login may read only their own member record, accounts and statements.
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Path, Query, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from koperasi.domain.money import CENT
from koperasi.errors import Conflict, ServiceError
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.tenancy import selectors, services
from koperasi.tenancy.models import ApiToken, Cooperative, IdempotencyRecord

# ---------------------------------------------------------------- money in and out


def _money_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):f}"


# Amounts leave the API as strings with exactly two decimals ("50000.00"), never JSON numbers.
Money = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["50000.00"]}),
]


def ascii_number(value: Any) -> Any:
    # Only what the published pattern rules out at a glance: digits of another script ("١٠",
    # full-width "１０") and any other non-ASCII text. Parsing is the service's (parse_amount).
    if isinstance(value, str) and not value.isascii():
        raise PydanticCustomError("ascii_digits", "Use the digits 0-9.")
    return value


# Amounts arrive raw and are parsed by the service (`parse_amount`), which refuses JSON floats:
# 50000.5 as a binary float is not exactly fifty thousand and a half.
AmountIn = Annotated[
    Any,
    AfterValidator(ascii_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
                {"type": "integer", "minimum": 1},
            ],
            "description": 'A string such as "50000.00" or an integer; JSON fractions are refused.',
            "examples": ["50000.00"],
        }
    ),
]


class ErrorItem(Schema):
    field: str | None
    code: str
    message: str


class ErrorOut(Schema):
    detail: list[ErrorItem]


# Every documented error status answers with the same body.
ERRORS: dict[int, type[Schema]] = {
    code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


# ---------------------------------------------------------------- shared input types

# Database keys are 64-bit; a larger number would reach the database and fail there.
MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
    if "\x00" in value:
        raise ValueError("NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


def _whole_number(value: Any) -> Any:
    # A number in the address arrives as text: ASCII digits (a minus sign, for the range check
    # to refuse), so no "+", spaces, "1_000", "10.0" or digits of another script, all of which
    # int() would take.
    if isinstance(value, str):
        digits = value.removeprefix("-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 100):
            raise PydanticCustomError("int_parsing", "Enter a whole number.")
        return int(value)
    return value


# A whole number in a query or path parameter, and in a JSON body (a JSON integer: not a string,
# not 1.0, not true).
QueryInt = Annotated[int, BeforeValidator(_whole_number)]
WholeNumber = Annotated[int, Strict()]
Id = Annotated[WholeNumber, Field(ge=1, le=MAX_ID)]
PathId = Annotated[QueryInt, Path(..., ge=1, le=MAX_ID)]
Limit = Annotated[QueryInt, Query(50, ge=1, le=200, description="Page size (at most 200)")]
Offset = Annotated[QueryInt, Query(0, ge=0, le=10**9)]
MemberFilter = Annotated[QueryInt | None, Query(None, ge=1, le=MAX_ID, description="Member id")]
# true or false in a JSON body (not "yes", 1 or "on").
Flag = Annotated[bool, Strict()]

# Every date the API takes, in a query or a body: an ISO string within these years.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("iso_date", "Enter the date as YYYY-MM-DD.") from None
    else:
        # Not a number of seconds (0 would be 1970-01-01), nor any other spelling.
        raise PydanticCustomError("iso_date", "Enter the date as YYYY-MM-DD.")
    if not FIRST_DATE <= day <= LAST_DATE:
        raise PydanticCustomError(
            "date_range",
            "Enter a date between {first} and {last}.",
            {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )
    return day


IsoDate = Annotated[
    dt.date,
    PlainValidator(_iso_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": f"YYYY-MM-DD, from {FIRST_DATE} to {LAST_DATE}",
            "examples": ["2026-01-31"],
        }
    ),
]
DateFrom = Annotated[IsoDate | None, Query(None, alias="from", description="YYYY-MM-DD")]
DateTo = Annotated[IsoDate | None, Query(None, alias="to", description="YYYY-MM-DD")]
IdempotencyKey = Annotated[
    str | None,
    Header(None, alias="Idempotency-Key", description="A unique key per intended request."),
]


# Counting a million rows costs more than the page itself; past this many, say "at least".
COUNT_CAP = 10_000


def page(queryset: QuerySet[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page of a list as `{"items": [...], "count": N, "count_capped": bool}`.

    `count` is exact up to COUNT_CAP; beyond it `count` is COUNT_CAP and `count_capped` is true.
    """
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    return {
        "items": list(queryset[offset : offset + limit]),
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
    }


# ---------------------------------------------------------------- the request body

# The schemas nest three levels at most; a deeper body is refused before it is validated.
MAX_JSON_DEPTH = 32


def _too_deep() -> ServiceError:
    return ServiceError("too_deep", _("The JSON body is nested too deeply."))


def _nested_deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body (None when it is empty), or a refusal that says what is wrong:
    too large (413), not sent as JSON (415), not JSON or not UTF-8 (400), nested too deeply (400).
    """
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise ServiceError("too_large", _("The request body is too large."), status=413) from exc
    if not body:
        return None
    if request.content_type != "application/json":
        raise ServiceError(
            "unsupported_media_type",
            _("Send the body as JSON, with the header Content-Type: application/json."),
            status=415,
        )
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise _too_deep() from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise ServiceError("malformed_json", _("The request body is not valid JSON.")) from exc
    if _nested_deeper_than(data, MAX_JSON_DEPTH):
        raise _too_deep()
    return data


class JsonParser(Parser):
    """ninja's body parser, refusing what `json_body` refuses, with its messages."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body(request)


# ---------------------------------------------------------------- who is calling


class TokenExpired(ServiceError):
    status = 401


def live_token(raw: str) -> ApiToken | None:
    """The token sent, if it is live, with its user, cooperative and staff role; None for an
    unknown or revoked one, `TokenExpired` (with its own message) for one past its expiry."""
    raw = raw.strip()
    token = selectors.token_owner(raw) if raw else None
    if token is None:
        return None
    if token.expires_at <= timezone.now():
        raise TokenExpired(
            "token_expired",
            _("This token has expired. Get a new one at POST /api/v1/auth/token."),
        )
    services.note_token_use(token=token)
    return token


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return live_token(token)


@dataclass(frozen=True)
class Caller:
    token: ApiToken
    cooperative: Cooperative
    user: Any
    role: str | None = None
    # Set for a member's own login: every read is limited to this member.
    member: Member | None = None


def authorize(request: HttpRequest, permission: str, *, member_ok: bool = False) -> Caller:
    """The caller, or NotFound for a stranger and PermissionDenied for a role without it.

    `member_ok` lets a member's own login through for reads of their own data; every other
    endpoint answers a member login as it answers a stranger: 404.
    """
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    coop, user = token.cooperative, token.user
    # Read with the token (selectors.token_owner).
    staff_role: str | None = getattr(token, "staff_role", None)
    if member_ok and staff_role is None:
        own = member_selectors.member_for_user(user)
        if own is not None and own.cooperative_id == coop.pk:
            return Caller(token=token, cooperative=coop, user=user, member=own)
    role = selectors.require_permission(user, coop, permission, role=staff_role)
    return Caller(token=token, cooperative=coop, user=user, role=role)


# ---------------------------------------------------------------- idempotency

MAX_KEY_LENGTH = 100


def _request_hash(request: HttpRequest) -> str:
    body = json.loads(request.body) if request.body else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotent(
    request: HttpRequest,
    caller: Caller,
    key: str | None,
    action: Callable[[str], tuple[int, dict[str, Any]]],
    *,
    required: bool = True,
    keyed_service: bool = False,
) -> HttpResponse:
    """Run `action` once per Idempotency-Key; a retry gets the first status and JSON body back.

    The record is inserted first in the same transaction as the action, so a concurrent retry
    waits on the unique key and then replays; a refused action rolls back both the record and
    the books. `action` receives the key to hand the service and returns (status, JSON body).

    `keyed_service` is for an action whose service is itself idempotent by the key it is given
    and refuses the key for anything but the same request (a savings movement compares
    account, amount and note), and whose answer is made from what the first request stored:
    no record is kept, the service answers a retry with the first movement (the same status
    and body) and a different request with 409. The action then runs in a transaction of its
    own, so the service may use its one-statement way.
    """
    key = (key or "").strip()
    if not key:
        if required:
            raise ServiceError(
                "idempotency_key_required",
                _("Send an Idempotency-Key header so a retry can never post twice."),
                "Idempotency-Key",
            )
        with transaction.atomic():
            status, body = action("")
        return JsonResponse(body, status=status)
    if len(key) > MAX_KEY_LENGTH or "\x00" in key:
        raise ServiceError(
            "invalid",
            _("Use an Idempotency-Key of at most %(n)s plain characters.") % {"n": MAX_KEY_LENGTH},
            "Idempotency-Key",
        )
    if keyed_service:
        status, body = action(f"api:{key}")
        return JsonResponse(body, status=status, safe=False)
    request_hash = _request_hash(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    cooperative=caller.cooperative, key=key, request_hash=request_hash
                )
        except IntegrityError:
            first = IdempotencyRecord.objects.get(cooperative=caller.cooperative, key=key)
            return _stored_answer(first, request_hash)
        status, body = action(f"api:{key}")
        record.status_code = status
        record.response_body = body
        record.save(update_fields=["status_code", "response_body"])
    return JsonResponse(body, status=status, safe=False)


def _stored_answer(first: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if first.request_hash != request_hash:
        raise Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            "Idempotency-Key",
        )
    # The stored answer, unchanged: same status and body, nothing posted again.
    return JsonResponse(first.response_body, status=first.status_code, safe=False)


# ---------------------------------------------------------------- tokens

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
