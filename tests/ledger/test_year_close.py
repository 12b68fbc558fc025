"""The year-end close: one closing entry in the closed 31 December moves the year's income and
expenses into the surplus of the year; the statements read the same before and after it."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.errors import ServiceError
from koperasi.ledger import selectors
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, MonthTotal, YearClose
from koperasi.reports import flows
from koperasi.reports.statements import position
from tests.conftest import books_snapshot
from tests.reports.test_statements import books  # noqa: F401  (fixture)

D = Decimal
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def close_2025_months(coop):
    for month in range(1, 13):
        ledger.close_month(cooperative=coop, actor=None, year=2025, month=month)
    coop.refresh_from_db()


def amounts(statement):
    """Each row's label and figures (the accounts behind a surplus line do change: 3401 holds
    the closed year's result instead of the income and expense accounts)."""
    return [(row.label, row.amounts) for row in statement.rows]


def figures(coop):
    return (
        amounts(position(cooperative=coop, as_of=dt.date(2025, 12, 31))),
        amounts(position(cooperative=coop, as_of=dt.date(2026, 6, 30))),
        amounts(flows.activity(cooperative=coop, period=YEAR)),
        amounts(flows.cash_flow(cooperative=coop, period=YEAR)),
        amounts(
            flows.equity_changes(
                cooperative=coop, period=(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
            )
        ),
    )


def test_closing_moves_the_result_and_changes_no_statement(books, admin_user):  # noqa: F811
    close_2025_months(books)
    before = figures(books)
    closed = ledger.close_year(cooperative=books, actor=admin_user, year=2025)
    assert closed.surplus == D("600000.00")
    lines = {p.account.code: (p.debit, p.credit) for p in closed.entry.postings.all()}
    # Interest income 900,000 and salaries 300,000 back to zero; the surplus into 3401.
    assert lines == {
        "4101": (D("900000.00"), D("0")),
        "5201": (D("0"), D("300000.00")),
        "3401": (D("0"), D("600000.00")),
    }
    assert closed.entry.business_date == dt.date(2025, 12, 31)
    assert figures(books) == before
    codes = dict(Account.objects.filter(cooperative=books).values_list("pk", "code"))
    year_end = selectors.balances_as_of(cooperative=books, day=dt.date(2025, 12, 31))
    balances = {codes[pk]: amount for pk, amount in year_end.items()}
    assert "4101" not in balances and "5201" not in balances  # back to zero
    assert balances["3401"] == D("-600000.00")  # the surplus of 2025, a credit
    # December's kept totals took the closing entry in: the check still finds them equal.
    assert MonthTotal.objects.filter(cooperative=books, month_end=dt.date(2025, 12, 31)).exists()
    assert selectors.ledger_violations(cooperative=books) == []


def test_a_year_is_closed_once_and_only_when_its_months_are(books, admin_user):  # noqa: F811
    with pytest.raises(ServiceError) as early:
        ledger.close_year(cooperative=books, actor=admin_user, year=2025)
    assert early.value.code == "months_open"
    close_2025_months(books)
    ledger.close_year(cooperative=books, actor=admin_user, year=2025)
    before = books_snapshot(books)
    with pytest.raises(ServiceError) as twice:
        ledger.close_year(cooperative=books, actor=admin_user, year=2025)
    assert (twice.value.code, twice.value.status) == ("year_closed", 409)
    assert books_snapshot(books) == before
    assert YearClose.objects.filter(cooperative=books).count() == 1


def test_the_closing_date_is_only_for_the_year_close(books, admin_user):  # noqa: F811
    close_2025_months(books)
    cash, income = (Account.objects.get(cooperative=books, code=c) for c in ("1101", "4301"))
    with pytest.raises(ServiceError) as refused:
        ledger.post_entry(
            cooperative=books,
            actor=admin_user,
            lines=[ledger.Line(cash, debit=D(1)), ledger.Line(income, credit=D(1))],
            memo="terlambat",
            source="manual",
            idempotency_key="late",
            business_date=dt.date(2025, 12, 31),
        )
    assert refused.value.code == "period_closed"
    with pytest.raises(ServiceError) as not_year_end:
        ledger.post_entry(
            cooperative=books,
            actor=admin_user,
            lines=[ledger.Line(cash, debit=D(1)), ledger.Line(income, credit=D(1))],
            memo="bukan akhir tahun",
            source="manual",
            idempotency_key="mid-year",
            business_date=dt.date(2025, 6, 30),
            year_close=True,
        )
    assert not_year_end.value.code == "year_not_closable"
