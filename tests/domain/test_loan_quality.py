from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.loan_quality import (
    ALLOWANCE_RATES,
    BANK_BUCKETS,
    CLASS_NAMES,
    DIRAGUKAN,
    DPK,
    KSP_DOUBTFUL_TO_LOSS_MONTHS,
    KSP_THRESHOLDS,
    KURANG_LANCAR,
    LANCAR,
    MACET,
    REGIMES,
    allowance,
    bank_class,
    classify,
    ksp_class,
    problem_loan_ratio_grade,
    risky_problem_loans,
)
from koperasi.domain.periods import add_months


def test_rules_as_data() -> None:
    assert (LANCAR, DPK, KURANG_LANCAR, DIRAGUKAN, MACET) == (1, 2, 3, 4, 5)
    assert REGIMES == ("bank", "ksp")
    assert CLASS_NAMES[DPK] == "Dalam Perhatian Khusus"
    assert CLASS_NAMES[MACET] == "Macet"
    assert BANK_BUCKETS[-1] == (MACET, None)
    assert KSP_THRESHOLDS["monthly"] == (3, 6)
    assert KSP_DOUBTFUL_TO_LOSS_MONTHS == 21
    assert ALLOWANCE_RATES[LANCAR] == D("0.005")


# ---------------------------------------------------------------- bank-style buckets


@pytest.mark.parametrize(
    ("days", "klass"),
    [
        (0, LANCAR),
        (1, DPK),
        (90, DPK),
        (91, KURANG_LANCAR),
        (180, KURANG_LANCAR),
        (181, DIRAGUKAN),
        (270, DIRAGUKAN),
        (271, MACET),
        (10_000, MACET),
    ],
)
def test_bank_class_edges(days: int, klass: int) -> None:
    assert bank_class(days) == klass


