"""Loan simulation: an instalment schedule from typed-in terms, checked against a rate cap.

Reads and writes nothing; the API (`POST /loans/simulate`) and the simulator pages (public per
cooperative, and in the member portal) both call `simulate`, so they refuse the same input with
the same messages.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import holidays
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.schedule import (
    MAX_PERIODS,
    MONTHS_PER_YEAR,
    LoanTerms,
    Schedule,
    build_schedule,
)
from koperasi.errors import DOMAIN_MESSAGES, ServiceError

# LoanTerms field -> the name a person or client sent, so errors point at what to fix.
FIELD_NAMES = {"periods": "months", "disbursed_on": "start", "is_holiday": "skip_holidays"}

RATE_INVALID = _("Enter the rate as a number, e.g. 1.5.")
# ASCII digits only: "\d" would take "١٫٥"'s digits, and Decimal() reads them.
_RATE_RE = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")

# The calculator's messages are English only; these are the translatable versions.
_MESSAGES: dict[tuple[str, str], Any] = {
    ("principal", "invalid"): _("Enter the principal as an amount, e.g. 10000000."),
    ("principal", "too_large"): _("The principal is too large."),
    ("principal", "principal_too_small"): _(
        "The loan would be repaid before its last instalment: use a smaller rounding unit, "
        "fewer instalments or a larger principal."
    ),
    ("rate", "invalid"): RATE_INVALID,
    ("rate", "negative"): _("The interest rate must not be negative."),
    ("rate", "too_large"): _("The interest rate is too high."),
    ("rate", "too_precise"): _("Use at most 8 decimal places in the rate."),
    ("periods", "out_of_range"): _("The number of instalments must be between 1 and %(max)s."),
    ("grace_periods", "negative"): _("The grace period must be zero or more periods."),
    ("grace_periods", "grace_too_long"): _(
        "The grace period must be shorter than the number of instalments."
    ),
    ("disbursed_on", "out_of_range"): _("The schedule would run past the year 9999."),
}


def parse_rate(value: object) -> Decimal:
    """A percentage typed as "1.5", "1,5" or "1,5 %", or given as an int or Decimal.

    A float is refused: 1.1 as a binary float is not exactly 1,1 %.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ServiceError("invalid", RATE_INVALID, "rate")
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip().replace(",", ".")
        if not text:
            raise ServiceError("required", _("This field is required."), "rate")
        if not _RATE_RE.fullmatch(text):
            raise ServiceError("invalid", RATE_INVALID, "rate")
        value = Decimal(text)
    number = Decimal(value)
    if not number.is_finite():
        raise ServiceError("invalid", RATE_INVALID, "rate")
    return number


def annual_rate(rate: Decimal, rate_period: str) -> Decimal:
    """The nominal rate a year, as loan caps are stated (1,5 % a month is 18 % a year)."""
    return rate * MONTHS_PER_YEAR if rate_period == "month" else rate


def percent_text(value: Decimal) -> str:
    """24.0000 -> "24", 7.5000 -> "7,5"."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")


def service_error(exc: DomainError) -> ServiceError:
    """The calculator's error with a translatable message and the request's field name."""
    field = exc.field or ""
    template = _MESSAGES.get((field, exc.code))
    if template is None:
        template = DOMAIN_MESSAGES.get(exc.code, exc.message) if field == "principal" else None
    message = exc.message if template is None else str(template) % {"max": MAX_PERIODS}
    return ServiceError(exc.code, message, FIELD_NAMES.get(field, field) or None)


def simulate(
    *,
    principal: Decimal,
    rate: Decimal,
    rate_period: str,
    months: int,
    method: str,
    frequency: str = "monthly",
    rounding: str = "none",
    grace_periods: int = 0,
    start: dt.date,
    skip_holidays: bool = False,
    rate_cap: Decimal | None = None,
) -> Schedule:
    """The schedule, or ServiceError; `rate_cap` (% a year) is the cooperative's loan cap."""
    try:
        terms = LoanTerms(
            principal=principal,
            rate=rate,
            rate_period=rate_period,  # type: ignore[arg-type]  # checked by LoanTerms
            periods=months,
            method=method,  # type: ignore[arg-type]
            frequency=frequency,  # type: ignore[arg-type]
            rounding=rounding,  # type: ignore[arg-type]
            grace_periods=grace_periods,
        )
    except DomainError as exc:
        raise service_error(exc) from exc
    if rate_cap is not None and annual_rate(terms.rate, terms.rate_period) > rate_cap:
        raise ServiceError(
            "rate_above_cap",
            _("The rate is above this cooperative's loan rate cap of %(cap)s%% a year.")
            % {"cap": percent_text(rate_cap)},
            "rate",
        )
    calendar = holidays.Indonesia(years=start.year) if skip_holidays else None
    try:
        return build_schedule(terms, disbursed_on=start, is_holiday=calendar)
    except DomainError as exc:
        raise service_error(exc) from exc
