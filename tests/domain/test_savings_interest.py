from collections.abc import Sequence
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.savings_interest import (
    METHODS,
    BalanceSpan,
    InterestResult,
    final_tax,
    period_interest,
    savings_interest,
)

D = Decimal
S = BalanceSpan

# The brief's worked example: Rp 150.000 on days 1-2, Rp 650.000 on days 3-30, 12 % p.a., /365.
EXAMPLE = (S(1, D("150000")), S(3, D("650000")))


def interest(
    method: str,
    balances: Sequence[BalanceSpan] = EXAMPLE,
    *,
    rate: str = "12",
    days: int = 30,
    year_days: int = 365,
) -> Decimal:
    return period_interest(
        method=method,
        annual_rate=D(rate),
        days_in_period=days,
        year_days=year_days,
        balances=balances,
    )


# --- worked examples, to the sen --------------------------------------------------------------


def test_harian_worked_example() -> None:
    # Σ daily = 2 × 150.000 + 28 × 650.000 = 300.000 + 18.200.000 = 18.500.000
    # × 12/100 / 365 = 2.220.000 / 365 = 6.082,19178… -> 6.082,19
    assert interest("harian") == D("6082.19")
    result = savings_interest(
        method="harian", annual_rate=D("12"), days_in_period=30, year_days=365, balances=EXAMPLE
    )
    assert result == InterestResult(interest=D("6082.19"), tax=D("0.00"), net=D("6082.19"))


def test_terendah_worked_example() -> None:
    # lowest = 150.000; × 12/100 × 30 / 365 = 540.000 / 365 = 1.479,45205… -> 1.479,45
    assert interest("terendah") == D("1479.45")


def test_rata_rata_worked_example() -> None:
    # average = 18.500.000 / 30 = 616.666,666… -> 616.666,67 (half-up to the sen first)
    # × 12/100 × 30 / 365 = 616.666,67 × 3,6 / 365 = 2.220.000,012 / 365 = 6.082,19181… -> 6.082,19
    assert interest("rata_rata") == D("6082.19")


def test_rata_rata_rounds_the_average_first_so_it_can_differ_from_harian() -> None:
    balances = (S(1, D("101526")), S(2, D("1000000")))
    # Σ daily = 101.526 + 29 × 1.000.000 = 29.101.526
    # harian: 29.101.526 × 0,12 / 365 = 3.492.183,12 / 365 = 9.567,624986… -> 9.567,62
    assert interest("harian", balances) == D("9567.62")
    # rata_rata: average 29.101.526 / 30 = 970.050,8666… -> 970.050,87;
    # 970.050,87 × 0,12 × 30 / 365 = 3.492.183,132 / 365 = 9.567,625019… -> 9.567,63
    assert interest("rata_rata", balances) == D("9567.63")


def test_day_by_day_hand_computed_month() -> None:
    # A 31-day month at 9 % p.a., actual/365: end-of-day balance of every day.
    daily = (
        [D("1000000.00")] * 4  # days 1-4: opening balance
        + [D("1250000.00")] * 7  # days 5-11: deposit 250.000 on day 5
        + [D("850000.00")] * 8  # days 12-19: withdrawal 400.000 on day 12
        + [D("2350000.50")] * 5  # days 20-24: deposit 1.500.000,50 on day 20
        + [D("350000.50")] * 6  # days 25-30: withdrawal 2.000.000 on day 25
        + [D("450000.50")]  # day 31: deposit 100.000 on day 31
    )
    assert len(daily) == 31
    # Σ = 4.000.000 + 8.750.000 + 6.800.000 + 11.750.002,50 + 2.100.003 + 450.000,50
    assert sum(daily) == D("33850006.00")
    spans = (
        S(1, D("1000000.00")),
        S(5, D("1250000.00")),
        S(12, D("850000.00")),
        S(20, D("2350000.50")),
        S(25, D("350000.50")),
        S(31, D("450000.50")),
    )
    # the same month as one span per day
    per_day = tuple(S(day, balance) for day, balance in enumerate(daily, start=1))
    # harian: 33.850.006 × 0,09 / 365 = 3.046.500,54 / 365 = 8.346,57682… -> 8.346,58
    # terendah: 350.000,50 × 0,09 × 31 / 365 = 976.501,395 / 365 = 2.675,34629… -> 2.675,35
    # rata_rata: 33.850.006 / 31 = 1.091.935,677… -> 1.091.935,68;
    #   × 0,09 × 31 / 365 = 3.046.500,5472 / 365 = 8.346,57684… -> 8.346,58
    expected = {"harian": D("8346.58"), "terendah": D("2675.35"), "rata_rata": D("8346.58")}
    for method, amount in expected.items():
        assert interest(method, spans, rate="9", days=31) == amount
        assert interest(method, per_day, rate="9", days=31) == amount


