"""The years a yearly report may be asked for: from the cooperative's founding or first entry
through the current year."""

import datetime as dt

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from koperasi.errors import ServiceError
from koperasi.ledger.models import JournalEntry
from koperasi.tenancy.models import Cooperative


def first_year(cooperative: Cooperative) -> int:
    """The earliest of: the legal entity date, the first journal entry, the record's creation."""
    years = [timezone.localdate(cooperative.created_at).year]
    if cooperative.legal_entity_date:
        years.append(cooperative.legal_entity_date.year)
    first_entry = JournalEntry.objects.filter(cooperative=cooperative).aggregate(
        d=Min("business_date")
    )["d"]
    if first_entry:
        years.append(first_entry.year)
    return min(years)


def report_year(raw: str | None, *, cooperative: Cooperative, today: dt.date) -> int:
    """The year asked for (`?year=YYYY`), or by default the last finished one (this year for a
    cooperative that began this year). A year that is not a number, before the cooperative
    existed or after this year is refused with a message saying which years there are."""
    first = first_year(cooperative)
    if raw is None or raw.strip() == "":
        return max(first, today.year - 1)
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise ServiceError(
            "invalid_year", _("Enter the year as four digits, for example 2025."), "year"
        )
    year = int(text)
    if year < first or year > today.year:
        raise ServiceError(
            "year_out_of_range",
            _("There is no report for %(year)s: choose a year from %(first)s to %(last)s.")
            % {"year": year, "first": first, "last": today.year},
            "year",
        )
    return year
