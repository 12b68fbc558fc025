"""Loan instalment schedules: flat, menurun (declining balance) and anuitas (annuity).

Pure and exact (docs DOMAIN.md "Loans"). The public API takes and returns ``Decimal``; inside,
every amount is a whole number of sen (``int``) and the per-period rate an exact fraction, so
each rounding below is the half-up (or ceiling) of the *exact* value: no float, and no Decimal
precision limit in between. Converting rates is explicit: monthly i = annual / 12, weekly
i = annual / 52, daily i = annual / 365, and a per-month rate is first made annual (× 12).

How amounts are rounded (the rounding rule is a product setting):

* ``rounding="none"``: interest per period, the instalment and the principal parts are rounded
  half-up to the sen.
* ``"1"``: interest per period half-up to the rupiah, the instalment half-up to the rupiah.
* ``"100"`` / ``"1000"``: interest half-up to the rupiah, the instalment *up* (ceiling) to the
  next multiple of Rp 100 / Rp 1.000.

In every case the principal part of a row is instalment − interest and the **last instalment
absorbs the residue**: its principal is whatever balance is left, so Σ principal = P exactly and
the balance ends at 0. All rounding is money.py's (half-up, or ceiling; ``round_ratio_half_up``
and ``ceil_ratio``), on exact integer ratios; the hot loops inline the same formulas. Per
method, over the m = n − grace amortising periods:

* ``flat``: the total interest is P·i·n rounded once (to the sen, or to the rupiah under a
  rounding rule), never the sum of n rounded P·i; every row but the last charges P·i rounded,
  the instalment is round((P + P·i·m)/m) (with no grace period that is (P + P·i·n)/n),
  constant except the last, and the **last instalment absorbs both residues**: its principal is
  the balance left and its interest the total less what the other rows charged. So
  50.000.000 at 13,84 % p.a. over 12 months charges exactly 6.920.000,00: 11 × 576.666,67 and
  a last 576.666,63. (Should P·i rounded up, times n − 1, exceed the total, as with less than
  n/2 sen of interest a period, each row charges the total / (n − 1) rounded down instead, so
  the last row's interest is never negative.)
* ``anuitas``: instalment A = round(P·i / (1 − (1+i)^−m)), constant except the last; interest
  round(balance·i). With i = 0, A = round(P/m).
* ``menurun``: equal principal. Row k brings the balance to round(P·(m−k)/m), the exact declining
  balance rounded (to the sen, or to the rupiah under a rounding rule), so the residue is spread
  over the rows instead of piling up at the end; interest round(balance·i); the instalment
  principal + interest is then rounded by the rule, and since the next row aims at the exact
  balance again, rounding up never accumulates.

With P = 10.000.000, n = 12, i = 1,5 %/month and no rounding this gives the figures of
DOMAIN.md: flat 983.333,33 (the last 983.333,37 takes the 4 sen of 12 × 833.333,33), total
interest 1.800.000 (= P·i·n); menurun first 983.333,33 and last 845.833,33, total interest
975.000; anuitas 916.799,93 (the last 916.799,92), total interest 1.001.599,15.

Grace periods are interest-only (interest P·i, rounded like any interest; the instalment rounding
rule does not apply to them, so no principal is collected). For ``flat`` they count towards the
P·i·n total like any other row.

A constant instalment rounded up overpays principal by up to one unit a period, and the last
instalment gives that back. When the overpayment would repay the loan before its last instalment
the terms are refused (``principal_too_small``) rather than producing instalments of Rp 0: for
``flat`` that happens once (m − 1) × unit exceeds about P/m, e.g. Rp 1.007.919 over 36 months
rounded up to Rp 1.000; for a long high-rate ``anuitas`` the overpayment also earns interest.

Due dates: the first one period after disbursement (monthly: same day of the month, clipped to the
month's end, always counted from the disbursement date so 31 Jan gives 28 Feb then 31 Mar), each
next one period later. With a holiday calendar, a due date on a Sunday or a holiday moves to the
next business day, and never onto or before the previous due date (so a daily schedule runs on
business days). The calendar is a parameter, which keeps this module pure.
"""

import calendar
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Context, Decimal, localcontext
from math import gcd
from typing import Literal, get_args

from koperasi.domain.errors import DomainError
from koperasi.domain.money import ceil_ratio, round_ratio_half_up

Method = Literal["flat", "menurun", "anuitas"]
Frequency = Literal["monthly", "weekly", "daily"]
Rounding = Literal["none", "1", "100", "1000"]
RatePeriod = Literal["month", "year"]

