"""Interest on voluntary savings (jasa simpanan) and the tax withheld from it.

Pure and exact (docs DOMAIN.md "Savings"). A period's balances are given as spans: each
``BalanceSpan`` holds from its ``from_day`` (1-based) until the next span starts or the period
ends, so a month with deposits on day 1 and day 3 is two spans. ``annual_rate`` is a percentage
(``Decimal("12")`` is 12 % p.a.), ``year_days`` the day-count divisor (365, 366 or 360) and
``days_in_period`` the days the period has (1..31). Three methods, a product setting:

* ``terendah`` (lowest balance): lowest span balance × rate/100 × days_in_period / year_days;
* ``harian`` (daily balance): Σ over days 1..days_in_period of that day's balance × rate/100 /
  year_days;
* ``rata_rata`` (average balance): the time-weighted average balance (Σ daily balance /
  days_in_period), **rounded half-up to the sen first**, because that is the "saldo rata-rata"
  a cooperative's statement prints, then × rate/100 × days_in_period / year_days.

Only the interest is rounded (half-up to the sen), once, at the end. Each method is one
division of an exact numerator, done in a 40-digit decimal context of this module (so the
result does not depend on the caller's context). That is exact enough: balances have at most 2
decimals and are below Rp 10^18, the rate has at most 8 decimals and is at most 100, so every
product is exact within 40 digits and the quotient's 40-digit rounding error (< 10^-22) is far
smaller than the distance from any value that is not itself a half-sen to the nearest half-sen
(> 10^-17), so the half-up rounding to the sen is the rounding of the exact value.

Tax (``final_tax``): an individual member pays the final income tax of PP 15/2009: nothing when
the gross interest is at most Rp 240.000, else 10 % of the *whole* gross (a cliff, not a marginal
rate: Rp 240.001 pays Rp 24.000,10). A legal-entity member is outside PP 15/2009; the cooperative
withholds PPh 23 at 15 % of the whole gross instead, with no threshold.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Literal, get_args

from koperasi.domain.errors import DomainError
from koperasi.domain.money import MAX_INTEGER_DIGITS, allocate_largest_remainder

Method = Literal["terendah", "harian", "rata_rata"]
METHODS: tuple[str, ...] = get_args(Method)  # ("terendah", "harian", "rata_rata")

YEAR_DAYS: tuple[int, ...] = (360, 365, 366)  # 30/360, actual/365, actual/366
MAX_DAYS_IN_PERIOD = 31
MAX_ANNUAL_RATE = Decimal(100)  # percent; a sanity bound, not the legal 9 % cap (a product rule)
RATE_PLACES = 8  # the rate has at most 8 decimals: keeps the arithmetic provably exact (above)
MAX_BALANCE = Decimal(10) ** MAX_INTEGER_DIGITS  # balances are below Rp 10^18, like all money

# PP 15/2009 (and PMK 112/2010): final income tax on savings interest paid by a cooperative to an
# individual member. Below or at the threshold nothing is due; above it the rate applies to the
# whole gross interest of the month.
FINAL_TAX_THRESHOLD = Decimal(240_000)
FINAL_TAX_RATE = Decimal("0.10")
# A member that is a legal entity (e.g. another cooperative) is not covered by PP 15/2009, so the
# interest is ordinary income for it and the payer withholds PPh 23 on interest: 15 % of the
# gross, no threshold.
PPH23_RATE = Decimal("0.15")

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)
# Explicit context for every operation here: results are the same whatever the caller's context,
# and nothing inexact is ever silently produced from an invalid operation.
_CTX = Context(
    prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


@dataclass(frozen=True, slots=True)
class BalanceSpan:
    """The balance holds from ``from_day`` (1-based) until the next span or the period end."""

    from_day: int
    balance: Decimal


@dataclass(frozen=True, slots=True)
class InterestResult:
    """Gross ``interest``, the ``tax`` withheld from it and ``net`` = interest − tax."""

    interest: Decimal
    tax: Decimal
    net: Decimal


def period_interest(
    *,
    method: str,
    annual_rate: Decimal,
    days_in_period: int,
    year_days: int,
    balances: Sequence[BalanceSpan],
) -> Decimal:
    """The gross interest of one period, rounded half-up to the sen.

    ``balances`` are spans in day order, the first from day 1 (see the module docstring).
    Without its rounding of the average balance to the sen, ``rata_rata`` would equal
    ``harian`` exactly (average × days = Σ daily balance); with it the two differ by at most
    one sen.
    """
    if method not in METHODS:
        raise DomainError("invalid", f"Choose one of: {', '.join(METHODS)}.", "method")
    _check_rate(annual_rate)
    if (
        not isinstance(days_in_period, int)
        or isinstance(days_in_period, bool)
        or not 1 <= days_in_period <= MAX_DAYS_IN_PERIOD
    ):
        raise DomainError(
            "out_of_range",
            f"The period must have between 1 and {MAX_DAYS_IN_PERIOD} days.",
            "days_in_period",
        )
    if not isinstance(year_days, int) or isinstance(year_days, bool) or year_days not in YEAR_DAYS:
        raise DomainError(
            "invalid", "The days in a year must be one of: 360, 365, 366.", "year_days"
        )
    daily_sum, lowest = _sum_and_lowest(balances, days_in_period)

    ctx = _CTX
    # Each method: one exact numerator divided once by 100 × year_days (percent, day count).
    divisor = 100 * year_days
    if method == "harian":
        numerator = ctx.multiply(daily_sum, annual_rate)
    elif method == "terendah":
        numerator = ctx.multiply(ctx.multiply(lowest, annual_rate), days_in_period)
    else:  # rata_rata
        average = ctx.divide(daily_sum, days_in_period).quantize(
            CENT, rounding=ROUND_HALF_UP, context=ctx
        )
        numerator = ctx.multiply(ctx.multiply(average, annual_rate), days_in_period)
    return ctx.divide(numerator, divisor).quantize(CENT, rounding=ROUND_HALF_UP, context=ctx)


def final_tax(gross_interest: Decimal, *, individual_member: bool = True) -> Decimal:
    """Tax withheld from a month's gross savings interest, rounded half-up to the sen.

    Individual member (PP 15/2009): 0 when ``gross_interest`` ≤ Rp 240.000, else 10 % of the
    whole gross. Legal-entity member: PPh 23, 15 % of the whole gross, no threshold. Whether the
    threshold applies per account or per member is the caller's choice (sum first for per member).
    """
    _check_gross(gross_interest)
    if individual_member:
        if gross_interest <= FINAL_TAX_THRESHOLD:
            return _ZERO
        rate = FINAL_TAX_RATE
    else:
        rate = PPH23_RATE
    return _CTX.multiply(gross_interest, rate).quantize(CENT, rounding=ROUND_HALF_UP, context=_CTX)


def member_tax(account_interest: Sequence[Decimal]) -> list[Decimal]:
    """The final tax of one individual member whose threshold covers all their accounts: the
    tax on the member's total, split over the accounts in proportion to their interest (largest
    remainder), so the parts add up to the member's tax exactly."""
    total = sum(account_interest, _ZERO)
    tax = final_tax(total)
    if not tax:
        return [_ZERO for _ in account_interest]
    return allocate_largest_remainder(tax, list(account_interest))