def test_30_360_and_a_one_day_period() -> None:
    # 1.000.000 × 6 % × 30 / 360 = 5.000 exactly, for every method
    constant = (S(1, D("1000000")),)
    for method in METHODS:
        assert interest(method, constant, rate="6", year_days=360) == D("5000.00")
    # one day: 1.000.000 × 9 % / 366 = 245,9016… -> 245,90
    assert interest("harian", constant, rate="9", days=1, year_days=366) == D("245.90")


def test_zero_rate_and_zero_balances() -> None:
    assert interest("harian", rate="0") == D("0.00")
    assert interest("terendah", (S(1, D("0")), S(2, D("5000000")))) == D("0.00")


def test_half_sen_rounds_up() -> None:
    # 182,50 × 1 % / 365 for one day = 0,005 exactly -> 0,01 (half-up, not banker's 0,00)
    assert interest("harian", (S(1, D("182.50")),), rate="1", days=1) == D("0.01")
    assert interest("harian", (S(1, D("547.50")),), rate="1", days=1) == D("0.02")  # 0,015


def test_result_is_independent_of_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert interest("harian") == D("6082.19")
        assert final_tax(D("240001")) == D("24000.10")


# --- tax ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "tax"),
    [
        ("0", "0.00"),
        ("6082.19", "0.00"),
        ("240000", "0.00"),  # at the threshold: nothing
        ("240000.00", "0.00"),
        ("240000.01", "24000.00"),  # 24.000,001 -> 24.000,00: the cliff, 10 % of the whole gross
        ("240001", "24000.10"),
        ("240000.05", "24000.01"),  # 24.000,005 -> 24.000,01 (half-up)
        ("1000000", "100000.00"),
    ],
)
def test_final_tax_for_an_individual_member(gross: str, tax: str) -> None:
    assert final_tax(D(gross)) == D(tax)
    assert final_tax(D(gross), individual_member=True) == D(tax)


@pytest.mark.parametrize(
    ("gross", "tax"),
    [
        ("0", "0.00"),
        ("100", "15.00"),  # no threshold for a legal entity
        ("6082.19", "912.33"),  # 912,3285 -> 912,33
        ("240001", "36000.15"),
        ("0.03", "0.00"),  # 0,0045 -> 0,00
        ("0.10", "0.02"),  # 0,015 -> 0,02 (half-up)
    ],
)
def test_pph23_for_a_legal_entity_member(gross: str, tax: str) -> None:
    assert final_tax(D(gross), individual_member=False) == D(tax)


def test_savings_interest_applies_the_tax_and_nets_it() -> None:
    entity = savings_interest(
        method="harian",
        annual_rate=D("12"),
        days_in_period=30,
        year_days=365,
        balances=EXAMPLE,
        individual_member=False,
    )
    assert entity == InterestResult(D("6082.19"), D("912.33"), D("5169.86"))