METHODS: tuple[str, ...] = get_args(Method)
FREQUENCIES: tuple[str, ...] = get_args(Frequency)
ROUNDINGS: tuple[str, ...] = get_args(Rounding)
RATE_PERIODS: tuple[str, ...] = get_args(RatePeriod)

# Divisors from an annual rate to the rate per period.
MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52
DAYS_PER_YEAR = 365
PERIODS_PER_YEAR: dict[str, int] = {
    "monthly": MONTHS_PER_YEAR,
    "weekly": WEEKS_PER_YEAR,
    "daily": DAYS_PER_YEAR,
}

MAX_PERIODS = 600
MAX_PRINCIPAL = Decimal(10) ** 15  # Rp 1 quadrillion: far above any loan, keeps ints small
MAX_ANNUAL_RATE = Decimal(1000)  # percent; a sanity bound, not the legal cap (a product rule)
RATE_QUANTUM = Decimal("1E-8")  # rates are entered with at most 8 decimals
MAX_HOLIDAY_RUN = 60  # days a due date may move forward before the calendar is deemed broken

SEN_PER_RUPIAH = 100
# rounding rule -> (interest unit, instalment unit, instalment rounded up?), units in sen
_ROUNDING_RULES: dict[str, tuple[int, int, bool]] = {
    "none": (1, 1, False),
    "1": (SEN_PER_RUPIAH, SEN_PER_RUPIAH, False),
    "100": (SEN_PER_RUPIAH, 100 * SEN_PER_RUPIAH, True),
    "1000": (SEN_PER_RUPIAH, 1000 * SEN_PER_RUPIAH, True),
}

CENT = Decimal("0.01")
# Used for Decimal work (sen -> Decimal, input checks) so results are exact and the same
# whatever decimal context the caller has set.
_CTX = Context(prec=40)
_ONE_DAY = timedelta(days=1)
_SUNDAY = 6

