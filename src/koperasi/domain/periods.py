"""Calendar-month arithmetic for monthly savings (simpanan wajib) and reporting periods."""

import calendar
from collections.abc import Iterator
from datetime import date

from koperasi.domain.errors import DomainError


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise DomainError("invalid", "The month is not valid.", "month")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month, e.g. (2024, 2) -> (1 Feb 2024, 29 Feb 2024)."""
    _check_month(year, month)
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last_day)


def add_months(d: date, months: int) -> date:
    """Shift by whole months, clipping to month end: 31 Jan + 1 month -> 28/29 Feb."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    _check_month(year, month)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole months elapsed from ``start`` to ``end`` (same meaning as ``add_months``).

    15 Jan -> 14 Feb is 0, 15 Jan -> 15 Feb is 1, 31 Jan -> 28 Feb is 1.
    """
    if end < start:
        raise DomainError("invalid", "The end date is before the start date.", "end")
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def iter_months(start: date, end: date) -> Iterator[tuple[int, int]]:
    """Yield (year, month) from the month of ``start`` through the month of ``end``."""
    index = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    while index <= last:
        year, month = divmod(index, 12)
        yield year, month + 1
        index += 1


def wajib_due_months(joined_on: date, as_of: date) -> int:
    """Monthly simpanan wajib instalments due: joining month through ``as_of`` month.

    Joining on 20 March and checking on 1 May gives 3 (March, April, May); checking
    before the joining date gives 0.
    """
    if as_of < joined_on:
        return 0
    return (as_of.year - joined_on.year) * 12 + (as_of.month - joined_on.month) + 1
