"""Repayment allocation (`domain.repayment.allocate`): the order, vertical and horizontal
allocation, validation, and properties (penalties: test_penalty.py)."""

from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.repayment import (
    COMPONENTS,
    DEFAULT_ORDER,
    Applied,
    Due,
    allocate,
    parse_order,
)

# ---------------------------------------------------------------- allocation order


def test_default_order_is_penalty_interest_principal() -> None:
    assert COMPONENTS == ("penalty", "interest", "principal")
    assert DEFAULT_ORDER == COMPONENTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("penalty,interest,principal", ("penalty", "interest", "principal")),
        ("interest,principal,penalty", ("interest", "principal", "penalty")),
        (" principal , interest,penalty ", ("principal", "interest", "penalty")),
        ("Interest, Penalty, PRINCIPAL", ("interest", "penalty", "principal")),
    ],
)
def test_parse_order(text: str, expected: tuple[str, ...]) -> None:
    assert parse_order(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "penalty,interest",
        "penalty,interest,principal,penalty",
        "penalty,penalty,principal",
        "penalty;interest;principal",
        "penalty,interest,pokok",
        "penalty,,interest,principal",
    ],
)
def test_parse_order_rejects(text: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_order(text)
    assert exc_info.value.code == "invalid_order"
    assert exc_info.value.field == "allocation_order"


def test_parse_order_rejects_non_text() -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_order(["penalty", "interest", "principal"])  # type: ignore[arg-type]
    assert exc_info.value.code == "invalid_order"


# ---------------------------------------------------------------- allocation

ROWS = (
    Due(no=1, penalty=D("10.00"), interest=D("100.00"), principal=D("900.00")),
    Due(no=2, penalty=D("0.00"), interest=D("100.00"), principal=D("900.00")),
)


def test_vertical_pays_each_component_across_rows_first() -> None:
    applied, leftover = allocate(D("1100.00"), ROWS)
    # penalties 10, then both interests 200, then principal oldest first 890
    assert applied == (
        Applied(no=1, penalty=D("10.00"), interest=D("100.00"), principal=D("890.00")),
        Applied(no=2, penalty=D("0.00"), interest=D("100.00"), principal=D("0.00")),
    )
    assert leftover == D("0.00")


def test_horizontal_pays_row_by_row() -> None:
    applied, leftover = allocate(D("1100.00"), ROWS, per_instalment=True)
    # row 1 in full (1010), then 90 of row 2's interest
    assert applied == (
        Applied(no=1, penalty=D("10.00"), interest=D("100.00"), principal=D("900.00")),
        Applied(no=2, penalty=D("0.00"), interest=D("90.00"), principal=D("0.00")),
    )
    assert leftover == D("0.00")


def test_custom_order_vertical() -> None:
    order = parse_order("interest,principal,penalty")
    applied, leftover = allocate(D("1500.00"), ROWS, order)
    # interest 200, then principal 900 + 400; penalty last gets nothing
    assert applied == (
        Applied(no=1, penalty=D("0.00"), interest=D("100.00"), principal=D("900.00")),
        Applied(no=2, penalty=D("0.00"), interest=D("100.00"), principal=D("400.00")),
    )
    assert leftover == D("0.00")


def test_custom_order_horizontal() -> None:
    order = ("principal", "penalty", "interest")
    applied, leftover = allocate(D("950.00"), ROWS, order, per_instalment=True)
    assert applied == (
        Applied(no=1, penalty=D("10.00"), interest=D("40.00"), principal=D("900.00")),
    )
    assert leftover == D("0.00")


def test_leftover_when_everything_is_paid() -> None:
    for per_instalment in (False, True):
        applied, leftover = allocate(D("2025.50"), ROWS, per_instalment=per_instalment)
        assert applied == (
            Applied(no=1, penalty=D("10.00"), interest=D("100.00"), principal=D("900.00")),
            Applied(no=2, penalty=D("0.00"), interest=D("100.00"), principal=D("900.00")),
        )
        assert leftover == D("15.50")
        assert [a.total for a in applied] == [D("1010.00"), D("1000.00")]


def test_zero_amount_applies_nothing() -> None:
    applied, leftover = allocate(D("0"), ROWS)
    assert applied == ()
    assert leftover == D("0.00")
    assert str(leftover) == "0.00"


def test_no_rows_leaves_everything() -> None:
    assert allocate(D("500"), []) == ((), D("500.00"))


def test_rows_that_receive_nothing_are_left_out() -> None:
    rows = (
        Due(no=3, penalty=D("0"), interest=D("0"), principal=D("0")),
        Due(no=4, penalty=D("5"), interest=D("0"), principal=D("0")),
        Due(no=5, penalty=D("0"), interest=D("50"), principal=D("100")),
    )
    applied, leftover = allocate(D("30.00"), rows)
    assert applied == (
        Applied(no=4, penalty=D("5.00"), interest=D("0.00"), principal=D("0.00")),
        Applied(no=5, penalty=D("0.00"), interest=D("25.00"), principal=D("0.00")),
    )
    assert leftover == D("0.00")


def test_results_are_two_decimal_places() -> None:
    applied, leftover = allocate(D("12"), ROWS)
    assert str(applied[0].penalty) == "10.00"
    assert str(applied[0].interest) == "2.00"
    assert str(applied[0].principal) == "0.00"
    assert str(applied[0].total) == "12.00"
    assert str(leftover) == "0.00"


def test_allocation_is_exact_under_a_low_precision_context() -> None:
    big = Due(no=1, penalty=D("0"), interest=D("123456789012345.67"), principal=D("1"))
    with localcontext() as ctx:
        ctx.prec = 5
        applied, leftover = allocate(D("123456789012346.68"), [big])
        total = applied[0].total
    assert applied[0].interest == D("123456789012345.67")
    assert applied[0].principal == D("1.00")
    assert leftover == D("0.01")
    assert total == D("123456789012346.67")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D("-0.01"), "negative"),
        (D("10.001"), "too_precise"),
        (D("NaN"), "invalid"),
        (D("Infinity"), "invalid"),
        (10.5, "invalid"),
        (100, "invalid"),
        (D("1E+30"), "too_large"),
    ],
)
def test_allocate_rejects_bad_amounts(amount: object, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        allocate(amount, ROWS)  # type: ignore[arg-type]
    assert exc_info.value.code == code
    assert exc_info.value.field == "amount"


def test_allocate_accepts_trailing_zeros() -> None:
    applied, leftover = allocate(D("5.000"), ROWS)
    assert applied[0].penalty == D("5.00") and leftover == 0


@pytest.mark.parametrize(
    "order",
    [
        ("penalty", "interest"),
        ("penalty", "interest", "interest"),
        ("penalty", "interest", "principal", "fee"),
        "penalty,interest,principal",
    ],
)
def test_allocate_rejects_bad_order(order: object) -> None:
    with pytest.raises(DomainError) as exc_info:
        allocate(D("1"), ROWS, order)  # type: ignore[arg-type]
    assert exc_info.value.code == "invalid_order"
    assert exc_info.value.field == "allocation_order"


def test_allocate_rejects_rows_that_are_not_dues() -> None:
    with pytest.raises(DomainError) as exc_info:
        allocate(D("1"), [("1", D(1), D(1), D(1))])  # type: ignore[list-item]
    assert exc_info.value.field == "dues"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"penalty": D("-1")}, "negative"),
        ({"interest": D("0.001")}, "too_precise"),
        ({"principal": 5.0}, "invalid"),
        ({"no": "1"}, "invalid"),
        ({"no": True}, "invalid"),
    ],
)
def test_due_validates(kwargs: dict[str, object], code: str) -> None:
    fields: dict[str, object] = {
        "no": 1,
        "penalty": D(0),
        "interest": D(0),
        "principal": D(0),
        **kwargs,
    }
    with pytest.raises(DomainError) as exc_info:
        Due(**fields)  # type: ignore[arg-type]
    assert exc_info.value.code == code
    assert exc_info.value.field == "dues"


