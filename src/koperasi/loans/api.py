"""Loans over the API: `POST /loans/simulate` computes a schedule and stores nothing.

No token needed. A caller who sends `Authorization: Bearer <token>` is also held to that
cooperative's loan rate cap (`rate_above_cap`); anyone else only to the calculator's sanity bound.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from pydantic import ConfigDict, Field, WithJsonSchema

from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_amount
from koperasi.domain.schedule import MAX_PERIODS
from koperasi.errors import ServiceError
from koperasi.loans.presenters import schedule_json
from koperasi.loans.simulation import parse_rate, simulate
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.api import ERRORS, AmountIn
from koperasi.tenancy.models import Cooperative

router = Router(tags=["loans"])

# Like amounts, a rate arrives raw and is parsed exactly; a JSON fraction (a float) is refused.
RateIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d{1,8})?$"},
                {"type": "integer", "minimum": 0},
            ],
            "description": 'Percent per `rate_period`, a string such as "1.5" or an integer.',
            "examples": ["1.5"],
        }
    ),
]


class SimulateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    principal: AmountIn
    rate: RateIn
    rate_period: Literal["month", "year"]
    months: int = Field(ge=1, le=MAX_PERIODS, description="Number of instalments")
    method: Literal["flat", "menurun", "anuitas"]
    frequency: Literal["monthly", "weekly", "daily"] = "monthly"
    rounding: Literal["none", "1", "100", "1000"] = "none"
    grace_periods: int = Field(0, ge=0, le=MAX_PERIODS)
    start: dt.date | None = Field(None, description="Disbursement date; default today")
    skip_holidays: bool = False


class InstalmentOut(Schema):
    no: int
    due_date: str
    principal: str
    interest: str
    payment: str
    balance: str


class ScheduleOut(Schema):
    instalments: list[InstalmentOut]
    total_interest: str
    total_payment: str


def _token_cooperative(request: HttpRequest) -> Cooperative | None:
    """The cooperative of the bearer token sent, None when none is sent; 401 for a bad one."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    token = tenancy.token_owner(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
    if token is None or not token.cooperative.is_active:
        raise AuthenticationError()
    coop: Cooperative = token.cooperative
    return coop


@router.post("/simulate", auth=None, response={200: ScheduleOut, **ERRORS})
def simulate_loan(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    """The instalment schedule of a loan (flat, menurun or anuitas); nothing is stored.

    Amounts are strings with two decimals, as `koperasi calc schedule --json` prints them.
    """
    coop = _token_cooperative(request)
    try:
        principal = parse_amount(payload.principal, field="principal")
    except DomainError as exc:
        raise ServiceError.from_domain(exc, "principal") from exc
    schedule = simulate(
        principal=principal,
        rate=parse_rate(payload.rate),
        rate_period=payload.rate_period,
        months=payload.months,
        method=payload.method,
        frequency=payload.frequency,
        rounding=payload.rounding,
        grace_periods=payload.grace_periods,
        start=payload.start or timezone.localdate(),
        skip_holidays=payload.skip_holidays,
        rate_cap=coop.loan_rate_cap if coop is not None else None,
    )
    return schedule_json(schedule)
