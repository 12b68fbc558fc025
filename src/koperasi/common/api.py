"""API plumbing shared by every router: bearer tokens, who is calling, the request body, input
types, money and idempotency.

A token is bound to one cooperative. Staff act with their role's permissions; a member with a
portal login may read only their own member record, accounts and statements.
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header, Path, Query, Schema
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
from pydantic_core import PydanticCustomError

from koperasi import sqlrows
from koperasi.domain.money import round_sen
from koperasi.errors import KeyReused, ServiceError
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.tenancy import selectors, services
from koperasi.tenancy.models import ApiToken, Cooperative, IdempotencyRecord

# ---------------------------------------------------------------- money in and out


def _money_text(value: Decimal) -> str:
    return f"{round_sen(Decimal(value)):f}"


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


@contextmanager
def fields_named(names: dict[str, str]) -> Iterator[None]:
    """Name a service's refusal after the JSON key the client sent (`member` → `member_id`)."""
    try:
        yield
    except ServiceError as exc:
        if exc.field in names:
            exc.field = names[exc.field]
        raise


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
    operation, account, amount and note), and whose answer is made from what the first request
    stored: no record is kept, the service answers a retry with the first movement (the same
    status and body) and a different request with 409. The action then runs in a transaction
    of its own, so the service may use its one-statement way.

    One key names one request, whichever endpoint it was sent to: a key with a record belongs
    to a request of a recorded endpoint, so a keyed-service endpoint refuses it (409); a key a
    keyed service used is refused by the service of a recorded endpoint when it posts (the
    savings and loan services share one key space, see `koperasi.ledger.request_keys`).
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
        if _has_record(caller.cooperative, key):
            raise KeyReused("Idempotency-Key")
        status, body = action(f"api:{key}")
        return JsonResponse(body, status=status, safe=False)
    request_hash = _request_hash(request)
    with transaction.atomic():
        record, claimed = services.claim_key(
            cooperative=caller.cooperative, key=key, request_hash=request_hash
        )
        if not claimed:
            return _stored_answer(record, request_hash)
        status, body = action(f"api:{key}")
        services.store_answer(record=record, status=status, body=body)
    return JsonResponse(body, status=status, safe=False)


# On the hot path of keyed-service endpoints (every API deposit): a plain prepared statement.
_RECORD_EXISTS = (
    f"SELECT 1 FROM {IdempotencyRecord._meta.db_table} WHERE cooperative_id = %s AND key = %s"
)


def _has_record(cooperative: Cooperative, key: str) -> bool:
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_RECORD_EXISTS, [cooperative.pk, key])
        return cursor.fetchone() is not None


def _stored_answer(first: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if first.request_hash != request_hash:
        raise KeyReused("Idempotency-Key")
    # The stored answer, unchanged: same status and body, nothing posted again.
    return JsonResponse(first.response_body, status=first.status_code, safe=False)