HolidayCalendar = Callable[[date], bool] | Container[date]


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What a schedule is computed from; invalid terms raise ``DomainError`` on creation.

    ``rate`` is a percentage (``Decimal("1.5")`` is 1,5 %) per ``rate_period``; ``periods`` is
    the number of instalments, grace periods included.
    """

    principal: Decimal
    rate: Decimal
    rate_period: RatePeriod
    periods: int
    method: Method
    frequency: Frequency = "monthly"
    rounding: Rounding = "none"
    grace_periods: int = 0

    def __post_init__(self) -> None:
        _check_principal(self.principal)
        _check_choice(self.rate_period, RATE_PERIODS, "rate_period")
        _check_rate(self.rate, self.rate_period)
        _check_choice(self.method, METHODS, "method")
        _check_choice(self.frequency, FREQUENCIES, "frequency")
        _check_choice(self.rounding, ROUNDINGS, "rounding")
        if not _is_int(self.periods) or not 1 <= self.periods <= MAX_PERIODS:
            raise DomainError(
                "out_of_range",
                f"The number of instalments must be between 1 and {MAX_PERIODS}.",
                "periods",
            )
        if not _is_int(self.grace_periods) or self.grace_periods < 0:
            raise DomainError(
                "negative", "The grace period must be zero or more periods.", "grace_periods"
            )
        if self.grace_periods >= self.periods:
            raise DomainError(
                "grace_too_long",
                "The grace period must be shorter than the number of instalments.",
                "grace_periods",
            )

    @property
    def rate_per_period(self) -> tuple[int, int]:
        """The exact rate per period as (numerator, denominator), e.g. 1,5 %/month -> (3, 200)."""
        num, den = self.rate.as_integer_ratio()
        if self.rate_period == "month":
            num *= MONTHS_PER_YEAR  # a per-month rate is first made annual
        den *= 100 * PERIODS_PER_YEAR[self.frequency]
        divisor = gcd(num, den)
        return num // divisor, den // divisor


@dataclass(frozen=True)  # no slots: build_schedule fills the instance dict (see _instalment)
class Instalment:
    """One row: ``payment`` = ``principal`` + ``interest``; ``balance`` is what remains after it."""

    no: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """All instalments in due order; ``total_payment`` = principal + ``total_interest``."""

    instalments: tuple[Instalment, ...]
    total_interest: Decimal
    total_payment: Decimal


def build_schedule(
    terms: LoanTerms,
    *,
    disbursed_on: date,
    is_holiday: HolidayCalendar | None = None,
) -> Schedule:
    """The instalment schedule of a loan disbursed on ``disbursed_on``.

    ``is_holiday`` (a predicate, or any container of dates such as a frozenset or a
    ``holidays.Indonesia()`` calendar) turns on moving due dates off Sundays and those
    holidays; ``None`` keeps the plain calendar dates.
    """
    if not isinstance(terms, LoanTerms):
        raise DomainError("invalid", "Loan terms are required.", "terms")
    if not isinstance(disbursed_on, date) or isinstance(disbursed_on, datetime):
        raise DomainError("invalid", "The disbursement date must be a date.", "disbursed_on")
    n = terms.periods
    grace = terms.grace_periods
    m = n - grace  # amortising periods
    num, den = terms.principal.as_integer_ratio()
    principal = num * (100 // den)  # in sen, exact: LoanTerms allows at most 2 decimals
    inum, iden = terms.rate_per_period
    iu, unit, up = _ROUNDING_RULES[terms.rounding]
    dates = _due_dates(disbursed_on, n, terms.frequency, is_holiday)

    # interest(b) = b·i rounded half-up to iu sen, in integers: (2·b·inum + iden·iu) // (2·iden·iu)
    # (round_ratio_half_up inlined for the loops below)
    i_mul = 2 * inum
    i_add = iden * iu
    i_div = 2 * i_add
    full_interest = round_ratio_half_up(principal * inum, iden, iu)  # on the whole principal
    if terms.method == "flat":
        # P·i·n rounded once; the rows charge P·i rounded, capped so the last is never negative.
        flat_total = round_ratio_half_up(principal * inum * n, iden, iu)
        if n > 1 and (n - 1) * full_interest > flat_total:
            full_interest = flat_total // iu // (n - 1) * iu

    # Rows are built straight into Instalment objects: this loop is the hot path (see
    # benchmarks/schedule.py), so amounts are sen ints until ``cent * sen`` makes them Decimal.
    rows: list[Instalment] = []
    add = rows.append
    with localcontext(_CTX):
        cent = CENT
        if grace:
            zero, grace_interest = cent * 0, cent * full_interest
            grace_balance = cent * principal
            for no, due in zip(range(1, grace + 1), dates, strict=False):
                add(_instalment(no, due, zero, grace_interest, grace_interest, grace_balance))
        total_interest = grace * full_interest
        balance = principal
        middle = zip(range(grace + 1, n), dates[grace : n - 1], strict=True)

        if terms.method == "flat":
            interest = full_interest
            # (P + P·i·m) / m, exact, rounded by the rule
            payment = _round(principal * (iden + inum * m), iden * m, unit, up)
            part = payment - interest
            d_part, d_interest, d_payment = cent * part, cent * interest, cent * payment
            for no, due in middle:
                balance -= part
                add(_instalment(no, due, d_part, d_interest, d_payment, cent * balance))
            total_interest += (m - 1) * interest
        elif terms.method == "anuitas":
            if inum == 0:
                payment = _round(principal, m, unit, up)
            else:
                grown = (iden + inum) ** m
                payment = _round(principal * inum * grown, iden * (grown - iden**m), unit, up)
            d_payment = cent * payment
            for no, due in middle:
                interest = (i_mul * balance + i_add) // i_div * iu
                part = payment - interest
                balance -= part
                total_interest += interest
                add(_instalment(no, due, cent * part, cent * interest, d_payment, cent * balance))
        else:  # menurun
            # Row k aims at the exact balance P·(m−k)/m, rounded half-up to iu:
            # (2·P·(m−k) + m·iu) // (2·m·iu) · iu, with the numerator stepping down by 2·P.
            aim, aim_step, aim_div = 2 * principal * (m - 1) + m * iu, 2 * principal, 2 * m * iu
            # The instalment rule without branching: (r_mul·x + r_add) // r_div · unit is the
            # ceiling (1, unit − 1, unit) or half-up (2, unit, 2·unit) to a multiple of unit.
            r_mul, r_add, r_div = (1, unit - 1, unit) if up else (2, unit, 2 * unit)
            for no, due in middle:
                interest = (i_mul * balance + i_add) // i_div * iu
                target = aim // aim_div * iu
                aim -= aim_step
                part = balance - target if balance > target else 0
                payment = (r_mul * (part + interest) + r_add) // r_div * unit
                part = payment - interest
                balance -= part
                total_interest += interest
                add(
                    _instalment(
                        no, due, cent * part, cent * interest, cent * payment, cent * balance
                    )
                )

        if balance <= 0:
            raise DomainError(
                "principal_too_small",
                "The loan would be repaid before its last instalment: use a smaller rounding "
                "unit, fewer instalments or a larger principal.",
                "principal",
            )
        # The last instalment takes whatever balance is left: Σ principal = P exactly.
        if terms.method == "flat":
            interest = flat_total - total_interest  # the residue of P·i·n rounded once
        else:
            interest = (i_mul * balance + i_add) // i_div * iu
        total_interest += interest
        add(
            _instalment(
                n, dates[-1], cent * balance, cent * interest, cent * (balance + interest), cent * 0
            )
        )
        return Schedule(tuple(rows), cent * total_interest, cent * (total_interest + principal))


_new_object = object.__new__


def _instalment(
    no: int, due: date, principal: Decimal, interest: Decimal, payment: Decimal, balance: Decimal
) -> Instalment:
    """The same object as ``Instalment(...)``, at under half the cost.

    A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``; with one
    row per instalment that alone was half of a schedule's time. The fields go straight into
    the new instance's dict instead (tests check the rows equal normally built ones).
    """
    row: Instalment = _new_object(Instalment)
    fields = row.__dict__
    fields["no"] = no
    fields["due_date"] = due
    fields["principal"] = principal
    fields["interest"] = interest
    fields["payment"] = payment
    fields["balance"] = balance
    return row


def _round(num: int, den: int, unit: int, up: bool) -> int:
    """num/den (>= 0) in sen, to a multiple of ``unit`` sen: ceiling if ``up``, else half-up."""
    return ceil_ratio(num, den, unit) if up else round_ratio_half_up(num, den, unit)


def _due_dates(
    start: date, n: int, frequency: str, is_holiday: HolidayCalendar | None
) -> list[date]:
    try:
        dates = _calendar_dates(start, n, frequency)
        if is_holiday is not None:
            dates = _business_dates(start, dates, is_holiday)
    except DomainError:
        raise
    except (OverflowError, ValueError) as exc:  # past 31/12/9999
        raise DomainError(
            "out_of_range", "The schedule would run past the year 9999.", "disbursed_on"
        ) from exc
    return dates


def _calendar_dates(start: date, n: int, frequency: str) -> list[date]:
    dates: list[date] = []
    add = dates.append
    if frequency == "monthly":
        # The same day as the disbursement every month, clipped to shorter months without
        # drifting: 31 Jan gives 28 Feb, then 31 Mar.
        year, month, day = start.year, start.month, start.day
        for _ in range(n):
            if month == 12:
                year, month = year + 1, 1
            else:
                month += 1
            if day > 28:
                add(date(year, month, min(day, calendar.monthrange(year, month)[1])))
            else:
                add(date(year, month, day))
        return dates
    step = timedelta(days=7 if frequency == "weekly" else 1)
    due = start
    for _ in range(n):
        due += step
        add(due)
    return dates


def _business_dates(start: date, dates: list[date], is_holiday: HolidayCalendar) -> list[date]:
    closed = is_holiday.__contains__ if isinstance(is_holiday, Container) else is_holiday
    shifted = []
    previous = start
    for due in dates:
        if due <= previous:
            due = previous + _ONE_DAY
        moved = 0
        while due.weekday() == _SUNDAY or closed(due):
            due += _ONE_DAY
            moved += 1
            if moved > MAX_HOLIDAY_RUN:
                raise DomainError(
                    "no_business_day",
                    f"The holiday calendar has no business day in {MAX_HOLIDAY_RUN} days.",
                    "is_holiday",
                )
        shifted.append(due)
        previous = due
    return shifted


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_choice(value: object, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise DomainError("invalid", f"Choose one of: {', '.join(allowed)}.", field)


def _check_principal(value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the principal as a Decimal amount.", "principal")
    if value <= 0:
        raise DomainError("not_positive", "The principal must be greater than zero.", "principal")
    if value >= MAX_PRINCIPAL:
        raise DomainError("too_large", "The principal is too large.", "principal")
    if value != value.quantize(CENT, context=_CTX):
        raise DomainError("too_precise", "Use at most 2 decimal places.", "principal")


def _check_rate(value: object, rate_period: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the rate as a Decimal percentage.", "rate")
    if value < 0:
        raise DomainError("negative", "The interest rate must not be negative.", "rate")
    if value * (MONTHS_PER_YEAR if rate_period == "month" else 1) > MAX_ANNUAL_RATE:
        raise DomainError("too_large", "The interest rate is too high.", "rate")
    if value != value.quantize(RATE_QUANTUM, context=_CTX):
        raise DomainError("too_precise", "Use at most 8 decimal places in the rate.", "rate")