def test_given_gross_interest_skips_the_computation() -> None:
    result = savings_interest(
        method="unknown",  # ignored, like every other calculation input
        annual_rate=D("-1"),
        days_in_period=0,
        year_days=1,
        balances=(),
        gross_interest=D("240001"),
    )
    assert result == InterestResult(D("240001.00"), D("24000.10"), D("216000.90"))
    below = savings_interest(
        method="harian",
        annual_rate=D("12"),
        days_in_period=30,
        year_days=365,
        balances=(),
        gross_interest=D("240000"),
    )
    assert below == InterestResult(D("240000.00"), D("0.00"), D("240000.00"))


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"method": "saldo_harian"}, "invalid", "method"),
        ({"method": ""}, "invalid", "method"),
        ({"annual_rate": 12}, "invalid", "annual_rate"),
        ({"annual_rate": 12.0}, "invalid", "annual_rate"),
        ({"annual_rate": D("NaN")}, "invalid", "annual_rate"),
        ({"annual_rate": D("-0.01")}, "negative", "annual_rate"),
        ({"annual_rate": D("100.01")}, "too_large", "annual_rate"),
        ({"annual_rate": D("1.123456789")}, "too_precise", "annual_rate"),
        ({"days_in_period": 0}, "out_of_range", "days_in_period"),
        ({"days_in_period": 32}, "out_of_range", "days_in_period"),
        ({"days_in_period": True}, "out_of_range", "days_in_period"),
        ({"days_in_period": D(30)}, "out_of_range", "days_in_period"),
        ({"year_days": 364}, "invalid", "year_days"),
        ({"year_days": 12}, "invalid", "year_days"),
        ({"year_days": D(365)}, "invalid", "year_days"),
        ({"balances": ()}, "required", "balances"),
        ({"balances": [(1, D("100"))]}, "invalid", "balances"),
        ({"balances": [S(2, D("100"))]}, "first_day", "balances"),
        ({"balances": [S(0, D("100"))]}, "first_day", "balances"),
        ({"balances": [S(1, D("1")), S(3, D("2")), S(3, D("3"))]}, "not_increasing", "balances"),
        ({"balances": [S(1, D("1")), S(5, D("2")), S(4, D("3"))]}, "not_increasing", "balances"),
        ({"balances": [S(1, D("1")), S(31, D("2"))]}, "out_of_range", "balances"),
        ({"balances": [S(1, D("-0.01"))]}, "negative", "balances"),
        ({"balances": [S(1, D("1")), S(2, D("-5"))]}, "negative", "balances"),
        ({"balances": [S(1, D("100.005"))]}, "too_precise", "balances"),
        ({"balances": [S(1, D("1E18"))]}, "too_large", "balances"),
        ({"balances": [S(1, D("Infinity"))]}, "invalid", "balances"),
        ({"balances": [S(1, 100)]}, "invalid", "balances"),
        ({"balances": [S(1.0, D("100"))]}, "invalid", "balances"),  # type: ignore[arg-type]
    ],
)
def test_every_invalid_input_is_a_domain_error(kwargs: dict, code: str, field: str) -> None:
    args = {
        "method": "harian",
        "annual_rate": D("12"),
        "days_in_period": 30,
        "year_days": 365,
        "balances": EXAMPLE,
    } | kwargs
    with pytest.raises(DomainError) as err:
        period_interest(**args)
    assert (err.value.code, err.value.field) == (code, field)
    assert err.value.message.endswith(".")
    with pytest.raises(DomainError) as again:
        savings_interest(**args)
    assert (again.value.code, again.value.field) == (code, field)


@pytest.mark.parametrize(
    ("gross", "code"),
    [
        (D("-0.01"), "negative"),
        (D("-240001"), "negative"),
        (D("NaN"), "invalid"),
        (240001, "invalid"),
        (240001.0, "invalid"),
        (D("1.005"), "too_precise"),
        (D("1E18"), "too_large"),
    ],
)
def test_bad_gross_interest_is_a_domain_error(gross: object, code: str) -> None:
    for individual in (True, False):
        with pytest.raises(DomainError) as err:
            final_tax(gross, individual_member=individual)  # type: ignore[arg-type]
        assert (err.value.code, err.value.field) == (code, "gross_interest")
    with pytest.raises(DomainError) as err:
        savings_interest(
            method="harian",
            annual_rate=D("12"),
            days_in_period=30,
            year_days=365,
            balances=(),
            gross_interest=gross,  # type: ignore[arg-type]
        )
    assert (err.value.code, err.value.field) == (code, "gross_interest")


def test_messages_are_clear() -> None:
    with pytest.raises(DomainError, match=r"^Choose one of: terendah, harian, rata_rata\.$"):
        interest("efektif")
    with pytest.raises(DomainError, match="day 35, after the period's 30 days"):
        interest("harian", (S(1, D("1")), S(35, D("1"))))
    with pytest.raises(DomainError, match="must start on day 1"):
        interest("harian", (S(3, D("1")),))


