import dataclasses
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

import holidays
import numpy_financial as npf
import pytest

from koperasi.domain.errors import DomainError
from koperasi.domain.schedule import (
    METHODS,
    Instalment,
    LoanTerms,
    Schedule,
    build_schedule,
)

D = Decimal
START = date(2026, 1, 15)


def example(method: str, **kwargs: object) -> Schedule:
    """DOMAIN.md's worked example: Rp 10.000.000, 12 months, 1,5 % per month."""
    terms = LoanTerms(D("10000000"), D("1.5"), "month", 12, method, **kwargs)  # type: ignore[arg-type]
    return build_schedule(terms, disbursed_on=START)


def payments(schedule: Schedule) -> list[Decimal]:
    return [row.payment for row in schedule.instalments]


# --- DOMAIN.md's worked example, to the sen ----------------------------------------------------


def test_flat_worked_example() -> None:
    schedule = example("flat")
    assert payments(schedule)[:11] == [D("983333.33")] * 11
    # 12 × 833.333,33 is 4 sen short of P: the last instalment absorbs them.
    last = schedule.instalments[-1]
    assert (last.principal, last.interest, last.payment) == (
        D("833333.37"),
        D("150000.00"),
        D("983333.37"),
    )
    assert schedule.total_interest == D("1800000.00")
    assert schedule.total_payment == D("11800000.00")


@pytest.mark.parametrize(
    ("rounding", "payment", "interest", "last_principal", "last_interest"),
    [
        # (P + P·i·n) / n = 56.920.000 / 12 = 4.743.333,33…; P·i = 576.666,66…
        ("none", "4743333.33", "576666.67", "4166666.74", "576666.63"),
        ("1", "4743333", "576667", "4166674", "576663"),
        ("100", "4743400", "576667", "4165937", "576663"),
        ("1000", "4744000", "576667", "4159337", "576663"),
    ],
)
def test_flat_total_interest_is_p_i_n_exactly(
    rounding: str, payment: str, interest: str, last_principal: str, last_interest: str
) -> None:
    # Issue 12 point 19: 50.000.000 at 13,84 % p.a. over 12 months charged 12 × 576.666,67 =
    # 6.920.000,04 of interest (6.920.004 under a rounding rule). P·i·n is 6.920.000 exactly;
    # the last instalment absorbs the interest residue as well as the principal one.
    terms = LoanTerms(D("50000000"), D("13.84"), "year", 12, "flat", rounding=rounding)  # type: ignore[arg-type]
    schedule = build_schedule(terms, disbursed_on=START)
    assert schedule.total_interest == D("6920000.00")
    assert schedule.total_payment == D("56920000.00")
    for row in schedule.instalments[:-1]:
        assert (row.payment, row.interest) == (D(payment), D(interest))
    last = schedule.instalments[-1]
    assert (last.principal, last.interest) == (D(last_principal), D(last_interest))
    assert last.payment == last.principal + last.interest


def test_flat_interest_below_half_a_sen_a_period_is_never_negative() -> None:
    # P·i = 100.000.000 sen × 0,0000072 % / 12 = 0,6 sen a month: rounded, 1 sen; but
    # 599 × 1 sen is more than P·i·n = 360 sen, so the rows charge 360 // 599 = 0 and the last
    # takes the 3,60 rather than a negative interest.
    terms = LoanTerms(D("1000000"), D("0.0000072"), "year", 600, "flat")
    schedule = build_schedule(terms, disbursed_on=START)
    assert schedule.total_interest == D("3.60")
    assert {row.interest for row in schedule.instalments[:-1]} == {D("0.00")}
    assert schedule.instalments[-1].interest == D("3.60")
    assert schedule.instalments[0].payment == D("1666.67")  # (P + P·i·n) / n = 1.666,6726…


def test_menurun_worked_example() -> None:
    schedule = example("menurun")
    first, second, last = schedule.instalments[0], schedule.instalments[1], schedule.instalments[-1]
    assert (first.principal, first.interest, first.payment) == (
        D("833333.33"),
        D("150000.00"),
        D("983333.33"),
    )
    # Each row brings the balance to the exact declining balance rounded, so the sen residue is
    # spread (…,33 / …,34) and the last instalment is the exact figure too.
    assert second.balance == D("8333333.33")
    assert (last.principal, last.interest, last.payment) == (
        D("833333.33"),
        D("12500.00"),
        D("845833.33"),
    )
    assert schedule.total_interest == D("975000.00")


