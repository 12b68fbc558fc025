"""Work taken after the day-end close is dated the next business day (`ledger.business_today`);
the person at the counter and the member holding the receipt are told so, in the same words."""

import datetime as dt
import zoneinfo

from django.utils.translation import gettext as _

from koperasi.domain.formatting import format_date_id


def taken_on(moment: dt.datetime, time_zone: str) -> dt.date:
    """The calendar day of `moment` in the cooperative's time zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def booked_later_notice(business_date: dt.date, taken: dt.date) -> str | None:
    """The notice for a posting dated after the day it was taken; None when dated that day."""
    if business_date <= taken:
        return None
    return _(
        "Booked on %(date)s: taken on %(taken)s, after that day's close, so it belongs to the "
        "next business day."
    ) % {"date": format_date_id(business_date), "taken": format_date_id(taken)}
