"""Sums of postings per account through any date or over any range, fast at ten million
postings. Every statement of this read path is in this file.

A closed month never changes (`post_entry` refuses its dates), so its per-account totals are
kept (`MonthTotal`, written when the month is closed) and a sum reads them for the closed
months it covers and the postings only for the days after them. A balance as of a date can
also start from the maintained balances (the slots) and take off the postings after the date;
it does, when that reads fewer days of postings. Each answer is one SQL statement (a UNION ALL
of the parts, signed), so one snapshot: the accounts of a report balance with each other even
while tellers post.

Two plans give the same figures; `tests/ledger/test_period_sums.py` compares each with a plain
sum of the postings on random books and asserts which plan ran. A sum that has no closed month
to start from reads every posting up to its date: more than two months of postings read is
counted and logged as a fallback (`sqlrows.fast_path_counts`), a sign that months are not
being closed.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from koperasi.domain.money import ZERO, round_sen
from koperasi.domain.periods import month_bounds
from koperasi.ledger.models import Account, ClosedPeriod
from koperasi.sqlrows import Fallback, fell_back, ran
from koperasi.tenancy.models import Cooperative

logger = logging.getLogger("koperasi.ledger")

PATH = "period_sums"
# Which plan answered a sum, for the tests and the benchmark: `last_plans` after a call.
FROM_MONTH_TOTALS = "month_totals"
FROM_HELD = "held_balances"
FROM_POSTINGS = "postings"

# The parts a statement is made of; each takes (sign, sign, …) before its own parameters.
_MONTH_TOTALS = """
    SELECT account_id, %s * debit AS debit, %s * credit AS credit FROM ledger_monthtotal
    WHERE cooperative_id = %s AND month_end > %s AND month_end <= %s"""
# PostgreSQL walks the postings' (account, date) index once per account of the cooperative.
_POSTINGS_PG = """
    SELECT account_id, %s * debit AS debit, %s * credit AS credit FROM ledger_posting
    WHERE account_id = ANY(%s) AND business_date > %s AND business_date <= %s"""
_POSTINGS_SQLITE = """
    SELECT account_id, %s * debit AS debit, %s * credit AS credit FROM ledger_posting
    WHERE cooperative_id = %s AND business_date > %s AND business_date <= %s"""
# A slot holds a net amount (debit − credit): it goes in as a debit.
_HELD = """
    SELECT account_id, %s * amount AS debit, %s * 0 AS credit FROM ledger_balanceslot
    WHERE cooperative_id = %s"""
_SUMMED_PG = "SELECT account_id, SUM(debit), SUM(credit) FROM ({parts}) AS parts GROUP BY 1"

# Dates before any book and after any business date: the open ends of a range.
_BEGINNING = dt.date(1, 1, 1)
_END = dt.date(9999, 12, 31)

# More postings than this many days' worth read in one sum is logged as a fallback.
_MONTHS_OF_POSTINGS = 62

last_plans: list[str] = []


@dataclass(frozen=True)
class _Part:
    sql: str
    sign: int
    params: tuple[Any, ...]
    # The dates of the postings it reads (after, through]; None for totals and slots.
    after: dt.date | None = None
    through: dt.date = _END


@dataclass(frozen=True)
class _Closed:
    """The closed months whose totals are kept: from the first one's end to the last's."""

    first_end: dt.date | None
    last_end: dt.date | None

    def cut(self, day: dt.date) -> dt.date | None:
        """The latest closed month end on or before `day` (None: no closed month before it)."""
        if self.first_end is None or self.last_end is None or day < self.first_end:
            return None
        if day >= self.last_end:
            return self.last_end
        first_of_month = day.replace(day=1)
        month_end = month_bounds(day.year, day.month)[1]
        return day if day == month_end else first_of_month - dt.timedelta(days=1)


def _closed_months(cooperative: Cooperative) -> _Closed:
    first = (
        ClosedPeriod.objects.filter(cooperative=cooperative)
        .order_by("year", "month")
        .values_list("year", "month")
        .first()
    )
    # Read afresh (not from the instance): a month may have been closed since it was loaded.
    last = Cooperative.objects.values_list("books_closed_through", flat=True).get(pk=cooperative.pk)
    if first is None or last is None:
        return _Closed(None, None)
    return _Closed(month_bounds(*first)[1], last)


def _postings(
    cooperative: Cooperative, accounts: list[int], sign: int, after: dt.date, through: dt.date
) -> _Part:
    """The postings dated after `after` up to `through`."""
    if connection.vendor == "postgresql":
        return _Part(_POSTINGS_PG, sign, (accounts, after, through), after, through)
    return _Part(_POSTINGS_SQLITE, sign, (cooperative.pk, after, through), after, through)


def _through(
    cooperative: Cooperative,
    day: dt.date,
    sign: int,
    closed: _Closed,
    today: dt.date,
    accounts: list[int],
    *,
    net_only: bool,
) -> list[_Part]:
    """The parts that sum every posting dated up to `day`, with `sign`: the closed months'
    totals and the postings after them, or (`net_only`) the maintained balances less the
    postings after `day`, whichever reads fewer days of postings."""
    cut = closed.cut(day)
    if net_only and (cut is None or (today - day) < (day - cut)):
        last_plans.append(FROM_HELD)
        # The postings after the day are taken off even when it is today's: one may be dated
        # later (an index probe per account when there is none).
        return [
            _Part(_HELD, sign, (cooperative.pk,)),
            _postings(cooperative, accounts, -sign, day, _END),
        ]
    if cut is None:
        last_plans.append(FROM_POSTINGS)
        return [_postings(cooperative, accounts, sign, _BEGINNING, day)]
    last_plans.append(FROM_MONTH_TOTALS)
    parts = [_Part(_MONTH_TOTALS, sign, (cooperative.pk, _BEGINNING, cut))]
    if day > cut:
        parts.append(_postings(cooperative, accounts, sign, cut, day))
    return parts


def _run(parts: Sequence[_Part], today: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """One statement over the parts; (Σ debit, Σ credit) per account, zeros left out."""
    span = _days_read(list(parts), today)
    if span > _MONTHS_OF_POSTINGS:
        # The months before are not closed: every posting of them is read.
        fell_back(logger, PATH, Fallback.NO_MONTH_TOTALS, f"{span} days of postings read")
    else:
        ran(PATH)
    sql = " UNION ALL ".join(part.sql for part in parts)
    params: list[Any] = []
    for part in parts:
        params += [part.sign, part.sign, *part.params]
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_SUMMED_PG.format(parts=sql), params)
            for account_id, debit, credit in cursor.fetchall():
                totals[account_id] = (Decimal(debit), Decimal(credit))
        else:
            # SQLite adds decimals as doubles: the exact stored values are added here.
            cursor.execute(sql, params)
            sums: dict[int, list[Decimal]] = {}
            for account_id, debit, credit in cursor.fetchall():
                acc = sums.setdefault(account_id, [ZERO, ZERO])
                acc[0] += Decimal(str(debit))
                acc[1] += Decimal(str(credit))
            totals = {pk: (round_sen(d), round_sen(c)) for pk, (d, c) in sums.items()}
    return {pk: dc for pk, dc in totals.items() if dc != (ZERO, ZERO)}


def _accounts(cooperative: Cooperative) -> list[int]:
    return list(Account.objects.filter(cooperative=cooperative).values_list("pk", flat=True))


def balances_as_of(cooperative: Cooperative, day: dt.date, *, today: dt.date) -> dict[int, Decimal]:
    """Each account's Σ debit − Σ credit of the postings dated up to `day` (`today`: the
    business date, where the maintained balances stand). Accounts at zero are left out."""
    last_plans.clear()
    accounts = _accounts(cooperative)
    closed = _closed_months(cooperative)
    parts = _through(cooperative, day, 1, closed, today, accounts, net_only=True)
    return {pk: d - c for pk, (d, c) in _run(parts, today).items() if d != c}


def period_totals(
    cooperative: Cooperative, first: dt.date, last: dt.date
) -> dict[int, tuple[Decimal, Decimal]]:
    """Each account's (Σ debit, Σ credit) of the postings dated first..last."""
    last_plans.clear()
    accounts = _accounts(cooperative)
    closed = _closed_months(cooperative)
    before = first - dt.timedelta(days=1)
    cut_last = closed.cut(last)
    if cut_last is None or closed.cut(before) == cut_last:
        # No closed month inside the range: its own postings are all there is to read.
        last_plans.append(FROM_POSTINGS)
        return _run([_postings(cooperative, accounts, 1, before, last)], last)
    parts = _through(cooperative, last, 1, closed, last, accounts, net_only=False)
    parts += _through(cooperative, before, -1, closed, last, accounts, net_only=False)
    return _run(parts, last)


def _days_read(parts: list[_Part], today: dt.date) -> int:
    return sum(
        (max((min(p.through, today) - p.after).days, 0) for p in parts if p.after is not None),
        0,
    )


def period_net(
    cooperative: Cooperative, first: dt.date, last: dt.date, *, today: dt.date
) -> dict[int, Decimal]:
    """Each account's Σ debit − Σ credit of the postings dated first..last: what moved, when
    the split into debits and credits is not needed. Through `last` it may start from the
    maintained balances (a year to date is then the balances less the closed year)."""
    last_plans.clear()
    accounts = _accounts(cooperative)
    closed = _closed_months(cooperative)
    before = first - dt.timedelta(days=1)
    direct = [_postings(cooperative, accounts, 1, before, last)]
    parts = _through(cooperative, last, 1, closed, today, accounts, net_only=True)
    parts += _through(cooperative, before, -1, closed, today, accounts, net_only=True)
    if _days_read(direct, today) <= _days_read(parts, today):
        last_plans[:] = [FROM_POSTINGS]
        parts = direct
    return {pk: d - c for pk, (d, c) in _run(parts, today).items() if d != c}