@pytest.mark.parametrize(("days", "code"), [(-1, "negative"), (1.5, "invalid"), (True, "invalid")])
def test_bank_class_rejects(days: object, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        bank_class(days)  # type: ignore[arg-type]
    assert exc_info.value.code == code
    assert exc_info.value.field == "days_past_due"


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_bank_class_never_improves_with_more_days(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert bank_class(low) <= bank_class(high)


# ---------------------------------------------------------------- KSP regime

DEBT = D("1000000")


def ksp(
    due: date | None,
    as_of: date,
    frequency: str = "monthly",
    *,
    salvageable: bool = True,
    collateral: str = "1000000",
    debt: D = DEBT,
    doubtful_since: date | None = None,
) -> int:
    return ksp_class(
        oldest_unpaid_principal_due=due,
        as_of=as_of,
        frequency=frequency,
        salvageable=salvageable,
        collateral_value=D(collateral),
        debt=debt,
        doubtful_since=doubtful_since,
    )


@pytest.mark.parametrize(
    ("as_of", "klass"),
    [
        (date(2026, 1, 14), LANCAR),  # not yet due
        (date(2026, 1, 15), LANCAR),  # due today
        (date(2026, 4, 15), LANCAR),  # exactly 3 months
        (date(2026, 4, 16), KURANG_LANCAR),  # 3 months + 1 day
        (date(2026, 7, 15), KURANG_LANCAR),  # exactly 6 months
        (date(2026, 7, 16), DIRAGUKAN),  # beyond 6 months, collateral covers the debt
    ],
)
def test_ksp_monthly_edges(as_of: date, klass: int) -> None:
    assert ksp(date(2026, 1, 15), as_of) == klass


def test_ksp_monthly_edges_at_month_end() -> None:
    due = date(2026, 1, 31)  # 3 months later is 30 April, 6 months later 31 July
    assert ksp(due, date(2026, 4, 30)) == LANCAR
    assert ksp(due, date(2026, 5, 1)) == KURANG_LANCAR
    assert ksp(due, date(2026, 7, 31)) == KURANG_LANCAR
    assert ksp(due, date(2026, 8, 1)) == DIRAGUKAN


@pytest.mark.parametrize("frequency", ["weekly", "daily"])
@pytest.mark.parametrize(
    ("as_of", "klass"),
    [
        (date(2026, 2, 15), LANCAR),  # exactly 1 month
        (date(2026, 2, 16), KURANG_LANCAR),  # 1 month + 1 day
        (date(2026, 3, 15), KURANG_LANCAR),  # exactly 2 months
        (date(2026, 3, 16), DIRAGUKAN),
    ],
)
def test_ksp_weekly_and_daily_edges(frequency: str, as_of: date, klass: int) -> None:
    assert ksp(date(2026, 1, 15), as_of, frequency) == klass


@pytest.mark.parametrize(
    ("as_of", "klass"),
    [
        (date(2026, 7, 15), LANCAR),
        (date(2026, 7, 16), KURANG_LANCAR),
        (date(2027, 1, 15), KURANG_LANCAR),
        (date(2027, 1, 16), DIRAGUKAN),
    ],
)
def test_ksp_semiannual_edges(as_of: date, klass: int) -> None:
    assert ksp(date(2026, 1, 15), as_of, "semiannual") == klass


def test_ksp_nothing_overdue_is_lancar() -> None:
    assert ksp(None, date(2026, 12, 31), collateral="0") == LANCAR


def test_ksp_has_no_dpk() -> None:
    due = date(2026, 1, 15)
    classes = {ksp(due, due + timedelta(days=d), collateral="0") for d in range(0, 800)}
    assert classes == {LANCAR, KURANG_LANCAR, MACET}
    classes = {ksp(due, due + timedelta(days=d)) for d in range(0, 800)}
    assert classes == {LANCAR, KURANG_LANCAR, DIRAGUKAN}


BEYOND = (date(2026, 1, 15), date(2026, 9, 1))  # over 6 months overdue, monthly


@pytest.mark.parametrize(
    ("salvageable", "collateral", "klass"),
    [
        (True, "750000", DIRAGUKAN),  # exactly 75 %
        (True, "749999.99", MACET),
        (True, "0", MACET),
        (False, "1000000", DIRAGUKAN),  # exactly 100 %
        (False, "999999.99", MACET),
        (False, "750000", MACET),  # 75 % is not enough when not salvageable
        (False, "5000000", DIRAGUKAN),
    ],
)
def test_ksp_collateral_edges(salvageable: bool, collateral: str, klass: int) -> None:
    due, as_of = BEYOND
    assert ksp(due, as_of, salvageable=salvageable, collateral=collateral) == klass


def test_ksp_collateral_does_not_matter_before_the_second_threshold() -> None:
    assert ksp(date(2026, 1, 15), date(2026, 5, 1), collateral="0") == KURANG_LANCAR
    assert ksp(date(2026, 1, 15), date(2026, 2, 1), collateral="0") == LANCAR


def test_ksp_collateral_ratio_is_exact() -> None:
    # 75 % of 0.03 is 0.0225: 0.02 is short, 0.03 enough
    due, as_of = BEYOND
    assert ksp(due, as_of, collateral="0.02", debt=D("0.03")) == MACET
    assert ksp(due, as_of, collateral="0.03", debt=D("0.03")) == DIRAGUKAN
    big = D("123456789012345678.99")
    exact = str(big * 3 / 4)  # 92592591759259259.2425
    assert ksp(due, as_of, collateral=exact, debt=big) == DIRAGUKAN
    short = str(D(exact) - D("0.0001"))
    assert ksp(due, as_of, collateral=short, debt=big) == MACET


@pytest.mark.parametrize(
    ("as_of", "klass"),
    [
        (date(2027, 10, 14), DIRAGUKAN),  # a day short of 21 months
        (date(2027, 10, 15), MACET),  # 21 months after being classed Diragukan
        (date(2028, 6, 1), MACET),
    ],
)
def test_ksp_doubtful_becomes_loss_after_21_months(as_of: date, klass: int) -> None:
    since = date(2026, 1, 15)
    assert add_months(since, 21) == date(2027, 10, 15)
    assert ksp(date(2025, 6, 1), as_of, doubtful_since=since) == klass


def test_ksp_21_month_rule_only_applies_to_diragukan() -> None:
    since = date(2024, 1, 1)
    # principal overdue only 2 months: Lancar whatever happened before
    assert ksp(date(2026, 1, 1), date(2026, 3, 1), doubtful_since=since) == LANCAR
    assert ksp(date(2026, 1, 1), date(2026, 5, 1), doubtful_since=since) == KURANG_LANCAR
    # without collateral it is Macet anyway
    assert ksp(date(2025, 1, 1), date(2026, 3, 1), collateral="0", doubtful_since=since) == MACET


def test_ksp_21_month_rule_at_month_end() -> None:
    since = date(2026, 5, 31)  # 21 months later is February 2028, clipped to its end
    assert add_months(since, 21) == date(2028, 2, 29)
    assert ksp(date(2025, 6, 1), date(2028, 2, 28), doubtful_since=since) == DIRAGUKAN
    assert ksp(date(2025, 6, 1), date(2028, 2, 29), doubtful_since=since) == MACET


def test_ksp_near_the_end_of_the_calendar() -> None:
    assert ksp(date(9999, 11, 1), date(9999, 12, 31)) == LANCAR
    assert ksp(date(9999, 1, 1), date(9999, 12, 31), doubtful_since=date(9999, 1, 1)) == (DIRAGUKAN)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"frequency": "yearly"}, "invalid", "frequency"),
        ({"frequency": "Monthly"}, "invalid", "frequency"),
        ({"collateral_value": D("-1")}, "negative", "collateral_value"),
        ({"collateral_value": 1000.0}, "invalid", "collateral_value"),
        ({"debt": D("NaN")}, "invalid", "debt"),
        ({"debt": D("1E+40")}, "too_large", "debt"),
        ({"as_of": datetime(2026, 1, 1)}, "invalid", "as_of"),
        ({"oldest_unpaid_principal_due": "2026-01-01"}, "invalid", "oldest_unpaid_principal_due"),
        ({"doubtful_since": datetime(2026, 1, 1)}, "invalid", "doubtful_since"),
        ({"salvageable": "yes"}, "invalid", "salvageable"),
    ],
)
def test_ksp_class_rejects(kwargs: dict[str, object], code: str, field: str) -> None:
    args: dict[str, object] = {
        "oldest_unpaid_principal_due": date(2026, 1, 1),
        "as_of": date(2026, 12, 1),
        "frequency": "monthly",
        "debt": DEBT,
        **kwargs,
    }
    with pytest.raises(DomainError) as exc_info:
        ksp_class(**args)  # type: ignore[arg-type]
    assert (exc_info.value.code, exc_info.value.field) == (code, field)


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(0, 1500),
    st.integers(0, 1500),
    st.sampled_from(sorted(KSP_THRESHOLDS)),
    st.booleans(),
    st.integers(0, 2_000_000).map(D),
)
def test_ksp_class_never_improves_with_time(
    due: date, a: int, b: int, frequency: str, salvageable: bool, collateral: D
) -> None:
    early, late = sorted((a, b))
    classes = [
        ksp(
            due,
            due + timedelta(days=days),
            frequency,
            salvageable=salvageable,
            collateral=str(collateral),
            doubtful_since=due,
        )
        for days in (early, late)
    ]
    assert classes[0] <= classes[1]
    assert DPK not in classes


