"""The SHU app's writes: closing a year (the books' closing entry, then the year's SHU)."""

import datetime as dt
from typing import Any

from django.db import transaction

from koperasi.ledger import services as ledger
from koperasi.reports import selectors as reports
from koperasi.shu.models import ShuYear
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def close_year(*, cooperative: Cooperative, actor: Any, year: int) -> ShuYear:
    """Close the books of `year` (`ledger.close_year`: every month closed, earlier years first,
    once) and keep its SHU with the members' and non-members' parts as the statement of
    activities shows them."""
    activity = reports.year_activity(cooperative=cooperative, year=year)
    closed = ledger.close_year(cooperative=cooperative, actor=actor, year=year)
    return ShuYear.objects.create(
        cooperative=cooperative,
        year=year,
        year_close=closed,
        surplus=closed.surplus,
        member_part=activity.member_surplus,
        non_member_part=activity.non_member_surplus,
        member_income=activity.member_income,
        non_member_income=activity.non_member_income,
        closed_by=actor,
    )


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)
