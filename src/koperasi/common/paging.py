"""Paging without COUNT(*): fetch one row more than a page to know whether another page follows.

A COUNT over a million members (or the whole audit log) is slow on PostgreSQL; nobody needs
"page 3 of 40,000", only "next".
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

MAX_PAGE = 100_000  # keeps OFFSET sane when someone types page=10**12


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except ValueError:
        return 1


def peek_page(qs: QuerySet[Any], raw_page: str | None, size: int) -> Page:
    number = page_number(raw_page)
    offset = (number - 1) * size
    rows = list(qs[offset : offset + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)
