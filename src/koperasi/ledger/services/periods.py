"""The business date and the closed periods: which day new work is dated, the lock that keeps
work and a close from crossing, and locking a month."""

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.periods import month_bounds
from koperasi.errors import ServiceError
from koperasi.ledger.models import Account, ClosedPeriod, MonthTotal, Posting
from koperasi.ledger.selectors import grouped_sums
from koperasi.tenancy.models import Cooperative


def local_today(cooperative: Cooperative) -> dt.date:
    """Today in the cooperative's own time zone (a Flores teller's day ends at WITA midnight)."""
    import zoneinfo

    return timezone.now().astimezone(zoneinfo.ZoneInfo(cooperative.time_zone)).date()


def business_today(cooperative: Cooperative) -> dt.date:
    """The date new work is posted on: today, or the day after the last closed day when the
    day-end close has already run for today (work after the close belongs to the next day).

    Inside a transaction the closed day is read afresh under a shared lock, held to the commit:
    a day-end close, which takes that lock exclusively to mark the day closed, waits for this
    work and then includes it, or this work sees the day closed and is dated the next day.
    Either way nothing is lost.
    """
    closed = (
        _days_closed_through(cooperative)
        if connection.in_atomic_block
        else cooperative.days_closed_through
    )
    return business_day(local_today(cooperative), closed)


def business_day(today: dt.date, days_closed_through: dt.date | None) -> dt.date:
    """Today, or the day after the last closed day when the close has already run for today."""
    if days_closed_through is not None and days_closed_through >= today:
        return days_closed_through + dt.timedelta(days=1)
    return today


# Advisory lock class of "the closed dates of a cooperative's books" (the object id is the
# cooperative): work that posts holds it shared until its commit, a close takes it exclusively
# to move the dates. Unlike a row lock on the cooperative, a shared advisory lock writes nothing,
# so a thousand tellers holding it cost nothing.
BOOKS_LOCK = 0x626B


def _closed_through(cooperative: Cooperative) -> tuple[dt.date | None, dt.date | None]:
    """(books closed through, days closed through), read afresh. On PostgreSQL under the shared
    books lock (see `lock_closed_dates`), held to the commit; SQLite write transactions are
    serialised anyway (BEGIN IMMEDIATE)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Its own statement: the read below must see a close that committed while we waited.
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)", [BOOKS_LOCK, cooperative.pk]
            )
        cursor.execute(
            "SELECT books_closed_through, days_closed_through FROM tenancy_cooperative"
            " WHERE id = %s",
            [cooperative.pk],
        )
        books, days = cursor.fetchone()
    # SQLite hands dates back as text through a raw cursor.
    books, days = (
        dt.date.fromisoformat(value) if isinstance(value, str) else value for value in (books, days)
    )
    cooperative.books_closed_through, cooperative.days_closed_through = books, days
    return books, days


def lock_closed_dates(cooperative: Cooperative) -> None:
    """For a close about to move the closed dates: wait for the work in flight that read them
    (it is then inside the closed day or month), and make later work read the new dates."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOOKS_LOCK, cooperative.pk])


def _days_closed_through(cooperative: Cooperative) -> dt.date | None:
    return _closed_through(cooperative)[1]


def check_open_period(
    cooperative: Cooperative,
    business_date: dt.date,
    *,
    closing: bool = False,
    year_close: bool = False,
) -> None:
    # Read afresh: a month or a day may have been closed since the cooperative was loaded.
    books, days = _closed_through(cooperative)
    if year_close:
        # The year's closing entry goes into the closed 31 December, and nowhere else.
        if (
            (business_date.month, business_date.day) == (12, 31)
            and books
            and business_date <= books
        ):
            return
        raise ServiceError(
            "year_not_closable",
            _("A year is closed on 31 December, after every month of it has been closed."),
            field="year",
        )
    if books is not None and business_date <= books:
        raise ServiceError(
            "period_closed",
            _("The books are closed through %(date)s; choose a later date.")
            % {"date": books.strftime("%d/%m/%Y")},
            field="business_date",
        )
    # The close itself posts into the day it is closing.
    if not closing and days is not None and business_date <= days:
        raise ServiceError(
            "day_closed",
            _("The day-end close has run through %(date)s; choose a later date.")
            % {"date": days.strftime("%d/%m/%Y")},
            field="business_date",
        )


@transaction.atomic
def close_month(
    *, cooperative: Cooperative, actor: Any, year: int, month: int, by_close: bool = False
) -> ClosedPeriod:
    """Lock a month: later postings dated in it (or before it) are refused.

    A cooperative that runs the day-end locks its months through the month-end close (which
    credits savings interest and bills wajib first); locking one here would skip those.
    """
    lock_closed_dates(cooperative)
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    if coop.days_closed_through is not None and not by_close:
        raise ServiceError(
            "use_month_end",
            _(
                "This cooperative closes its months with the month-end close (savings interest, "
                "tax, wajib bills): use the Closing page."
            ),
        )
    first_day, last_day = month_bounds(year, month)
    if coop.books_closed_through and last_day <= coop.books_closed_through:
        raise ServiceError("already_closed", _("This month is already closed."))
    if last_day >= business_today(coop):
        raise ServiceError(
            "month_not_over", _("A month can be closed only after its last day has passed.")
        )
    if coop.books_closed_through and first_day - dt.timedelta(days=1) != coop.books_closed_through:
        raise ServiceError("close_in_order", _("Close the earlier months first."))
    first_close = not ClosedPeriod.objects.filter(cooperative=coop).exists()
    period = ClosedPeriod.objects.create(cooperative=coop, year=year, month=month, closed_by=actor)
    record_month_totals(coop, None if first_close else first_day, last_day)
    coop.books_closed_through = last_day
    coop.save(update_fields=["books_closed_through"])
    cooperative.books_closed_through = last_day
    audit.record(
        cooperative=coop,
        actor=actor,
        action="ledger.close_month",
        obj=period,
        summary=f"{month:02d}/{year}",
    )
    return period


def record_month_totals(
    cooperative: Cooperative, first_day: dt.date | None, last_day: dt.date
) -> None:
    """Keep Σ debit and Σ credit per account of the postings dated first_day..last_day (from
    the beginning when first_day is None: the first month closed) as the month's `MonthTotal`
    rows. Called under the closed-dates lock, so no posting into the month is still in flight."""
    accounts = list(Account.objects.filter(cooperative=cooperative).values_list("pk", flat=True))
    # By account and date: the postings' index starts with the account.
    postings = Posting.objects.filter(account_id__in=accounts, business_date__lte=last_day)
    if first_day is not None:
        postings = postings.filter(business_date__gte=first_day)
    sums = grouped_sums(postings, "account_id", ["debit", "credit"])
    MonthTotal.objects.bulk_create(
        MonthTotal(cooperative=cooperative, account_id=pk, month_end=last_day, debit=d, credit=c)
        for pk, (d, c) in sorted(sums.items())
    )


def add_to_month_totals(cooperative: Cooperative, month_end: dt.date, lines: Any) -> None:
    """Add an entry posted into a closed month (the year's closing entry) to the month's kept
    totals, so they still add up to its postings."""
    for line in lines:
        row, _created = MonthTotal.objects.select_for_update().get_or_create(
            cooperative=cooperative,
            month_end=month_end,
            account=line.account,
            defaults={"debit": 0, "credit": 0},
        )
        MonthTotal.objects.filter(pk=row.pk).update(
            debit=row.debit + line.debit, credit=row.credit + line.credit
        )
