"""The REST API at /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Every error answers `{"detail": [{"field", "code", "message"}]}` with a 4xx status, the message in
the caller's language (Accept-Language; Indonesian by default). Bad input never gives a 500.
Whatever else answers under /api/ (an unknown address, a method the address does not take,
a server fault) answers in the same shape: `JsonErrorsMiddleware`.
"""

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from koperasi.common.api import BearerAuth, JsonParser
from koperasi.common.auth_api import router as auth_router
from koperasi.errors import InvalidInput, ServiceError
from koperasi.governance.api import router as governance_router
from koperasi.ledger.api import router as ledger_router
from koperasi.loans.api import router as loans_router
from koperasi.membership.api import router as members_router
from koperasi.reports.api import router as reports_router
from koperasi.savings.api import router as savings_router
from koperasi.shu.api import router as shu_router

api = NinjaAPI(
    title="Koperasi Digital API",
    version="1",
    description=(
        "Members, savings, loans and the books of one cooperative. Get a token at "
        "`POST /auth/token`, then send `Authorization: Bearer <token>`. Amounts are strings "
        "with two decimals. Every request that moves money (deposits, withdrawals, transfers, "
        "disbursements, repayments, payoffs, reversals, write-offs, recoveries) needs an "
        "`Idempotency-Key` header."
    ),
    auth=BearerAuth(),
    parser=JsonParser(),
    urls_namespace="api-v1",
)
api.add_router("/auth", auth_router)
api.add_router("/members", members_router)
api.add_router("/savings", savings_router)
api.add_router("/ledger", ledger_router)
api.add_router("/loans", loans_router)
api.add_router("/reports", reports_router)
api.add_router("/shu", shu_router)
api.add_router("/governance", governance_router)


def error_response(
    request: HttpRequest, status: int, details: list[dict[str, Any]]
) -> HttpResponse:
    return api.create_response(request, {"detail": details}, status=status)


def _detail(code: str, message: Any, field: str | None = None) -> dict[str, Any]:
    return {"field": field, "code": code, "message": str(message)}


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    details = exc.details() if isinstance(exc, InvalidInput) else [exc.as_detail()]
    response = error_response(request, exc.status, details)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


# Pydantic error types → our code and a message (Django's own msgids, so they come translated).
_INVALID = ("invalid", _("Enter a valid value."))
_PYDANTIC: dict[str, tuple[str, Any]] = {
    "missing": ("required", _("This field is required.")),
    "extra_forbidden": ("unknown_field", _("This field is not accepted here.")),
    "string_too_long": ("too_long", _("This text is too long.")),
    "literal_error": ("invalid_choice", _("Choose one of: %(expected)s.")),
    "enum": ("invalid_choice", _("Choose one of: %(expected)s.")),
    "less_than_equal": (
        "too_large",
        _("Ensure this value is less than or equal to %(limit_value)s."),
    ),
    "greater_than_equal": (
        "too_small",
        _("Ensure this value is greater than or equal to %(limit_value)s."),
    ),
    "int_parsing": ("invalid", _("Enter a whole number.")),
    "int_type": ("invalid", _("Enter a whole number.")),
    "int_from_float": ("invalid", _("Enter a whole number.")),
    "date_parsing": ("invalid_date", _("Enter a valid date.")),
    "date_from_datetime_parsing": ("invalid_date", _("Enter a valid date.")),
    "date_from_datetime_inexact": ("invalid_date", _("Enter a valid date.")),
    "date_type": ("invalid_date", _("Enter a valid date.")),
    # common.api.IsoDate: every date the API takes.
    "iso_date": ("invalid_date", _("Enter the date as YYYY-MM-DD.")),
    "date_range": ("date_out_of_range", _("Enter a date between %(first)s and %(last)s.")),
    # common.api.AmountIn and the loans' RateIn.
    "ascii_digits": ("invalid", _("Use the digits 0-9.")),
    "bool_type": ("invalid", _("Enter true or false.")),
    "bool_parsing": ("invalid", _("Enter true or false.")),
    "json_invalid": ("malformed_json", _("The request body is not valid JSON.")),
}
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _choices_text(expected: str) -> str:
    """Pydantic's "'flat', 'menurun' or 'anuitas'" with the caller's word for "or"."""
    choices = re.findall(r"'[^']*'", expected)
    return str(get_text_list(choices, _("or"))) if choices else expected