# --- properties -----------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=D("1000000000000"), places=2)
rates = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def periods(draw: st.DrawFn) -> tuple[Decimal, int, int, tuple[BalanceSpan, ...]]:
    days = draw(st.integers(min_value=1, max_value=31))
    year_days = draw(st.sampled_from((360, 365, 366)))
    starts = draw(st.sets(st.integers(min_value=2, max_value=days))) if days > 1 else set()
    spans = tuple(S(day, draw(amounts)) for day in (1, *sorted(starts)))
    return draw(rates), days, year_days, spans


def compute(method: str, period: tuple[Decimal, int, int, tuple[BalanceSpan, ...]]) -> Decimal:
    rate, days, year_days, spans = period
    return period_interest(
        method=method, annual_rate=rate, days_in_period=days, year_days=year_days, balances=spans
    )


def daily_sum(period: tuple[Decimal, int, int, tuple[BalanceSpan, ...]]) -> Decimal:
    _, days, _, spans = period
    ends = [span.from_day for span in spans[1:]] + [days + 1]
    return sum(
        (span.balance * (end - span.from_day) for span, end in zip(spans, ends, strict=True)),
        D(0),
    )


@given(periods())
def test_interest_is_never_negative_and_always_whole_sen(period: tuple) -> None:
    for method in METHODS:
        value = compute(method, period)
        assert value >= 0
        assert value == value.quantize(D("0.01"))


@given(periods())
def test_rata_rata_is_within_a_sen_of_harian(period: tuple) -> None:
    # Rounding the average moves it by at most half a sen, which moves the interest by at most
    # 0,005 × 100 % × 31/360 < 0,0005 before the final rounding: so at most one sen apart.
    assert abs(compute("harian", period) - compute("rata_rata", period)) <= D("0.01")


@given(periods())
def test_rata_rata_equals_harian_when_the_average_is_whole_sen(period: tuple) -> None:
    _, days, _, _ = period
    assume((daily_sum(period) * 100) % days == 0)
    assert compute("harian", period) == compute("rata_rata", period)


@given(periods())
def test_terendah_never_exceeds_harian(period: tuple) -> None:
    assert compute("terendah", period) <= compute("harian", period)
    assert compute("terendah", period) <= compute("rata_rata", period)


@given(amounts, rates, st.integers(min_value=1, max_value=31), st.sampled_from((360, 365, 366)))
def test_a_constant_balance_earns_the_same_under_every_method(
    balance: Decimal, rate: Decimal, days: int, year_days: int
) -> None:
    period = (rate, days, year_days, (S(1, balance),))
    harian = compute("harian", period)
    assert compute("terendah", period) == harian == compute("rata_rata", period)


@given(periods(), st.data())
def test_splitting_a_span_changes_nothing(period: tuple, data: st.DataObject) -> None:
    rate, days, year_days, spans = period
    ends = [span.from_day for span in spans[1:]] + [days + 1]
    splittable = [i for i, span in enumerate(spans) if ends[i] - span.from_day >= 2]
    assume(splittable)
    i = data.draw(st.sampled_from(splittable))
    cut = data.draw(st.integers(min_value=spans[i].from_day + 1, max_value=ends[i] - 1))
    split = (*spans[: i + 1], S(cut, spans[i].balance), *spans[i + 1 :])
    for method in METHODS:
        assert compute(method, (rate, days, year_days, split)) == compute(method, period)


@given(periods())
def test_harian_is_the_exact_daily_sum_rounded_once(period: tuple) -> None:
    rate, _, year_days, _ = period
    with localcontext() as ctx:
        ctx.prec = 100
        exact = daily_sum(period) * rate / 100 / year_days
    assert compute("harian", period) == exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")


@given(amounts, st.booleans())
def test_tax_is_at_most_the_rate_and_net_adds_up(gross: Decimal, individual: bool) -> None:
    result = savings_interest(
        method="harian",
        annual_rate=D(0),
        days_in_period=1,
        year_days=365,
        balances=(),
        individual_member=individual,
        gross_interest=gross,
    )
    assert result.interest - result.tax == result.net
    assert 0 <= result.tax <= (gross * D("0.15")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    if individual and gross <= 240000:
        assert result.tax == 0
