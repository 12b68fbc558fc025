"""The year-end close of the books: one closing entry moving the year's income and expenses
into the surplus of the year, posted into the closed 31 December, and the year locked."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import period_sums
from koperasi.ledger.models import YEAR_CLOSE_SOURCE, Account, Posting, YearClose
from koperasi.ledger.services.accounts import account_by_role
from koperasi.ledger.services.entries import post_entry
from koperasi.ledger.services.lines import Line
from koperasi.ledger.services.periods import lock_closed_dates
from koperasi.tenancy.models import Cooperative

INCOME_EXPENSE = (Account.Type.INCOME, Account.Type.EXPENSE)


@transaction.atomic
def close_year(*, cooperative: Cooperative, actor: Any, year: int) -> YearClose:
    """Close `year`: every month of it must be closed, earlier years first. Posting the same
    close twice is refused (409): a closed year stays as it was closed."""
    lock_closed_dates(cooperative)
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    year_end = dt.date(year, 12, 31)
    if YearClose.objects.filter(cooperative=coop, year=year).exists():
        raise ServiceError(
            "year_closed", _("The year %(year)s is already closed.") % {"year": year}, "year", 409
        )
    if YearClose.objects.filter(cooperative=coop, year__gt=year).exists():
        raise ServiceError("close_in_order", _("A later year is closed already."), "year")
    if coop.books_closed_through is None or coop.books_closed_through < year_end:
        raise ServiceError(
            "months_open",
            _("Close every month of %(year)s first.") % {"year": year},
            "year",
        )
    accounts = {a.pk: a for a in Account.objects.filter(cooperative=coop, type__in=INCOME_EXPENSE)}
    previous_open = not YearClose.objects.filter(cooperative=coop, year=year - 1).exists()
    if (
        previous_open
        and Posting.objects.filter(
            account_id__in=list(accounts), business_date__lt=dt.date(year, 1, 1)
        ).exists()
    ):
        raise ServiceError(
            "close_in_order",
            _("Close the year %(year)s first.") % {"year": year - 1},
            "year",
        )
    moved = period_sums.period_net(coop, dt.date(year, 1, 1), year_end, today=year_end)
    lines = []
    for pk, amount in sorted(moved.items()):
        account = accounts.get(pk)
        if account is None or not amount:
            continue
        # Each income and expense account back to zero.
        lines.append(Line(account, credit=amount) if amount > 0 else Line(account, debit=-amount))
    surplus: Decimal = -sum((amount for pk, amount in moved.items() if pk in accounts), ZERO)
    entry = None
    if lines:
        target = account_by_role(coop, "current_surplus")
        if surplus:
            lines.append(
                Line(target, credit=surplus) if surplus > 0 else Line(target, debit=-surplus)
            )
        entry = post_entry(
            cooperative=coop,
            actor=actor,
            lines=lines,
            memo=_("Closing of the year %(year)s") % {"year": year},
            source=YEAR_CLOSE_SOURCE,
            source_ref=str(year),
            idempotency_key=f"year-close:{year}",
            business_date=year_end,
            year_close=True,
        )
    closed = YearClose.objects.create(
        cooperative=coop, year=year, entry=entry, surplus=surplus, closed_by=actor
    )
    audit.record(
        cooperative=coop,
        actor=actor,
        action="ledger.close_year",
        obj=closed,
        summary=f"{year}: {surplus}",
        data={"year": year, "surplus": str(surplus)},
    )
    return closed
