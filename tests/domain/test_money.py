import math
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.money import (
    AMOUNT_LIMIT_TEXT,
    CENT,
    MAX_AMOUNT,
    RUPIAH_INPUT_HINT,
    ZERO,
    allocate_largest_remainder,
    ceil_ratio,
    format_rupiah,
    is_exact_to,
    parse_amount,
    parse_rupiah_input,
    round_half_up,
    round_ratio_half_up,
    round_rupiah,
    round_sen,
)

# Digits that Python's ``\d`` and ``Decimal()`` accept but an amount must not: Arabic-Indic,
# Extended Arabic-Indic (Persian), Devanagari, full-width, Thai.
NON_ASCII_DIGITS = ["١٠", "۱۰", "१०", "１０", "๑๐", "1٠", "５0000", "1.２50.000"]


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
        *[(text, "invalid") for text in NON_ASCII_DIGITS],
        *[(text + ".50", "invalid") for text in NON_ASCII_DIGITS],
        ("10.٥", "invalid"),
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


def test_non_ascii_digits_are_numbers_to_python_but_not_amounts() -> None:
    # Why the test above matters: both ``\d`` and ``Decimal()`` take these as 10.
    assert Decimal("١٠") == Decimal("１０") == 10
    for text in NON_ASCII_DIGITS:
        for parse in (parse_amount, parse_rupiah_input):
            with pytest.raises(DomainError) as exc_info:
                parse(text)
            assert exc_info.value.code == "invalid"


