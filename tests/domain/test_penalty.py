"""Late-payment penalties (`domain.repayment.penalty_increment`): each kind, grace, caps,
validation, and properties (never negative, within the cap, steps that add up to one)."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, localcontext
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.periods import add_months
from koperasi.domain.repayment import PenaltyRule, penalty_increment

# Amounts in whole sen, as the loans service passes them.
sen_amounts = st.integers(0, 10**9).map(lambda sen: D(sen).scaleb(-2))

# ---------------------------------------------------------------- penalties

DUE = date(2026, 1, 10)


def assess(
    rule: PenaltyRule,
    *,
    overdue: str | D = "1000000",
    payment: str | D = "1000000",
    due_date: date = DUE,
    assessed_through: date | None = None,
    as_of: date,
    already: str | D = "0",
) -> D:
    return penalty_increment(
        rule,
        overdue=D(overdue),
        payment=D(payment),
        due_date=due_date,
        assessed_through=assessed_through,
        as_of=as_of,
        already=D(already),
    )


PER_DAY = PenaltyRule("pct_day", rate=D("0.1"), grace_days=3)


@pytest.mark.parametrize(
    ("assessed_through", "as_of", "expected"),
    [
        (None, date(2026, 1, 10), "0.00"),  # on the due date
        (None, date(2026, 1, 13), "0.00"),  # last grace day
        (None, date(2026, 1, 14), "1000.00"),  # first chargeable day
        (None, date(2026, 1, 20), "7000.00"),  # 14..20 January
        (date(2026, 1, 15), date(2026, 1, 20), "5000.00"),  # 16..20
        (date(2026, 1, 1), date(2026, 1, 20), "7000.00"),  # window opened before the due date
        (date(2026, 1, 20), date(2026, 1, 20), "0.00"),  # empty window
        (date(2026, 1, 21), date(2026, 1, 20), "0.00"),  # reversed window
        (None, date(2026, 2, 10), "28000.00"),  # 14 Jan..10 Feb
    ],
)
def test_pct_day(assessed_through: date | None, as_of: date, expected: str) -> None:
    result = assess(PER_DAY, assessed_through=assessed_through, as_of=as_of)
    assert result == D(expected)
    assert str(result) == expected


def test_pct_day_rounds_half_up_to_the_rupiah() -> None:
    rule = PenaltyRule("pct_day", rate=D("0.1"))
    # 983,333.33 × 0.1 % = 983.33333 a day
    assert assess(rule, overdue="983333.33", as_of=date(2026, 1, 11)) == D("983.00")
    assert assess(rule, overdue="983333.33", as_of=date(2026, 1, 12)) == D("1967.00")
    # 500 × 0.1 % = 0.5 -> 1; 499.99 -> 0.49999 -> 0
    assert assess(rule, overdue="500", as_of=date(2026, 1, 11)) == D("1.00")
    assert assess(rule, overdue="499.99", as_of=date(2026, 1, 11)) == D("0.00")


def test_pct_day_with_no_grace() -> None:
    rule = PenaltyRule("pct_day", rate=D("0.5"))
    assert assess(rule, overdue="200000", as_of=date(2026, 1, 10)) == 0
    assert assess(rule, overdue="200000", as_of=date(2026, 1, 11)) == D("1000.00")


@pytest.mark.parametrize(
    ("due_date", "grace", "assessed_through", "as_of", "expected"),
    [
        # lateness counted from 31 Jan: month 1 completes 28 Feb, month 2 on 31 Mar
        (date(2026, 1, 31), 0, None, date(2026, 2, 27), "0.00"),
        (date(2026, 1, 31), 0, None, date(2026, 2, 28), "20000.00"),
        (date(2026, 1, 31), 0, None, date(2026, 3, 30), "20000.00"),
        (date(2026, 1, 31), 0, None, date(2026, 3, 31), "40000.00"),
        (date(2026, 1, 31), 0, date(2026, 2, 28), date(2026, 3, 31), "20000.00"),
        (date(2026, 1, 31), 0, date(2026, 2, 27), date(2026, 2, 28), "20000.00"),
        (date(2026, 1, 31), 0, date(2026, 2, 28), date(2026, 3, 30), "0.00"),
        # grace 5 days: counted from 5 Feb, month 1 completes 5 Mar
        (date(2026, 1, 31), 5, None, date(2026, 3, 4), "0.00"),
        (date(2026, 1, 31), 5, None, date(2026, 3, 5), "20000.00"),
        (date(2026, 1, 31), 5, date(2026, 1, 1), date(2027, 2, 5), "240000.00"),
    ],
)
def test_pct_month(
    due_date: date, grace: int, assessed_through: date | None, as_of: date, expected: str
) -> None:
    rule = PenaltyRule("pct_month", rate=D("2"), grace_days=grace)
    result = assess(rule, due_date=due_date, assessed_through=assessed_through, as_of=as_of)
    assert result == D(expected)


def test_pct_month_increments_telescope() -> None:
    # 50 × 1 % = Rp 0.50 a month: one month rounds up to Rp 1, two months are exactly Rp 1, so
    # the second month adds round(1.00) − round(0.50) = 0 and the two steps equal one.
    rule = PenaltyRule("pct_month", rate=D("1"))
    due = date(2026, 1, 15)
    one_step = assess(rule, overdue="50", due_date=due, as_of=date(2026, 3, 15))
    first = assess(rule, overdue="50", due_date=due, as_of=date(2026, 2, 15))
    second = assess(
        rule,
        overdue="50",
        due_date=due,
        assessed_through=date(2026, 2, 15),
        as_of=date(2026, 3, 15),
        already=first,
    )
    assert (first, second, one_step) == (D("1.00"), D("0.00"), D("1.00"))


FLAT = PenaltyRule("flat", flat=D("25000"), grace_days=3)


@pytest.mark.parametrize(
    ("assessed_through", "as_of", "expected"),
    [
        (None, date(2026, 1, 13), "0.00"),
        (None, date(2026, 1, 14), "25000.00"),  # first chargeable day
        (None, date(2026, 3, 1), "25000.00"),
        (date(2026, 1, 12), date(2026, 1, 13), "0.00"),
        (date(2026, 1, 13), date(2026, 1, 14), "25000.00"),
        (date(2026, 1, 14), date(2026, 2, 1), "0.00"),  # already charged
        (date(2025, 12, 1), date(2026, 2, 1), "25000.00"),
    ],
)
def test_flat(assessed_through: date | None, as_of: date, expected: str) -> None:
    assert assess(FLAT, assessed_through=assessed_through, as_of=as_of) == D(expected)


def test_flat_fee_is_rounded_to_the_rupiah() -> None:
    rule = PenaltyRule("flat", flat=D("10000.50"))
    assert assess(rule, as_of=date(2026, 2, 1)) == D("10001.00")


def test_none_charges_nothing() -> None:
    assert assess(PenaltyRule("none"), as_of=date(2027, 1, 1)) == D("0.00")
    assert assess(PenaltyRule("none", rate=D(5), flat=D(100)), as_of=date(2027, 1, 1)) == 0


@pytest.mark.parametrize("overdue", ["0", "-100"])
def test_nothing_when_not_overdue(overdue: str) -> None:
    for rule in (PER_DAY, FLAT, PenaltyRule("pct_month", rate=D(2))):
        assert assess(rule, overdue=overdue, as_of=date(2026, 6, 1)) == D("0.00")


def test_cap_limits_the_total_on_an_instalment() -> None:
    # cap = 10 % of 983,333.33 = 98,333.333 -> Rp 98,333
    rule = PenaltyRule("pct_day", rate=D("0.1"), cap_pct=D("10"))
    kw = {"overdue": "983333.33", "payment": "983333.33", "as_of": date(2026, 1, 11)}
    assert assess(rule, already="0", **kw) == D("983.00")  # type: ignore[arg-type]
    assert assess(rule, already="98000", **kw) == D("333.00")  # type: ignore[arg-type]
    assert assess(rule, already="98333", **kw) == D("0.00")  # type: ignore[arg-type]
    assert assess(rule, already="100000", **kw) == D("0.00")  # type: ignore[arg-type]
    # 200 days would be 196,667 uncapped
    assert assess(
        rule, overdue="983333.33", payment="983333.33", as_of=DUE + timedelta(days=200)
    ) == D("98333.00")


def test_cap_rounds_half_up_to_the_rupiah() -> None:
    rule = PenaltyRule("flat", flat=D("1000"), cap_pct=D("5"))
    # 5 % of 10,010 = 500.50 -> 501
    assert assess(rule, payment="10010", as_of=date(2026, 2, 1)) == D("501.00")
    # 5 % of 10,009.99 = 500.4995 -> 500
    assert assess(rule, payment="10009.99", as_of=date(2026, 2, 1)) == D("500.00")


def test_zero_cap_means_no_cap() -> None:
    rule = PenaltyRule("flat", flat=D("50000"), cap_pct=D("0"))
    assert assess(rule, payment="100", as_of=date(2026, 2, 1)) == D("50000.00")


def test_penalty_is_exact_under_a_low_precision_context() -> None:
    rule = PenaltyRule("pct_day", rate=D("0.12345678"))
    with localcontext() as ctx:
        ctx.prec = 3
        result = assess(rule, overdue="123456789012.34", as_of=DUE + timedelta(days=1000))
    # 123,456,789,012.34 × 0.12345678 % × 1000 days = 152,415,776,406.029 -> Rp 152,415,776,406
    assert result == D("152415776406.00")


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"kind": "weekly"}, "penalty_kind", "invalid"),
        ({"kind": "pct_day", "rate": D("-0.1")}, "penalty_rate", "negative"),
        ({"kind": "pct_day", "rate": 0.1}, "penalty_rate", "invalid"),
        ({"kind": "pct_day", "rate": D("NaN")}, "penalty_rate", "invalid"),
        ({"kind": "pct_day", "rate": D("101")}, "penalty_rate", "too_large"),
        ({"kind": "pct_day", "rate": D("0.123456789")}, "penalty_rate", "too_precise"),
        ({"kind": "flat", "flat": D("-1")}, "penalty_flat", "negative"),
        ({"kind": "flat", "flat": D("1.001")}, "penalty_flat", "too_precise"),
        ({"kind": "flat", "flat": 1000}, "penalty_flat", "invalid"),
        ({"kind": "flat", "grace_days": -1}, "penalty_grace_days", "negative"),
        ({"kind": "flat", "grace_days": 1.5}, "penalty_grace_days", "invalid"),
        ({"kind": "flat", "grace_days": True}, "penalty_grace_days", "invalid"),
        ({"kind": "flat", "cap_pct": D("-5")}, "penalty_cap_pct", "negative"),
        ({"kind": "flat", "cap_pct": D("Infinity")}, "penalty_cap_pct", "invalid"),
        ({"kind": "flat", "cap_pct": D("1001")}, "penalty_cap_pct", "too_large"),
    ],
)
def test_penalty_rule_validates(kwargs: dict[str, object], field: str, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        PenaltyRule(**kwargs)  # type: ignore[arg-type]
    assert exc_info.value.field == field
    assert exc_info.value.code == code


def test_penalty_rule_accepts_trailing_zeros_and_bounds() -> None:
    PenaltyRule("pct_day", rate=D("0.1000000000"), cap_pct=D("1000"))
    PenaltyRule("pct_month", rate=D("100"), grace_days=0)
    PenaltyRule("flat", flat=D("25000.00"), grace_days=10_000)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"overdue": D("0.001")}, "overdue"),
        ({"payment": D("-1")}, "payment"),
        ({"already": D("-1")}, "already"),
        ({"already": 5}, "already"),
        ({"due_date": datetime(2026, 1, 10)}, "due_date"),
        ({"as_of": "2026-01-20"}, "as_of"),
        ({"assessed_through": datetime(2026, 1, 15)}, "assessed_through"),
    ],
)
def test_penalty_increment_validates(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "overdue": D("1000"),
        "payment": D("1000"),
        "due_date": DUE,
        "assessed_through": None,
        "as_of": date(2026, 1, 20),
        "already": D("0"),
        **kwargs,
    }
    with pytest.raises(DomainError) as exc_info:
        penalty_increment(PER_DAY, **args)  # type: ignore[arg-type]
    assert exc_info.value.field == field


def test_penalty_near_the_end_of_the_calendar() -> None:
    rule = PenaltyRule("pct_month", rate=D(1), grace_days=30)
    assert assess(rule, due_date=date(9999, 12, 20), as_of=date(9999, 12, 31)) == 0
    huge_grace = PenaltyRule("pct_day", rate=D(1), grace_days=10**12)
    assert assess(huge_grace, as_of=date(9999, 12, 31)) == 0


# ---------------------------------------------------------------- penalty properties

windows = st.tuples(
    st.dates(date(2025, 1, 1), date(2030, 12, 31)),  # due date
    st.integers(0, 40),  # grace days
    st.lists(st.integers(0, 800), min_size=3, max_size=3).map(sorted),  # offsets a <= b <= c
    st.booleans(),  # whether a is "never assessed"
)


def _window_dates(due: date, offsets: list[int], fresh: bool) -> tuple[date | None, date, date]:
    start = due - timedelta(days=30)
    a: date | None = None if fresh else start + timedelta(days=offsets[0])
    return a, start + timedelta(days=offsets[1]), start + timedelta(days=offsets[2])


def _two_steps(
    rule: PenaltyRule,
    overdue: D,
    payment: D,
    due: date,
    a: date | None,
    b: date,
    c: date,
    already: D,
) -> tuple[D, D, D]:
    def step(frm: date | None, to: date, so_far: D) -> D:
        return penalty_increment(
            rule,
            overdue=overdue,
            payment=payment,
            due_date=due,
            assessed_through=frm,
            as_of=to,
            already=so_far,
        )

    first = step(a, b, already)
    second = step(b, c, already + first)
    return first, second, step(a, c, already)


rules = st.builds(
    PenaltyRule,
    kind=st.sampled_from(["none", "pct_day", "pct_month", "flat"]),
    rate=st.decimals(min_value=0, max_value=10, places=4),
    flat=sen_amounts,
    grace_days=st.integers(0, 40),
    cap_pct=st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=200, places=2)),
)


@given(rules, sen_amounts, sen_amounts, windows, sen_amounts)
def test_penalty_never_negative_and_within_cap(
    rule: PenaltyRule,
    overdue: D,
    payment: D,
    window: tuple[date, int, list[int], bool],
    already: D,
) -> None:
    due, _, offsets, fresh = window
    a, _, c = _window_dates(due, offsets, fresh)
    result = penalty_increment(
        rule,
        overdue=overdue,
        payment=payment,
        due_date=due,
        assessed_through=a,
        as_of=c,
        already=already,
    )
    assert result >= 0
    assert result.as_tuple().exponent == -2
    if rule.cap_pct > 0:
        cap = (payment * rule.cap_pct / 100).quantize(D(1), rounding=ROUND_HALF_UP)
        assert result == 0 or already + result <= cap


@given(
    st.builds(
        PenaltyRule,
        kind=st.just("flat"),
        flat=sen_amounts,
        grace_days=st.integers(0, 40),
        cap_pct=st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=200, places=2)),
    ),
    sen_amounts.filter(lambda x: x > 0),
    sen_amounts,
    windows,
    sen_amounts,
)
def test_flat_two_steps_equal_one(
    rule: PenaltyRule,
    overdue: D,
    payment: D,
    window: tuple[date, int, list[int], bool],
    already: D,
) -> None:
    due, _, offsets, fresh = window
    a, b, c = _window_dates(due, offsets, fresh)
    first, second, whole = _two_steps(rule, overdue, payment, due, a, b, c, already)
    assert first + second == whole


# Amounts where the percentage is a whole number of rupiah per day or month: overdue a multiple
# of Rp 100 and a whole-percent rate.
exact_overdue = st.integers(1, 10**7).map(lambda hundreds: D(hundreds * 100))


@given(
    st.sampled_from(["pct_day", "pct_month"]),
    st.integers(0, 10),
    exact_overdue,
    sen_amounts,
    st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=200, places=2)),
    windows,
    sen_amounts,
)
def test_percentage_two_steps_equal_one_when_rounding_is_exact(
    kind: str,
    rate: int,
    overdue: D,
    payment: D,
    cap_pct: D,
    window: tuple[date, int, list[int], bool],
    already: D,
) -> None:
    due, grace, offsets, fresh = window
    rule = PenaltyRule(kind, rate=D(rate), grace_days=grace, cap_pct=cap_pct)  # type: ignore[arg-type]
    a, b, c = _window_dates(due, offsets, fresh)
    first, second, whole = _two_steps(rule, overdue, payment, due, a, b, c, already)
    assert first + second == whole


@given(
    st.sampled_from(["pct_day", "pct_month"]),
    st.decimals(min_value=0, max_value=5, places=4),
    sen_amounts,
    windows,
)
def test_percentage_two_steps_equal_one_always(
    kind: str, rate: D, overdue: D, window: tuple[date, int, list[int], bool]
) -> None:
    due, grace, offsets, fresh = window
    rule = PenaltyRule(kind, rate=rate, grace_days=grace)  # type: ignore[arg-type]
    a, b, c = _window_dates(due, offsets, fresh)
    first, second, whole = _two_steps(rule, overdue, D("1000000"), due, a, b, c, D(0))
    assert first + second == whole


@given(
    st.decimals(min_value=0, max_value=2, places=4),
    sen_amounts,
    st.dates(date(2025, 1, 1), date(2030, 12, 31)),
    st.integers(1, 60),
)
def test_daily_runs_equal_one_assessment(rate: D, overdue: D, due: date, days: int) -> None:
    """Assessing every day for ``days`` days adds up to exactly one assessment of them all."""
    rule = PenaltyRule("pct_day", rate=rate)
    total = D(0)
    for day in range(days):
        total += penalty_increment(
            rule,
            overdue=overdue,
            payment=D(0),
            due_date=due,
            assessed_through=due + timedelta(days=day),
            as_of=due + timedelta(days=day + 1),
            already=total,
        )
    whole = penalty_increment(
        rule,
        overdue=overdue,
        payment=D(0),
        due_date=due,
        assessed_through=None,
        as_of=due + timedelta(days=days),
        already=D(0),
    )
    assert total == whole


@given(st.dates(date(2025, 1, 1), date(2030, 12, 31)), st.integers(0, 40), st.integers(0, 30))
def test_pct_month_counts_months_like_add_months(due: date, grace: int, months: int) -> None:
    rule = PenaltyRule("pct_month", rate=D(1), grace_days=grace)
    eve = due + timedelta(days=grace)
    complete = add_months(eve, months)
    at = penalty_increment(
        rule,
        overdue=D(10000),
        payment=D(0),
        due_date=due,
        assessed_through=None,
        as_of=complete,
        already=D(0),
    )
    before = penalty_increment(
        rule,
        overdue=D(10000),
        payment=D(0),
        due_date=due,
        assessed_through=None,
        as_of=complete - timedelta(days=1),
        already=D(0),
    )
    assert at == D(100) * months  # Rp 100 a month
    assert before == D(100) * max(months - 1, 0)
