"""Reads of the SHU app: the years of a cooperative and where each stands."""

import datetime as dt
from dataclasses import dataclass

from koperasi.ledger import selectors as ledger
from koperasi.shu.models import ShuYear
from koperasi.tenancy.models import Cooperative


@dataclass(frozen=True)
class YearState:
    year: int
    shu: ShuYear | None
    months_closed: bool


def years(*, cooperative: Cooperative, today: dt.date) -> list[YearState]:
    """Every year from the first entry's to last year, newest first."""
    first = ledger.first_entry_date(cooperative=cooperative)
    if first is None:
        return []
    closed = {s.year: s for s in ShuYear.objects.filter(cooperative=cooperative)}
    books = Cooperative.objects.values_list("books_closed_through", flat=True).get(
        pk=cooperative.pk
    )
    return [
        YearState(year, closed.get(year), books is not None and books >= dt.date(year, 12, 31))
        for year in range(today.year - 1, first.year - 1, -1)
    ]
