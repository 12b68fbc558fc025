"""The fast sums of the books (closed months' totals, maintained balances) against a plain sum
of the postings, on books with closed and open months; each plan is asserted to have run, so
a plan that stopped being used (or one switched off) fails here."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from koperasi.ledger import period_sums, selectors, services
from koperasi.ledger.models import Account, MonthTotal, Posting
from koperasi.ledger.services import Line
from koperasi.sqlrows import fast_path_counts

D = Decimal
TODAY = dt.date(2026, 12, 6)
CODES = ["1101", "1102", "1402", "2201", "3103", "4301", "5202", "5201"]


def naive_totals(coop, first, last):
    rows = Posting.objects.filter(cooperative=coop, business_date__range=(first, last))
    return {
        pk: (d, c)
        for pk, (d, c) in selectors.grouped_sums(rows, "account_id", ["debit", "credit"]).items()
        if (d, c) != (D(0), D(0))
    }


def naive_balances(coop, day):
    totals = naive_totals(coop, dt.date(1900, 1, 1), day)
    return {pk: d - c for pk, (d, c) in totals.items() if d != c}


@pytest.fixture
def books(coop):
    """Random entries on days from January to December 2026; January to August closed."""
    rng = random.Random(13)
    accounts = {code: Account.objects.get(cooperative=coop, code=code) for code in CODES}
    for n in range(240):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 339))
        debit, credit = rng.sample(CODES, 2)
        amount = D(rng.randint(1, 10_000_000)) / 100
        services.post_entry(
            cooperative=coop,
            actor=None,
            lines=[
                Line(accounts[debit], debit=amount),
                Line(accounts[credit], credit=amount),
            ],
            memo=f"uji {n}",
            source="test",
            idempotency_key=f"sums-{n}",
            business_date=day,
        )
    for month in range(1, 9):
        services.close_month(cooperative=coop, actor=None, year=2026, month=month)
    coop.refresh_from_db()
    return coop


def test_closing_a_month_keeps_its_totals(books):
    through_august = naive_totals(books, dt.date(1900, 1, 1), dt.date(2026, 8, 31))
    kept = selectors.grouped_sums(
        MonthTotal.objects.filter(cooperative=books), "account_id", ["debit", "credit"]
    )
    assert kept == through_august
    # The first month closed covers what came before it; later ones their own month only.
    assert set(MonthTotal.objects.filter(cooperative=books).values_list("month_end", flat=True))
    assert selectors.ledger_violations(cooperative=books) == []


@pytest.mark.parametrize("seed", range(3))
def test_balances_as_of_any_day_equal_the_postings(books, seed):
    rng = random.Random(seed)
    plans = set()
    days = [dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 8, 31), TODAY]
    days += [dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 350)) for _ in range(12)]
    for day in days:
        got = period_sums.balances_as_of(books, day, today=TODAY)
        assert got == naive_balances(books, day), day
        plans.update(period_sums.last_plans)
    assert plans == {period_sums.FROM_MONTH_TOTALS, period_sums.FROM_HELD}


@pytest.mark.parametrize("seed", range(3))
def test_period_totals_equal_the_postings(books, seed):
    rng = random.Random(100 + seed)
    plans = set()
    ranges = [
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 15), dt.date(2026, 10, 2)),
        (dt.date(2026, 9, 1), dt.date(2026, 11, 30)),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ]
    for _ in range(10):
        first = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 340))
        ranges.append((first, first + dt.timedelta(days=rng.randint(0, 200))))
    for first, last in ranges:
        got = period_sums.period_totals(books, first, last)
        assert got == naive_totals(books, first, last), (first, last)
        plans.update(period_sums.last_plans)
    assert plans == {period_sums.FROM_MONTH_TOTALS, period_sums.FROM_POSTINGS}


def test_a_sum_without_closed_months_is_counted_as_a_fallback(coop):
    before = fast_path_counts().get((period_sums.PATH, "no_month_totals"), 0)
    assert period_sums.balances_as_of(coop, dt.date(2026, 1, 31), today=TODAY) == {}
    assert fast_path_counts()[(period_sums.PATH, "no_month_totals")] == before + 1


def test_a_kept_total_that_disagrees_with_the_postings_is_a_violation(books):
    row = MonthTotal.objects.filter(cooperative=books).first()
    MonthTotal.objects.filter(pk=row.pk).update(debit=row.debit + D("0.01"))
    problems = selectors.ledger_violations(cooperative=books)
    assert any("closed months" in p for p in problems), problems


@pytest.mark.parametrize("seed", range(3))
def test_period_net_equals_the_postings(books, seed):
    rng = random.Random(200 + seed)
    plans = set()
    ranges = [
        (dt.date(2026, 1, 1), TODAY),
        (dt.date(2026, 1, 1), dt.date(2026, 8, 31)),
        (dt.date(2026, 11, 20), TODAY),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ]
    for _ in range(10):
        first = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 340))
        ranges.append((first, min(first + dt.timedelta(days=rng.randint(0, 200)), TODAY)))
    for first, last in ranges:
        got = period_sums.period_net(books, first, last, today=TODAY)
        want = {pk: d - c for pk, (d, c) in naive_totals(books, first, last).items() if d != c}
        assert got == want, (first, last)
        plans.update(period_sums.last_plans)
    assert plans == {
        period_sums.FROM_MONTH_TOTALS,
        period_sums.FROM_HELD,
        period_sums.FROM_POSTINGS,
    }