# ---------------------------------------------------------------- dispatch


def test_classify_dispatches_by_regime() -> None:
    common = {
        "days_past_due": 100,
        "oldest_unpaid_principal_due": date(2026, 1, 15),
        "as_of": date(2026, 4, 25),
        "frequency": "monthly",
        "collateral_value": D(0),
        "debt": DEBT,
    }
    assert classify("bank", **common) == KURANG_LANCAR  # type: ignore[arg-type]
    # 3 months + 10 days overdue under the KSP regime: also Kurang Lancar
    assert classify("ksp", **common) == KURANG_LANCAR  # type: ignore[arg-type]
    common["days_past_due"] = 30
    assert classify("bank", **common) == DPK  # type: ignore[arg-type]
    assert classify("ksp", **common) == KURANG_LANCAR  # type: ignore[arg-type]
    common["as_of"] = date(2026, 8, 1)
    assert classify("ksp", **common) == MACET  # type: ignore[arg-type]
    common["doubtful_since"] = date(2024, 1, 1)
    common["collateral_value"] = D(2_000_000)
    common["salvageable"] = False
    assert classify("ksp", **common) == MACET  # type: ignore[arg-type]
    common["doubtful_since"] = date(2026, 7, 16)
    assert classify("ksp", **common) == DIRAGUKAN  # type: ignore[arg-type]


def test_classify_bank_ignores_ksp_fields() -> None:
    result = classify(
        "bank",
        days_past_due=0,
        oldest_unpaid_principal_due=None,
        as_of=date(2026, 1, 1),
        frequency="fortnightly",
    )
    assert result == LANCAR


