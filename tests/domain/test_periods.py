from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.formatting import format_date_id
from koperasi.domain.periods import (
    add_months,
    iter_months,
    month_bounds,
    months_between,
    wajib_due_months,
)


@pytest.mark.parametrize(
    ("year", "month", "first", "last"),
    [
        (2026, 1, date(2026, 1, 1), date(2026, 1, 31)),
        (2024, 2, date(2024, 2, 1), date(2024, 2, 29)),
        (2025, 2, date(2025, 2, 1), date(2025, 2, 28)),
        (1900, 2, date(1900, 2, 1), date(1900, 2, 28)),
        (2026, 4, date(2026, 4, 1), date(2026, 4, 30)),
        (2026, 12, date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_month_bounds(year: int, month: int, first: date, last: date) -> None:
    assert month_bounds(year, month) == (first, last)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_month_bounds_rejects_bad_month(month: int) -> None:
    with pytest.raises(DomainError) as exc_info:
        month_bounds(2026, month)
    assert exc_info.value.code == "invalid"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), 0),
        (date(2026, 1, 15), date(2026, 2, 14), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # month end counts as a full month
        (date(2026, 1, 31), date(2026, 3, 30), 1),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2025, 11, 22), date(2026, 11, 21), 11),
        (date(2025, 11, 22), date(2026, 11, 22), 12),
        (date(2020, 2, 29), date(2021, 2, 28), 12),
    ],
)
def test_months_between(start: date, end: date, expected: int) -> None:
    assert months_between(start, end) == expected


def test_months_between_rejects_reversed_dates() -> None:
    with pytest.raises(DomainError):
        months_between(date(2026, 2, 1), date(2026, 1, 31))


def test_add_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 22), 2) == date(2027, 1, 22)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


def test_iter_months() -> None:
    assert list(iter_months(date(2025, 11, 30), date(2026, 2, 1))) == [
        (2025, 11),
        (2025, 12),
        (2026, 1),
        (2026, 2),
    ]
    assert list(iter_months(date(2026, 3, 1), date(2026, 3, 31))) == [(2026, 3)]
    assert list(iter_months(date(2026, 3, 1), date(2026, 2, 28))) == []


@pytest.mark.parametrize(
    ("joined_on", "as_of", "expected"),
    [
        (date(2026, 3, 20), date(2026, 3, 20), 1),
        (date(2026, 3, 20), date(2026, 3, 31), 1),
        (date(2026, 3, 20), date(2026, 5, 1), 3),
        (date(2025, 12, 31), date(2026, 1, 1), 2),
        (date(2025, 1, 1), date(2025, 12, 31), 12),
        (date(2026, 3, 20), date(2026, 3, 19), 0),
        (date(2026, 3, 20), date(2025, 12, 1), 0),
    ],
)
def test_wajib_due_months(joined_on: date, as_of: date, expected: int) -> None:
    assert wajib_due_months(joined_on, as_of) == expected


some_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@given(a=some_dates, b=some_dates)
def test_period_functions_agree(a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    months = list(iter_months(start, end))
    assert wajib_due_months(start, end) == len(months)
    assert months[0] == (start.year, start.month)
    assert months[-1] == (end.year, end.month)
    n = months_between(start, end)
    assert add_months(start, n) <= end < add_months(start, n + 1)
    first, last = month_bounds(end.year, end.month)
    assert first <= end <= last
    assert first.day == 1
    assert (last + timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 22), "22/11/2026"),
        (date(2026, 1, 5), "05/01/2026"),
        (date(999, 12, 31), "31/12/0999"),
    ],
)
def test_format_date_id(d: date, expected: str) -> None:
    assert format_date_id(d) == expected