def savings_interest(
    *,
    method: str,
    annual_rate: Decimal,
    days_in_period: int,
    year_days: int,
    balances: Sequence[BalanceSpan],
    individual_member: bool = True,
    gross_interest: Decimal | None = None,
) -> InterestResult:
    """Interest of one period, its tax and the net amount credited to the member.

    With ``gross_interest`` given (e.g. the per-member total of several accounts) nothing is
    computed: the other calculation inputs are ignored, not validated (``balances`` may be
    empty), and only the tax is applied to ``gross_interest``.
    """
    if gross_interest is None:
        interest = period_interest(
            method=method,
            annual_rate=annual_rate,
            days_in_period=days_in_period,
            year_days=year_days,
            balances=balances,
        )
    else:
        _check_gross(gross_interest)
        interest = gross_interest.quantize(CENT, context=_CTX)  # exact: at most 2 decimals
    tax = final_tax(interest, individual_member=individual_member)
    return InterestResult(interest=interest, tax=tax, net=_CTX.subtract(interest, tax))


def _sum_and_lowest(
    balances: Sequence[BalanceSpan], days_in_period: int
) -> tuple[Decimal, Decimal]:
    """Validate the spans; return (Σ of the daily balances, the lowest balance), both exact."""
    if not balances:
        raise DomainError("required", "Give at least one balance, from day 1.", "balances")
    ctx = _CTX
    daily_sum = Decimal(0)
    lowest = MAX_BALANCE
    previous: BalanceSpan | None = None
    for span in balances:
        if not isinstance(span, BalanceSpan):
            raise DomainError("invalid", "Each balance must be a BalanceSpan.", "balances")
        day, balance = span.from_day, span.balance
        if not isinstance(day, int) or isinstance(day, bool):
            raise DomainError("invalid", "A balance's day must be a whole number.", "balances")
        if previous is None:
            if day != 1:
                raise DomainError("first_day", "The first balance must start on day 1.", "balances")
        elif day <= previous.from_day:
            raise DomainError(
                "not_increasing",
                f"Balance days must increase: day {day} comes after day {previous.from_day}.",
                "balances",
            )
        if day > days_in_period:
            raise DomainError(
                "out_of_range",
                f"A balance starts on day {day}, after the period's {days_in_period} days.",
                "balances",
            )
        _check_balance(balance)
        if previous is not None:
            held = day - previous.from_day
            daily_sum = ctx.add(daily_sum, ctx.multiply(previous.balance, held))
        lowest = min(lowest, balance)
        previous = span
    assert previous is not None  # balances is not empty
    held = days_in_period + 1 - previous.from_day
    daily_sum = ctx.add(daily_sum, ctx.multiply(previous.balance, held))
    return daily_sum, lowest


def _check_balance(value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Each balance must be a Decimal amount.", "balances")
    if value < 0:
        raise DomainError("negative", "A balance must not be negative.", "balances")
    if value >= MAX_BALANCE:
        raise DomainError("too_large", "A balance is too large.", "balances")
    if value != value.quantize(CENT, context=_CTX):
        raise DomainError("too_precise", "Use at most 2 decimal places in balances.", "balances")


def _check_rate(value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the rate as a Decimal percentage.", "annual_rate")
    if value < 0:
        raise DomainError("negative", "The interest rate must not be negative.", "annual_rate")
    if value > MAX_ANNUAL_RATE:
        raise DomainError(
            "too_large", "The interest rate must be at most 100 % a year.", "annual_rate"
        )
    if value != value.quantize(_RATE_QUANTUM, context=_CTX):
        raise DomainError(
            "too_precise", f"Use at most {RATE_PLACES} decimal places in the rate.", "annual_rate"
        )


def _check_gross(value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(
            "invalid", "Enter the gross interest as a Decimal amount.", "gross_interest"
        )
    if value < 0:
        raise DomainError("negative", "The gross interest must not be negative.", "gross_interest")
    if value >= MAX_BALANCE:
        raise DomainError("too_large", "The gross interest is too large.", "gross_interest")
    if value != value.quantize(CENT, context=_CTX):
        raise DomainError(
            "too_precise", "Use at most 2 decimal places in the gross interest.", "gross_interest"
        )