def test_too_large_names_the_limit_in_rupiah() -> None:
    # The columns are DecimalField(max_digits=20, decimal_places=2).
    assert Decimal("999999999999999999.99") == MAX_AMOUNT
    assert AMOUNT_LIMIT_TEXT == "Rp 999.999.999.999.999.999,99"
    assert parse_amount("999999999999999999.99") == MAX_AMOUNT
    assert parse_rupiah_input("Rp 999.999.999.999.999.999,99") == MAX_AMOUNT
    for call in (
        lambda: parse_amount("1000000000000000000"),
        lambda: parse_amount(Decimal("999999999999999999.991")),
        lambda: parse_rupiah_input("1.000.000.000.000.000.000"),
        lambda: parse_rupiah_input("1000000000000000000.00"),
    ):
        with pytest.raises(DomainError) as exc_info:
            call()
        assert exc_info.value.code == "too_large"
        assert exc_info.value.message == (
            "The amount must be at most Rp 999.999.999.999.999.999,99."
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the forms' hint: every one of these is read as typed
        ("50000", Decimal("50000.00")),
        ("50000.00", Decimal("50000.00")),
        ("1.250.000", Decimal("1250000.00")),
        ("1.250.000,50", Decimal("1250000.50")),
        ("Rp 1.250.000", Decimal("1250000.00")),
        # dots that group thousands are thousands, as in Indonesian
        ("1.250", Decimal("1250.00")),
        ("12.500", Decimal("12500.00")),
        ("999.999", Decimal("999999.00")),
        # a dot followed by 1 or 2 digits cannot group thousands: a decimal point
        ("12.5", Decimal("12.50")),
        ("1.25", Decimal("1.25")),
        ("0.50", Decimal("0.50")),
        ("1250000.50", Decimal("1250000.50")),
        ("1250000.5", Decimal("1250000.50")),
        ("Rp 50000.00", Decimal("50000.00")),
        # sen after a comma; ",-" means no sen
        ("1250000,50", Decimal("1250000.50")),
        ("1.250,5", Decimal("1250.50")),
        ("Rp 50.000,-", Decimal("50000.00")),
        ("50.000,00", Decimal("50000.00")),
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
        (",-", "required"),
        ("lima ribu", "invalid"),
        ("1.25.000", "invalid"),
        ("1.250.000.50", "invalid"),  # grouped, then a decimal point: do not guess
        ("1.250.000.00", "invalid"),
        ("1,250,000.50", "invalid"),  # English grouping
        ("1250.000", "invalid"),  # 3 digits after a dot that does not group thousands
        ("0.500", "invalid"),  # a group cannot start with 0, and 3 decimals is not a sen
        ("01.250", "invalid"),
        ("50000.000", "invalid"),
        ("12.5.0", "invalid"),
        (".5", "invalid"),
        (",5", "invalid"),
        ("+5", "invalid"),
        ("1e5", "invalid"),
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


def test_the_invalid_message_says_what_is_accepted() -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_rupiah_input("12.5.0", field="principal")
    assert exc_info.value.message == RUPIAH_INPUT_HINT
    assert RUPIAH_INPUT_HINT == "Enter the amount like 1.250.000, 1.250.000,50 or 1250000.50."
    # and every example in it is accepted
    for example in ("1.250.000", "1.250.000,50", "1250000.50"):
        assert parse_rupiah_input(example) in (Decimal("1250000"), Decimal("1250000.50"))


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


def test_round_half_up_does_not_depend_on_the_callers_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = ROUND_DOWN
        assert round_half_up(Decimal("1234567.005")) == Decimal("1234567.01")
    # beyond Decimal's default 28 digits too (so formatting a huge amount does not crash)
    assert round_sen(Decimal("1E+30")) == Decimal("1E+30")
    assert format_rupiah(Decimal("1E+30")) == "Rp 1" + ".000" * 10


@pytest.mark.parametrize(
    ("x", "sen", "rupiah"),
    [
        (Decimal("0.005"), Decimal("0.01"), Decimal("0")),
        (Decimal("2.675"), Decimal("2.68"), Decimal("3")),
        (Decimal("1.825"), Decimal("1.83"), Decimal("2")),  # half-even would give 1.82
        (Decimal("12.5"), Decimal("12.50"), Decimal("13")),  # half-even would give 12
        (Decimal("-0.125"), Decimal("-0.13"), Decimal("-0")),
        (Decimal("7"), Decimal("7.00"), Decimal("7")),
    ],
)
def test_round_sen_and_rupiah(x: Decimal, sen: Decimal, rupiah: Decimal) -> None:
    assert round_sen(x) == sen and round_sen(x).as_tuple().exponent == -2
    assert round_rupiah(x) == rupiah and round_rupiah(x).as_tuple().exponent == 0


@pytest.mark.parametrize(
    ("num", "den", "unit", "half_up", "up"),
    [
        (1, 2, 1, 1, 1),  # ½ sen -> 1
        (3, 2, 1, 2, 2),  # 1½ -> 2 (half-even would give 2 too)
        (5, 2, 1, 3, 3),  # 2½ -> 3 (half-even would give 2)
        (1, 3, 1, 0, 1),
        (-5, 2, 1, -3, -2),  # halves away from zero; ceiling towards +∞
        (14_950, 1, 100, 15_000, 15_000),  # Rp 149,50 -> Rp 150
        (14_949, 1, 100, 14_900, 15_000),
        (0, 7, 100, 0, 0),
    ],
)
def test_integer_ratio_rounding(num: int, den: int, unit: int, half_up: int, up: int) -> None:
    assert round_ratio_half_up(num, den, unit) == half_up
    assert ceil_ratio(num, den, unit) == up


@given(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from([1, 100, 10_000]),
)
def test_integer_ratio_rounding_matches_exact_rounding(num: int, den: int, unit: int) -> None:
    exact = Fraction(num, den) / unit  # in units
    magnitude = math.floor(abs(exact) + Fraction(1, 2))  # half-up, away from zero
    assert round_ratio_half_up(num, den, unit) == (magnitude if exact >= 0 else -magnitude) * unit
    assert round_ratio_half_up(num, den, unit) % unit == 0 == ceil_ratio(num, den, unit) % unit
    assert ceil_ratio(num, den, unit) == math.ceil(exact) * unit


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        (Decimal("1.50"), 2, True),
        (Decimal("1.500"), 2, True),
        (Decimal("1.005"), 2, False),
        (Decimal("1E+30"), 2, True),
        (Decimal("1E-30"), 2, False),
        (Decimal("0E-10"), 2, True),
        (Decimal("-0.01"), 2, True),
        (Decimal("7.12345"), 4, False),
        (Decimal("7.1234"), 4, True),
        (Decimal("12"), 0, True),
        (Decimal("12.1"), 0, False),
        (Decimal("NaN"), 2, False),
        (Decimal("-Infinity"), 2, False),
    ],
)
def test_is_exact_to(x: Decimal, places: int, expected: bool) -> None:
    assert is_exact_to(x, places) is expected


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
        # what format_rupiah shows without the symbol reads back too
        assert parse_rupiah_input(format_rupiah(amount, with_symbol=False)) == amount
    assert text.startswith("-Rp ") == (amount < 0)