def test_anuitas_worked_example() -> None:
    schedule = example("anuitas")
    assert payments(schedule)[:11] == [D("916799.93")] * 11
    assert payments(schedule)[11] == D("916799.92")
    assert schedule.total_interest == D("1001599.15")
    assert schedule.total_payment == D("11001599.15")
    second = schedule.instalments[1]
    # interest = balance 9.233.200,07 × 1,5 % = 138.498,00105 -> 138.498,00
    assert (second.interest, second.principal) == (D("138498.00"), D("778301.93"))


def test_anuitas_worked_example_matches_numpy_financial() -> None:
    schedule = example("anuitas")
    for row in schedule.instalments:
        interest = npf.ipmt(0.015, row.no, 12, -10_000_000)
        principal = npf.ppmt(0.015, row.no, 12, -10_000_000)
        assert abs(float(row.interest) - interest) < 0.01
        # the last row also carries the sen the rounded rows left (here 1,2 sen)
        assert abs(float(row.principal) - principal) < (0.02 if row.no == 12 else 0.01)


def test_amounts_are_decimals_with_two_places() -> None:
    for method in METHODS:
        schedule = example(method, rounding="1000")
        for row in schedule.instalments:
            for amount in (row.principal, row.interest, row.payment, row.balance):
                assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        assert schedule.total_interest.as_tuple().exponent == -2


# --- rounding rules -------------------------------------------------------------------------------


def test_anuitas_rounded_up_to_1000() -> None:
    schedule = example("anuitas", rounding="1000")
    assert payments(schedule)[:11] == [D("917000.00")] * 11
    assert all(row.interest == row.interest.to_integral_value() for row in schedule.instalments)
    assert schedule.instalments[1].interest == D("138495.00")  # 9.233.000 × 1,5 % = 138.495
    assert sum(row.principal for row in schedule.instalments) == D("10000000")
    assert schedule.instalments[-1].payment < D("917000")


def test_flat_rounded_to_the_rupiah_and_up_to_100() -> None:
    assert payments(example("flat", rounding="1"))[:11] == [D("983333.00")] * 11
    assert payments(example("flat", rounding="1"))[11] == D("983337.00")
    hundreds = example("flat", rounding="100")
    assert payments(hundreds)[:11] == [D("983400.00")] * 11
    assert hundreds.instalments[-1].principal == D("10000000") - 11 * D("833400")


def test_menurun_rounded_up_to_1000_does_not_drift() -> None:
    schedule = example("menurun", rounding="1000")
    assert payments(schedule)[0] == D("984000.00")  # 833.333 + 150.000 = 983.333, up to 984.000
    # each row aims at the exact declining balance again, so rounding up never accumulates
    for k, row in enumerate(schedule.instalments[:-1], start=1):
        exact = D("10000000") * (12 - k) / 12
        assert exact - 1000 < row.balance <= exact
        assert row.payment % 1000 == 0


def test_interest_uses_the_full_precision_annual_rate() -> None:
    # 13,84 % p.a. is not "1,15 % per month": 10.000.000 × 13,84 / 1200 = 115.333,33
    terms = LoanTerms(D("10000000"), D("13.84"), "year", 12, "menurun")
    assert terms.rate_per_period == (173, 15000)
    first = build_schedule(terms, disbursed_on=START).instalments[0]
    assert first.interest == D("115333.33")


@pytest.mark.parametrize(
    ("rate", "rate_period", "frequency", "expected"),
    [
        ("18", "year", "monthly", (3, 200)),  # 1,5 % a month
        ("1.5", "month", "monthly", (3, 200)),
        ("52", "year", "weekly", (1, 100)),  # annual / 52
        ("1.3", "month", "weekly", (3, 1000)),  # 1,3 × 12 / 52 = 0,3 %
        ("36.5", "year", "daily", (1, 1000)),  # annual / 365
        ("3.65", "month", "daily", (3, 2500)),  # 3,65 × 12 / 365 = 0,12 %
        ("0", "year", "daily", (0, 1)),
    ],
)
def test_rate_per_period(
    rate: str, rate_period: str, frequency: str, expected: tuple[int, int]
) -> None:
    terms = LoanTerms(D("1000000"), D(rate), rate_period, 10, "flat", frequency)  # type: ignore[arg-type]
    assert terms.rate_per_period == expected


