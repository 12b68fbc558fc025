"""The SHU tests' cooperative: the demo with its last full year closed."""

import datetime as dt

import pytest

from koperasi.ledger import services as ledger
from koperasi.shu import services
from koperasi.tenancy.models import Role
from tests.conftest import make_user


@pytest.fixture
def closed(db):
    """The demo cooperative (a year of history) with its last full year closed."""
    from koperasi.demo import seed_demo

    coop = seed_demo(members_count=12, progress=lambda _m: None)
    first = ledger.business_today(coop).replace(day=1)
    year = first.year - 1
    month = dt.date(year, 12, 1)
    from koperasi.ledger.selectors import first_entry_date

    start = first_entry_date(cooperative=coop).replace(day=1)
    month = start
    while month <= dt.date(year, 12, 1):
        coop.refresh_from_db()
        closed_through = coop.books_closed_through
        if closed_through is None or closed_through < month:  # the demo closes last December
            ledger.close_month(
                cooperative=coop, actor=None, year=month.year, month=month.month, by_close=True
            )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    admin = make_user("admin-shu", coop, Role.ADMIN)
    services.close_year(cooperative=coop, actor=admin, year=year)
    return coop, year, admin
