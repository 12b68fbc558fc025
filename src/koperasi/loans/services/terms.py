"""A product's or loan's terms as the pure schedule calculator's input."""

import datetime as dt
from decimal import Decimal

import holidays

from koperasi.domain.errors import DomainError
from koperasi.domain.money import round_sen
from koperasi.domain.repayment import PenaltyRule
from koperasi.domain.schedule import PERIODS_PER_YEAR, LoanTerms, Schedule, build_schedule
from koperasi.loans.models import LoanProduct
from koperasi.loans.simulation import service_error


def schedule_for(
    *,
    principal: Decimal,
    rate: Decimal,
    rate_period: str,
    term: int,
    method: str,
    frequency: str,
    rounding: str,
    grace_periods: int,
    start: dt.date,
    skip_holidays: bool,
) -> Schedule:
    """The schedule, or the calculator's refusal as a ServiceError naming the field."""
    try:
        terms = LoanTerms(
            principal=principal,
            rate=rate,
            rate_period=rate_period,  # type: ignore[arg-type]  # validated by LoanTerms
            periods=term,
            method=method,  # type: ignore[arg-type]
            frequency=frequency,  # type: ignore[arg-type]
            rounding=rounding,  # type: ignore[arg-type]
            grace_periods=grace_periods,
        )
        # The calendar adds later years by itself as due dates reach them.
        calendar = holidays.Indonesia(years=start.year) if skip_holidays else None
        return build_schedule(terms, disbursed_on=start, is_holiday=calendar)
    except DomainError as exc:
        raise service_error(exc) from exc


def product_schedule(
    product: LoanProduct, *, principal: Decimal, term: int, grace_periods: int, start: dt.date
) -> Schedule:
    return schedule_for(
        principal=principal,
        rate=product.rate,
        rate_period=product.rate_period,
        term=term,
        method=product.method,
        frequency=product.frequency,
        rounding=product.rounding,
        grace_periods=grace_periods,
        start=start,
        skip_holidays=product.skip_holidays,
    )


def monthly_burden(schedule: Schedule, frequency: str) -> Decimal:
    """The largest instalment as a monthly amount (weekly × 52/12, daily × 365/12)."""
    largest = max(row.payment for row in schedule.instalments)
    per_year = PERIODS_PER_YEAR[frequency]
    return round_sen(largest * per_year / 12)


def penalty_rule(product: LoanProduct) -> PenaltyRule:
    return PenaltyRule(
        kind=product.penalty_kind,  # type: ignore[arg-type]  # validated on save
        rate=product.penalty_rate,
        flat=product.penalty_flat,
        grace_days=product.penalty_grace_days,
        cap_pct=product.penalty_cap_pct,
    )