def test_zero_rate_annuity_is_equal_principal() -> None:
    schedule = build_schedule(
        LoanTerms(D("1000000"), D("0"), "year", 3, "anuitas"), disbursed_on=START
    )
    assert payments(schedule) == [D("333333.33"), D("333333.33"), D("333333.34")]
    assert schedule.total_interest == D("0.00")


def test_a_single_instalment() -> None:
    schedule = build_schedule(
        LoanTerms(D("1000000"), D("2"), "month", 1, "anuitas", rounding="1000"),
        disbursed_on=START,
    )
    (row,) = schedule.instalments
    assert (row.principal, row.interest, row.payment, row.balance) == (
        D("1000000"),
        D("20000"),
        D("1020000"),
        D("0"),
    )


def test_grace_periods_are_interest_only() -> None:
    schedule = example("flat", grace_periods=2)
    for row in schedule.instalments[:2]:
        assert (row.principal, row.interest, row.payment, row.balance) == (
            D("0.00"),
            D("150000.00"),
            D("150000.00"),
            D("10000000.00"),
        )
    # then flat over the remaining 10 periods
    assert payments(schedule)[2:] == [D("1150000.00")] * 10
    assert schedule.total_interest == 12 * D("150000")


def test_menurun_with_grace_amortises_over_the_rest() -> None:
    schedule = example("menurun", grace_periods=4)
    assert [row.principal for row in schedule.instalments[4:]] == [D("1250000.00")] * 8


def test_coarse_rounding_that_would_repay_early_is_refused() -> None:
    terms = LoanTerms(D("5000"), D("1"), "month", 12, "anuitas", rounding="1000")
    with pytest.raises(DomainError) as err:
        build_schedule(terms, disbursed_on=START)
    assert err.value.code == "principal_too_small"
    tiny = LoanTerms(D("0.02"), D("0"), "year", 3, "flat")
    with pytest.raises(DomainError, match="repaid before its last instalment"):
        build_schedule(tiny, disbursed_on=START)


def test_result_does_not_depend_on_the_callers_decimal_context() -> None:
    expected = example("anuitas")
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert example("anuitas") == expected


def test_rows_equal_normally_constructed_instalments() -> None:
    row = example("menurun").instalments[3]
    rebuilt = Instalment(**{f.name: getattr(row, f.name) for f in dataclasses.fields(row)})
    assert row == rebuilt and hash(row) == hash(rebuilt) and repr(row) == repr(rebuilt)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.payment = D("1")  # type: ignore[misc]


# --- due dates ------------------------------------------------------------------------------------


def test_monthly_due_dates_clip_to_month_end_without_drifting() -> None:
    terms = LoanTerms(D("1000000"), D("1"), "month", 4, "flat")
    schedule = build_schedule(terms, disbursed_on=date(2024, 1, 31))
    assert [row.due_date for row in schedule.instalments] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


@pytest.mark.parametrize(("frequency", "days"), [("weekly", 7), ("daily", 1)])
def test_weekly_and_daily_due_dates(frequency: str, days: int) -> None:
    terms = LoanTerms(D("1000000"), D("12"), "year", 5, "flat", frequency)  # type: ignore[arg-type]
    schedule = build_schedule(terms, disbursed_on=START)
    assert [row.due_date for row in schedule.instalments] == [
        START + timedelta(days=days * k) for k in range(1, 6)
    ]


def test_due_dates_skip_sundays_and_holidays() -> None:
    # 21/03/2026 is Idul Fitri (a Saturday), the 22nd its second day and a Sunday.
    calendar = holidays.Indonesia(years=2026)
    terms = LoanTerms(D("1000000"), D("1"), "month", 3, "flat")
    dates = [
        row.due_date
        for row in build_schedule(
            terms, disbursed_on=date(2026, 2, 21), is_holiday=calendar
        ).instalments
    ]
    assert dates == [date(2026, 3, 23), date(2026, 4, 21), date(2026, 5, 21)]
    plain = build_schedule(terms, disbursed_on=date(2026, 2, 21)).instalments
    assert plain[0].due_date == date(2026, 3, 21)  # no calendar: dates are not moved


def test_holiday_calendar_may_be_a_set_or_a_predicate() -> None:
    terms = LoanTerms(D("1000000"), D("1"), "month", 2, "flat")
    holiday = date(2026, 2, 16)  # a Monday
    by_set = build_schedule(terms, disbursed_on=date(2026, 1, 16), is_holiday=frozenset({holiday}))
    by_predicate = build_schedule(
        terms, disbursed_on=date(2026, 1, 16), is_holiday=lambda d: d == holiday
    )
    assert by_set == by_predicate
    assert by_set.instalments[0].due_date == date(2026, 2, 17)