sen_amounts = st.integers(0, 10**9).map(lambda sen: D(sen).scaleb(-2))
# Rows numbered 1, 2, ... oldest first, as the loans service passes them.
dues_lists = st.lists(st.tuples(sen_amounts, sen_amounts, sen_amounts), max_size=8).map(
    lambda rows: [
        Due(no=i, penalty=pen, interest=intr, principal=prin)
        for i, (pen, intr, prin) in enumerate(rows, start=1)
    ]
)
orders = st.permutations(COMPONENTS).map(tuple)
amounts = st.one_of(sen_amounts, st.integers(0, 10**11).map(lambda sen: D(sen).scaleb(-2)))


def _owed(due: Due) -> D:
    return due.penalty + due.interest + due.principal


def _paid_by_row(applied: tuple[Applied, ...], dues: list[Due]) -> list[Applied]:
    """One Applied per row (zeros where the row received nothing)."""
    by_no = {a.no: a for a in applied}
    zero = D("0.00")
    return [by_no.get(due.no, Applied(due.no, zero, zero, zero)) for due in dues]


@given(amounts, dues_lists, orders, st.booleans())
def test_allocation_properties(
    amount: D, dues: list[Due], order: tuple[str, ...], per_instalment: bool
) -> None:
    applied, leftover = allocate(amount, dues, order, per_instalment=per_instalment)
    assert sum((a.total for a in applied), D(0)) + leftover == amount
    assert leftover >= 0
    assert leftover.as_tuple().exponent == -2
    # one Applied per row that received something, in row order
    nos = [a.no for a in applied]
    assert nos == sorted(set(nos))
    assert all(a.total > 0 for a in applied)
    for due, paid in zip(dues, _paid_by_row(applied, dues), strict=True):
        for component in COMPONENTS:
            part = getattr(paid, component)
            assert 0 <= part <= getattr(due, component)
            assert part.as_tuple().exponent == -2
    owed = sum((_owed(due) for due in dues), D(0))
    if leftover > 0:
        assert amount - leftover == owed  # only once everything is paid
    else:
        assert amount <= owed


@given(amounts, dues_lists, orders)
def test_vertical_pays_component_by_component_oldest_first(
    amount: D, dues: list[Due], order: tuple[str, ...]
) -> None:
    applied, _ = allocate(amount, dues, order)
    steps = [(row, c) for c in order for row in range(len(dues))]
    _assert_paid_in_sequence(_paid_by_row(applied, dues), dues, steps)


@given(amounts, dues_lists, orders)
def test_horizontal_pays_in_row_order(amount: D, dues: list[Due], order: tuple[str, ...]) -> None:
    applied, _ = allocate(amount, dues, order, per_instalment=True)
    steps = [(row, c) for row in range(len(dues)) for c in order]
    _assert_paid_in_sequence(_paid_by_row(applied, dues), dues, steps)


def _assert_paid_in_sequence(
    paid: list[Applied], dues: list[Due], steps: list[tuple[int, str]]
) -> None:
    """Along ``steps``, a (row, component) is paid only once everything before it is paid."""
    before_paid_in_full = True
    for row, component in steps:
        got = getattr(paid[row], component)
        if not before_paid_in_full:
            assert got == 0
        before_paid_in_full = before_paid_in_full and got == getattr(dues[row], component)