def _pydantic_detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in _SOURCES:
        source, loc = loc[0], loc[1:]
        if source == "body" and loc:
            loc = loc[1:]  # the body parameter's own name ("payload") means nothing to a client
    code, message = _PYDANTIC.get(error.get("type", ""), _INVALID)
    ctx = error.get("ctx") or {}
    values = {
        "expected": _choices_text(str(ctx.get("expected", ""))),
        "limit_value": ctx.get("le", ctx.get("ge", "")),
        "first": ctx.get("first", ""),
        "last": ctx.get("last", ""),
    }
    try:
        text = str(message) % values
    except (KeyError, TypeError, ValueError):
        text = str(message)
    return {"field": ".".join(loc) or None, "code": code, "message": text}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, 422, [_pydantic_detail(e) for e in exc.errors])


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        request,
        401,
        [_detail("not_authenticated", _("Send a valid token: Authorization: Bearer <token>."))],
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ServiceError):
        # The body parser's own refusal (common.api.json_body): too large, not JSON, too deep.
        return service_error(request, exc.__cause__)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja could not parse the body (bad JSON or not UTF-8).
        return error_response(
            request, 400, [_detail("malformed_json", _("The request body is not valid JSON."))]
        )
    if exc.status_code == 429:
        return error_response(
            request, 429, [_detail("throttled", _("Too many requests. Try again later."))]
        )
    return error_response(request, exc.status_code, [_detail("error", exc.message)])


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, [_detail("not_found", _("Not found."))])


@api.exception_handler(DjangoPermissionDenied)
def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, [_detail("forbidden", _("You do not have permission to do this."))]
    )


# A value the database cannot hold, by PostgreSQL's SQLSTATE: what to tell the caller.
_DATA_ERRORS: dict[str, tuple[str, Any]] = {
    # numeric_value_out_of_range: an amount that fits its own field but makes a balance or a
    # total larger than the books' columns hold (Rp 10^18).
    "22003": (
        "too_large",
        _("The amount is too large: a balance or total would exceed what the books can hold."),
    ),
    "22001": ("too_long", _("This text is too long.")),  # string_data_right_truncation
}


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # Last line of defence: a value the database cannot hold is bad input, not a server fault.
    # (Inputs are validated before this; the surrounding transaction has rolled back.)
    state = getattr(exc.__cause__, "sqlstate", None) or ""
    code, message = _DATA_ERRORS.get(state, _INVALID)
    return error_response(request, 400, [_detail(code, message)])


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 413, [_detail("too_large", _("The request body is too large."))])


# ---------------------------------------------------------------- the last resort

# What answers under /api/ without passing the handlers above, by status.
_FALLBACK: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("forbidden", _("You do not have permission to do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This address does not take %(method)s; use %(allowed)s.")),
    413: ("too_large", _("The request body is too large.")),
    429: ("throttled", _("Too many requests. Try again later.")),
}
_SERVER_FAULT = (
    "server_error",
    _("Something went wrong on the server. Try again later; if it keeps happening, tell us."),
)
_REFUSED = ("error", _("The request was refused."))
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class JsonErrorsMiddleware:
    """Every error under /api/ in the API's shape and the caller's language, whatever made it:
    Django (an unknown address, a refused host, a server fault: its HTML pages), ninja (405,
    and a plain-text traceback when DEBUG is on) or another middleware. The API's own handlers
    answer every known refusal first; this only replaces an answer that is not JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code, message = _SERVER_FAULT if status >= 500 else _FALLBACK.get(status, _REFUSED)
        language = translation.get_language_from_request(request)
        with translation.override(language):
            text = str(message) % {
                "method": request.method,
                "allowed": response.get("Allow", ""),
            }
        replacement = JsonResponse({"detail": [_detail(code, text)]}, status=status)
        for header in _KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        replacement["Content-Language"] = language
        replacement["Vary"] = "Accept-Language"
        return replacement
