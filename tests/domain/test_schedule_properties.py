"""Properties of every schedule, for every method under every rounding rule (hypothesis).

The worked examples and edge cases are in test_schedule.py.
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import holidays
import numpy_financial as npf
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.schedule import (
    FREQUENCIES,
    METHODS,
    ROUNDINGS,
    LoanTerms,
    Schedule,
    build_schedule,
)

D = Decimal
START = date(2026, 1, 15)

# --- properties -----------------------------------------------------------------------------------

RUPIAH_UNIT = {"none": D("0.01"), "1": D("1"), "100": D("100"), "1000": D("1000")}


@st.composite
def loan_terms(
    draw: st.DrawFn,
    methods: tuple[str, ...] = METHODS,
    roundings: tuple[str, ...] = ROUNDINGS,
    max_grace: int = 12,
    max_periods: int = 600,
) -> LoanTerms:
    periods = draw(st.one_of(st.integers(1, 48), st.integers(1, max_periods)))
    grace = draw(st.integers(0, min(periods - 1, max_grace)))
    method = draw(st.sampled_from(methods))
    rounding = draw(st.sampled_from(roundings))
    rate_period = draw(st.sampled_from(["month", "year"]))
    top = D("3") if rate_period == "month" else D("36")
    rate = draw(st.decimals(min_value=0, max_value=top, places=4))
    m = periods - grace
    # Big enough that a rounded-up constant instalment cannot repay the loan early; the refusal
    # when it would is tested above.
    smallest = max(m * m * RUPIAH_UNIT[rounding] * 100, D(100_000)) * 100
    sen = draw(st.integers(int(smallest), 10**13))
    return LoanTerms(
        principal=D(sen).scaleb(-2),
        rate=rate,
        rate_period=rate_period,  # type: ignore[arg-type]
        periods=periods,
        method=method,  # type: ignore[arg-type]
        frequency=draw(st.sampled_from(FREQUENCIES)),  # type: ignore[arg-type]
        rounding=rounding,  # type: ignore[arg-type]
        grace_periods=grace,
    )


def schedule_or_refusal(terms: LoanTerms, **kwargs: object) -> Schedule | None:
    """Long high-rate annuities can still repay early: the rounded instalment's overpayment
    earns interest too (rounded up to Rp 100, or even ½ sen a period at 3 % a month over 30
    years), and that refusal is fine here."""
    try:
        return build_schedule(terms, disbursed_on=START, **kwargs)  # type: ignore[arg-type]
    except DomainError as exc:
        assert exc.code == "principal_too_small"
        assert terms.method == "anuitas"
        return None


def per_period_rate(terms: LoanTerms) -> Fraction:
    """Exact, so the checks below do not round themselves."""
    return Fraction(*terms.rate_per_period)


def half_up(value: Fraction, unit: Decimal) -> Decimal:
    """The exact ``value`` rounded half-up to a multiple of ``unit``, computed independently."""
    steps = value / Fraction(unit)
    return D(int(steps + Fraction(1, 2)) if steps >= 0 else -int(-steps + Fraction(1, 2))) * unit


def ceiling(value: Fraction, unit: Decimal) -> Decimal:
    steps = value / Fraction(unit)
    return D(-(-steps.numerator // steps.denominator)) * unit


# Every method under every rounding rule, each with its own hypothesis run, so no combination is
# left to chance.
EVERY_RULE = pytest.mark.parametrize(
    ("method", "rounding"), [(m, r) for m in METHODS for r in ROUNDINGS]
)


@EVERY_RULE
@given(data=st.data())
def test_rows_add_up(method: str, rounding: str, data: st.DataObject) -> None:
    terms = data.draw(loan_terms(methods=(method,), roundings=(rounding,)))
    schedule = schedule_or_refusal(terms)
    if schedule is None:
        return
    rows = schedule.instalments
    assert [row.no for row in rows] == list(range(1, terms.periods + 1))
    assert sum(row.principal for row in rows) == terms.principal
    balance = terms.principal
    for row in rows:
        assert row.payment == row.principal + row.interest
        # no negative part, the last row's included
        assert row.principal >= 0 and row.interest >= 0 and row.payment >= 0
        balance -= row.principal
        assert row.balance == balance >= 0
    assert rows[-1].balance == 0 and rows[-1].principal > 0
    assert schedule.total_interest == sum(row.interest for row in rows)
    assert schedule.total_payment == sum(row.payment for row in rows)
    assert schedule.total_payment == terms.principal + schedule.total_interest


@EVERY_RULE
@given(data=st.data())
def test_rounding_rules_hold(method: str, rounding: str, data: st.DataObject) -> None:
    terms = data.draw(loan_terms(methods=(method,), roundings=(rounding,)))
    schedule = schedule_or_refusal(terms)
    if schedule is None:
        return
    unit = RUPIAH_UNIT[rounding]
    interest_unit = min(unit, D(1))
    i = per_period_rate(terms)
    rows = schedule.instalments
    for row in rows:
        assert row.interest % interest_unit == 0
    # Flat: the last row carries the interest residue (tested below); the rows before charge
    # P·i rounded, unless capped so that the residue stays positive.
    charged = rows[:-1] if method == "flat" else rows
    for row in charged:
        base = terms.principal if method == "flat" else row.balance + row.principal
        exact = Fraction(base) * i
        if abs(Fraction(row.interest) - exact) > Fraction(interest_unit) / 2:
            assert method == "flat" and Fraction(row.interest) < exact
            # capped: one more unit a row would take more than the whole P·i·n
            assert (terms.periods - 1) * (row.interest + interest_unit) > schedule.total_interest
    regular = rows[terms.grace_periods : -1]
    assert all(row.payment % unit == 0 for row in regular)


@EVERY_RULE
@given(data=st.data())
def test_grace_rows_are_interest_only(method: str, rounding: str, data: st.DataObject) -> None:
    terms = data.draw(loan_terms(methods=(method,), roundings=(rounding,)))
    schedule = schedule_or_refusal(terms)
    if schedule is None:
        return
    grace = schedule.instalments[: terms.grace_periods]
    for row in grace:
        assert row.principal == 0 and row.balance == terms.principal
        assert row.payment == row.interest
    assert len({row.interest for row in grace}) <= 1


@pytest.mark.parametrize("rounding", ROUNDINGS)
@given(data=st.data())
def test_flat_interest_is_p_i_n_rounded_once(rounding: str, data: st.DataObject) -> None:
    terms = data.draw(loan_terms(methods=("flat",), roundings=(rounding,)))
    schedule = schedule_or_refusal(terms)
    assert schedule is not None
    unit = RUPIAH_UNIT[rounding]
    interest_unit = min(unit, D(1))
    p, i, n = Fraction(terms.principal), per_period_rate(terms), terms.periods
    m = n - terms.grace_periods
    # Σ interest = P·i·n, rounded once: to the sen unrounded, to the rupiah under a rule.
    assert schedule.total_interest == half_up(p * i * n, interest_unit)
    rows = schedule.instalments
    assert len({row.interest for row in rows[:-1]}) <= 1  # every row but the last: P·i
    regular = rows[terms.grace_periods : -1]
    # the instalment: (P + P·i·m) / m rounded by the rule (half-up, or up to 100 / 1.000)
    exact_payment = (p + p * i * m) / m
    rounded_up = rounding in {"100", "1000"}
    expected = ceiling(exact_payment, unit) if rounded_up else half_up(exact_payment, unit)
    assert all(row.payment == expected for row in regular)


@EVERY_RULE
@given(data=st.data())
def test_constant_instalments_except_grace_and_last(
    method: str, rounding: str, data: st.DataObject
) -> None:
    terms = data.draw(loan_terms(methods=(method,), roundings=(rounding,)))
    schedule = schedule_or_refusal(terms)
    if schedule is None:
        return
    regular = schedule.instalments[terms.grace_periods : -1]
    if method == "menurun":
        # falling: each row's interest is on a smaller balance
        assert all(a.interest >= b.interest for a, b in zip(regular, regular[1:], strict=False))
    else:
        assert len({row.payment for row in regular}) <= 1


@given(loan_terms(methods=("menurun",), roundings=("none",)))
def test_menurun_principal_parts_are_p_over_m_to_the_sen(terms: LoanTerms) -> None:
    schedule = build_schedule(terms, disbursed_on=START)
    share = terms.principal / (terms.periods - terms.grace_periods)
    for row in schedule.instalments[terms.grace_periods :]:
        assert abs(row.principal - share) < D("0.01")


def compounding(i: float, k: int) -> float:
    """((1+i)^k − 1) / i: how a sen of rounding per period grows over k periods."""
    return float(k) if i == 0 else ((1 + i) ** k - 1) / i


@given(loan_terms(methods=("anuitas",), roundings=("none",), max_grace=0, max_periods=120))
def test_anuitas_matches_numpy_financial(terms: LoanTerms) -> None:
    schedule = build_schedule(terms, disbursed_on=START)
    i = float(per_period_rate(terms))
    assume(i == 0 or i > 1e-5)  # below that the float reference itself loses the sen
    n, p = terms.periods, float(terms.principal)
    for row in schedule.instalments:
        # Our balance may differ from the exact one by the sen rounded away so far (≤ 1 sen a
        # period: the instalment and the interest each ≤ ½ sen), grown at the loan's rate.
        drift = 0.01 * compounding(i, row.no - 1)
        slack = 1e-9 * p  # float reference
        if i:
            expected_interest = float(npf.ipmt(i, row.no, n, -p))
            expected_principal = float(npf.ppmt(i, row.no, n, -p))
        else:
            expected_interest, expected_principal = 0.0, p / n
        assert abs(float(row.interest) - expected_interest) <= drift * i + 0.005 + slack
        tolerance = drift if row.no == n else drift * i + 0.01
        assert abs(float(row.principal) - expected_principal) <= tolerance + slack


BUSINESS_CLOSED = holidays.Indonesia(years=range(2026, 2030))


@given(loan_terms(), st.booleans())
def test_due_dates_increase_and_avoid_holidays(terms: LoanTerms, skip: bool) -> None:
    closed: Callable[[date], bool] | None = BUSINESS_CLOSED.__contains__ if skip else None
    schedule = schedule_or_refusal(terms, is_holiday=closed)
    if schedule is None:
        return
    dates = [row.due_date for row in schedule.instalments]
    assert all(a < b for a, b in zip([START, *dates], dates, strict=False))
    if skip:
        assert not any(d.weekday() == 6 or d in BUSINESS_CLOSED for d in dates)