@pytest.mark.parametrize("regime", ["BANK", "ojk", ""])
def test_classify_rejects_unknown_regime(regime: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        classify(
            regime,
            days_past_due=0,
            oldest_unpaid_principal_due=None,
            as_of=date(2026, 1, 1),
            frequency="monthly",
        )
    assert exc_info.value.code == "invalid_regime"
    assert exc_info.value.field == "regime"


# ---------------------------------------------------------------- allowance


@pytest.mark.parametrize(
    ("outstanding", "klass", "collateral", "expected"),
    [
        ("10000000", LANCAR, "0", "50000.00"),
        ("10000000", LANCAR, "4000000", "50000.00"),  # Lancar ignores collateral
        ("10000000", DPK, "4000000", "180000.00"),  # 3 % of 6,000,000
        ("10000000", KURANG_LANCAR, "4000000", "600000.00"),
        ("10000000", DIRAGUKAN, "4000000", "3000000.00"),
        ("10000000", MACET, "4000000", "6000000.00"),
        ("10000000", MACET, "0", "10000000.00"),
        ("10000000", DIRAGUKAN, "12000000", "0.00"),  # collateral above the outstanding
        ("983333.33", LANCAR, "0", "4917.00"),  # 4,916.67
        ("100", LANCAR, "0", "1.00"),  # 0.50 rounds up
        ("99.99", LANCAR, "0", "0.00"),  # 0.49995 rounds down
        ("1000.50", DPK, "0", "30.00"),  # 30.015
        ("1016.67", DPK, "0", "31.00"),  # 30.5001
        ("0", MACET, "0", "0.00"),
    ],
)
def test_allowance(outstanding: str, klass: int, collateral: str, expected: str) -> None:
    result = allowance(D(outstanding), klass, D(collateral))
    assert result == D(expected)
    assert str(result) == expected


def test_allowance_default_collateral_is_zero() -> None:
    assert allowance(D("2000000"), KURANG_LANCAR) == D("200000.00")


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ((D("-1"), LANCAR), "negative", "outstanding"),
        ((1000, LANCAR), "invalid", "outstanding"),
        ((D("1000"), 0), "invalid", "klass"),
        ((D("1000"), 6), "invalid", "klass"),
        ((D("1000"), True), "invalid", "klass"),
        ((D("1000"), 1.0), "invalid", "klass"),
        ((D("1000"), MACET, D("-5")), "negative", "eligible_collateral"),
    ],
)
def test_allowance_rejects(args: tuple[object, ...], code: str, field: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        allowance(*args)  # type: ignore[arg-type]
    assert (exc_info.value.code, exc_info.value.field) == (code, field)


@given(
    st.integers(0, 10**13).map(lambda sen: D(sen).scaleb(-2)),
    st.integers(0, 10**13).map(lambda sen: D(sen).scaleb(-2)),
    st.sampled_from([LANCAR, DPK, KURANG_LANCAR, DIRAGUKAN, MACET]),
)
def test_allowance_properties(outstanding: D, collateral: D, klass: int) -> None:
    result = allowance(outstanding, klass, collateral)
    assert result % 1 == 0  # whole rupiah
    base = outstanding if klass == LANCAR else max(D(0), outstanding - collateral)
    assert abs(result - base * ALLOWANCE_RATES[klass]) <= D("0.5")
    assert 0 <= result <= outstanding + D("0.5")


# ---------------------------------------------------------------- health assessment figures


@pytest.mark.parametrize(
    ("kl", "d", "m", "expected"),
    [
        ("1000000", "2000000", "500000", "2500000.00"),  # 500,000 + 1,500,000 + 500,000
        ("0", "0", "0", "0.00"),
        ("0.01", "0", "0", "0.01"),  # 0.005 rounds up
        ("0", "0.01", "0", "0.01"),  # 0.0075
        ("0.01", "0.01", "0", "0.01"),  # 0.0125: the sum is rounded once
        ("0.03", "0.01", "0", "0.02"),  # 0.0225
        ("0.01", "0.02", "0", "0.02"),  # 0.02
        ("0.03", "0.02", "0", "0.03"),  # 0.03
        ("333.33", "333.33", "333.33", "749.99"),  # 166.665 + 249.9975 + 333.33 = 749.9925
    ],
)
def test_risky_problem_loans(kl: str, d: str, m: str, expected: str) -> None:
    result = risky_problem_loans(D(kl), D(d), D(m))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize("position", [0, 1, 2])
def test_risky_problem_loans_rejects_negative(position: int) -> None:
    args = [D(1), D(1), D(1)]
    args[position] = D(-1)
    with pytest.raises(DomainError) as exc_info:
        risky_problem_loans(*args)
    assert exc_info.value.field == ("kurang_lancar", "diragukan", "macet")[position]


@pytest.mark.parametrize(
    ("ratio", "grade"),
    [
        ("0", "sehat"),
        ("0.05", "sehat"),
        ("0.0500001", "cukup_sehat"),
        ("0.10", "cukup_sehat"),
        ("0.1000001", "kurang_sehat"),
        ("0.15", "kurang_sehat"),
        ("0.1500001", "tidak_sehat"),
        ("1", "tidak_sehat"),
        ("3", "tidak_sehat"),
    ],
)
def test_problem_loan_ratio_grade(ratio: str, grade: str) -> None:
    assert problem_loan_ratio_grade(D(ratio)) == grade


@pytest.mark.parametrize(("ratio", "code"), [(D("-0.01"), "negative"), (0.05, "invalid")])
def test_problem_loan_ratio_grade_rejects(ratio: object, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        problem_loan_ratio_grade(ratio)  # type: ignore[arg-type]
    assert exc_info.value.code == code
