from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.money import (
    CENT,
    ZERO,
    allocate_largest_remainder,
    format_rupiah,
    parse_amount,
    parse_rupiah_input,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50000", Decimal("50000.00")),
        ("50000.00", Decimal("50000.00")),
        ("50000.5", Decimal("50000.50")),
        ("  1250000.75 ", Decimal("1250000.75")),
        ("0.01", Decimal("0.01")),
        (".5", Decimal("0.50")),
        ("999999999999999999.99", Decimal("999999999999999999.99")),
        (50000, Decimal("50000.00")),
        (Decimal("12.3"), Decimal("12.30")),
        (Decimal("1.500"), Decimal("1.50")),  # exact to the sen, so accepted
    ],
)
def test_parse_amount_accepts(value: str | int | Decimal, expected: Decimal) -> None:
    result = parse_amount(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("abc", "invalid"),
        ("12a", "invalid"),
        ("1,5", "invalid"),
        ("1.250.000", "invalid"),
        ("1e5", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        (".", "invalid"),
        ("-", "invalid"),
        ("+5", "invalid"),
        (Decimal("NaN"), "invalid"),
        (Decimal("Infinity"), "invalid"),
        (1.5, "invalid"),
        (True, "invalid"),
        (None, "invalid"),
        ("-5", "not_positive"),
        (-5, "not_positive"),
        (Decimal("-0.01"), "not_positive"),
        ("0", "not_positive"),
        ("0.00", "not_positive"),
        (0, "not_positive"),
        ("1.001", "too_precise"),
        ("50000.000", "too_precise"),
        (Decimal("0.001"), "too_precise"),
        ("1000000000000000000", "too_large"),
        (10**18, "too_large"),
        (Decimal("1E+30"), "too_large"),
    ],
)
def test_parse_amount_rejects(value: object, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_amount(value, field="nominal")  # type: ignore[arg-type]
    assert exc_info.value.code == code
    assert exc_info.value.field == "nominal"


def test_parse_amount_allow_zero() -> None:
    assert parse_amount("0", allow_zero=True) == ZERO
    assert parse_amount("-0", allow_zero=True) == ZERO
    assert not parse_amount("-0.00", allow_zero=True).is_signed()
    with pytest.raises(DomainError) as exc_info:
        parse_amount("-1", allow_zero=True)
    assert exc_info.value.code == "not_positive"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rp 1.250.000", Decimal("1250000.00")),
        ("Rp1.250.000", Decimal("1250000.00")),
        ("Rp. 50.000", Decimal("50000.00")),
        ("rp 50.000", Decimal("50000.00")),
        ("1.250.000,50", Decimal("1250000.50")),
        ("1.250.000,5", Decimal("1250000.50")),
        ("1250000", Decimal("1250000.00")),
        ("  Rp 1 250 000 ", Decimal("1250000.00")),
        ("Rp\u00a01.000", Decimal("1000.00")),
        ("500", Decimal("500.00")),
        ("0,75", Decimal("0.75")),
    ],
)
def test_parse_rupiah_input_accepts(text: str, expected: Decimal) -> None:
    assert parse_rupiah_input(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("Rp", "required"),
        ("Rp ", "required"),
        ("lima ribu", "invalid"),
        ("12.5", "invalid"),  # dots group thousands; do not guess
        ("1.25.000", "invalid"),
        ("1250000.50", "invalid"),
        ("1.250.000.50", "invalid"),
        ("Rp 1.250.000 Rp", "invalid"),
        ("1,500", "too_precise"),  # English thousands separator is refused
        ("1.250.000,505", "too_precise"),
        ("-Rp 5.000", "not_positive"),
        ("Rp -5.000", "not_positive"),
        ("Rp 0", "not_positive"),
        ("1.000.000.000.000.000.000", "too_large"),
    ],
)
def test_parse_rupiah_input_rejects(text: str, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_rupiah_input(text)
    assert exc_info.value.code == code
    assert exc_info.value.field == "amount"


def test_parse_rupiah_input_allow_zero() -> None:
    assert parse_rupiah_input("Rp 0", allow_zero=True) == ZERO


@pytest.mark.parametrize(
    ("amount", "kwargs", "expected"),
    [
        (Decimal("1250000"), {}, "Rp 1.250.000"),
        (Decimal("1250000.00"), {}, "Rp 1.250.000"),
        (Decimal("1250000.50"), {}, "Rp 1.250.000,50"),
        (Decimal("1250000"), {"decimals": True}, "Rp 1.250.000,00"),
        (Decimal("1250000.5"), {"decimals": True}, "Rp 1.250.000,50"),
        (Decimal("-1250000"), {}, "-Rp 1.250.000"),
        (Decimal("-1250000"), {"with_symbol": False}, "-1.250.000"),
        (Decimal("1250000"), {"with_symbol": False}, "1.250.000"),
        (Decimal("0"), {}, "Rp 0"),
        (Decimal("-0.001"), {}, "Rp 0"),
        (Decimal("999"), {}, "Rp 999"),
        (Decimal("1000"), {}, "Rp 1.000"),
        (Decimal("0.05"), {}, "Rp 0,05"),
        (Decimal("1.005"), {}, "Rp 1,01"),  # rounded half up
        (Decimal("1000000000000"), {}, "Rp 1.000.000.000.000"),
    ],
)
def test_format_rupiah(amount: Decimal, kwargs: dict[str, bool], expected: str) -> None:
    assert format_rupiah(amount, **kwargs) == expected


def test_format_rupiah_refuses_float() -> None:
    with pytest.raises(DomainError) as exc_info:
        format_rupiah(1.5)  # type: ignore[arg-type]
    assert exc_info.value.code == "invalid"


@pytest.mark.parametrize(
    ("x", "exp", "expected"),
    [
        (Decimal("0.005"), CENT, Decimal("0.01")),
        (Decimal("0.015"), CENT, Decimal("0.02")),
        (Decimal("0.025"), CENT, Decimal("0.03")),  # banker's rounding would give 0.02
        (Decimal("-0.005"), CENT, Decimal("-0.01")),
        (Decimal("0.0049"), CENT, Decimal("0.00")),
        (Decimal("1250.5"), Decimal("1"), Decimal("1251")),
        (Decimal("1249"), Decimal("1E+2"), Decimal("1.2E+3")),
    ],
)
def test_round_half_up(x: Decimal, exp: Decimal, expected: Decimal) -> None:
    result = round_half_up(x, exp)
    assert result == expected
    assert result.as_tuple().exponent == exp.as_tuple().exponent


def test_allocate_examples() -> None:
    assert allocate_largest_remainder(Decimal("100.00"), [Decimal(1)] * 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert allocate_largest_remainder(Decimal("0.02"), [Decimal(1)] * 3) == [
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.00"),
    ]
    # the largest remainder wins over the lower index
    assert allocate_largest_remainder(Decimal("1.00"), [Decimal(1), Decimal(2)]) == [
        Decimal("0.33"),
        Decimal("0.67"),
    ]
    assert allocate_largest_remainder(Decimal("10"), [Decimal(0), Decimal(5)]) == [
        Decimal("0.00"),
        Decimal("10.00"),
    ]
    assert allocate_largest_remainder(Decimal("1000"), [Decimal(1)] * 3, Decimal("1")) == [
        Decimal("334"),
        Decimal("333"),
        Decimal("333"),
    ]
    assert allocate_largest_remainder(Decimal("-100.00"), [Decimal(1)] * 3) == [
        Decimal("-33.34"),
        Decimal("-33.33"),
        Decimal("-33.33"),
    ]


@pytest.mark.parametrize(
    ("total", "weights", "code"),
    [
        (Decimal("10"), [], "weights_empty"),
        (Decimal("10"), [Decimal(0), Decimal(0)], "weights_zero"),
        (Decimal("10"), [Decimal(1), Decimal(-1)], "weights_negative"),
        (Decimal("10"), [Decimal("NaN")], "weights_negative"),
        (Decimal("10.005"), [Decimal(1)], "too_precise"),
    ],
)
def test_allocate_rejects(total: Decimal, weights: list[Decimal], code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        allocate_largest_remainder(total, weights)
    assert exc_info.value.code == code


cents = st.integers(min_value=0, max_value=10**14).map(lambda n: Decimal(n) * CENT)
weight = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False)


@given(total=cents, weights=st.lists(weight, min_size=1, max_size=30))
def test_allocate_properties(total: Decimal, weights: list[Decimal]) -> None:
    if sum(weights) == 0:
        weights = [*weights, Decimal(1)]
    parts = allocate_largest_remainder(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts, ZERO) == total
    weight_sum = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        assert part >= 0
        assert part == part.quantize(CENT)
        exact_share = Fraction(total) * Fraction(w) / weight_sum
        assert abs(Fraction(part) - exact_share) < Fraction(CENT)


@given(total=cents, n=st.integers(min_value=1, max_value=50))
def test_allocate_equal_weights_differ_by_at_most_one_unit(total: Decimal, n: int) -> None:
    parts = allocate_largest_remainder(total, [Decimal(1)] * n)
    assert max(parts) - min(parts) <= CENT
    assert parts == sorted(parts, reverse=True)  # ties go to the lowest index


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_then_parse_round_trips(n: int) -> None:
    amount = Decimal(n) * CENT
    text = format_rupiah(amount)
    if amount > 0:
        assert parse_rupiah_input(text) == amount
    assert text.startswith("-Rp ") == (amount < 0)