def test_daily_schedule_with_skipping_runs_on_business_days() -> None:
    terms = LoanTerms(D("1000000"), D("36.5"), "year", 10, "flat", "daily")
    dates = [
        row.due_date
        for row in build_schedule(
            terms, disbursed_on=date(2026, 3, 18), is_holiday=holidays.Indonesia(years=2026)
        ).instalments
    ]
    # 19/03 Nyepi, 21-22/03 Idul Fitri, Sundays 22 and 29/03
    assert dates == [
        date(2026, 3, 20),
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 3, 25),
        date(2026, 3, 26),
        date(2026, 3, 27),
        date(2026, 3, 28),
        date(2026, 3, 30),
        date(2026, 3, 31),
        date(2026, 4, 1),
    ]


def test_schedule_past_year_9999_is_refused() -> None:
    terms = LoanTerms(D("1000000"), D("1"), "month", 12, "flat")
    with pytest.raises(DomainError) as err:
        build_schedule(terms, disbursed_on=date(9999, 6, 1))
    assert (err.value.code, err.value.field) == ("out_of_range", "disbursed_on")


def test_a_calendar_without_business_days_is_refused() -> None:
    terms = LoanTerms(D("1000000"), D("1"), "month", 12, "flat")
    with pytest.raises(DomainError) as err:
        build_schedule(terms, disbursed_on=START, is_holiday=lambda d: True)
    assert err.value.code == "no_business_day"


def test_disbursement_must_be_a_date() -> None:
    terms = LoanTerms(D("1000000"), D("1"), "month", 12, "flat")
    with pytest.raises(DomainError, match="must be a date"):
        build_schedule(terms, disbursed_on="2026-01-01")  # type: ignore[arg-type]


# --- validation -----------------------------------------------------------------------------------

VALID: dict[str, object] = {
    "principal": D("1000000"),
    "rate": D("1.5"),
    "rate_period": "month",
    "periods": 12,
    "method": "anuitas",
}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"principal": D("0")}, "not_positive", "principal"),
        ({"principal": D("-5")}, "not_positive", "principal"),
        ({"principal": D("1.001")}, "too_precise", "principal"),
        ({"principal": D("1E15")}, "too_large", "principal"),
        ({"principal": D("NaN")}, "invalid", "principal"),
        ({"principal": 1000.5}, "invalid", "principal"),
        ({"principal": 1000}, "invalid", "principal"),
        ({"rate": D("-0.1")}, "negative", "rate"),
        ({"rate": D("Infinity")}, "invalid", "rate"),
        ({"rate": 1.5}, "invalid", "rate"),
        ({"rate": D("1.123456789")}, "too_precise", "rate"),
        ({"rate": D("100"), "rate_period": "month"}, "too_large", "rate"),
        ({"rate_period": "day"}, "invalid", "rate_period"),
        ({"periods": 0}, "out_of_range", "periods"),
        ({"periods": 601}, "out_of_range", "periods"),
        ({"periods": True}, "out_of_range", "periods"),
        ({"periods": 12.0}, "out_of_range", "periods"),
        ({"grace_periods": -1}, "negative", "grace_periods"),
        ({"grace_periods": 12}, "grace_too_long", "grace_periods"),
        ({"method": "efektif"}, "invalid", "method"),
        ({"frequency": "yearly"}, "invalid", "frequency"),
        ({"rounding": "10"}, "invalid", "rounding"),
        ({"rounding": 100}, "invalid", "rounding"),
    ],
)
def test_invalid_terms_are_refused(changes: dict[str, object], code: str, field: str) -> None:
    with pytest.raises(DomainError) as err:
        LoanTerms(**{**VALID, **changes})  # type: ignore[arg-type]
    assert (err.value.code, err.value.field) == (code, field)


def test_limits_are_accepted() -> None:
    LoanTerms(**{**VALID, "periods": 600, "grace_periods": 599})  # type: ignore[arg-type]
    LoanTerms(**{**VALID, "principal": D("0.01"), "rate": D("0")})  # type: ignore[arg-type]
    LoanTerms(**{**VALID, "principal": D("1.500"), "rate": D("1.12345678")})  # type: ignore[arg-type]
