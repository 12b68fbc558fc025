"""The statements' filters: a date (with an earlier one beside it) or a period."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import date_field

PREVIOUS_YEAR_END = "year_end"
PREVIOUS_MONTH_END = "month_end"
PREVIOUS_YEAR = "previous_year"
NONE = "none"


class PositionForm(forms.Form):
    as_of = date_field(_("As of"))
    compare = forms.ChoiceField(
        label=_("Compare with"),
        required=False,
        choices=[
            (PREVIOUS_YEAR_END, _("End of the previous year")),
            (PREVIOUS_MONTH_END, _("End of the previous month")),
            (NONE, _("No comparison")),
        ],
    )

    def dates(self, today: dt.date) -> tuple[dt.date, dt.date | None]:
        data = self.cleaned_data if self.is_bound else {}
        as_of = data.get("as_of") or today
        compare = data.get("compare") or PREVIOUS_YEAR_END
        if compare == NONE:
            return as_of, None
        if compare == PREVIOUS_MONTH_END:
            return as_of, as_of.replace(day=1) - dt.timedelta(days=1)
        return as_of, as_of.replace(month=1, day=1) - dt.timedelta(days=1)


class PeriodForm(forms.Form):
    date_from = date_field(_("From"))
    date_to = date_field(_("To"))
    compare = forms.ChoiceField(
        label=_("Compare with"),
        required=False,
        choices=[(PREVIOUS_YEAR, _("The same period a year earlier")), (NONE, _("No comparison"))],
    )

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        data = self.cleaned_data if self.is_bound else {}
        last = data.get("date_to") or today
        first = data.get("date_from") or last.replace(month=1, day=1)
        return first, last

    def comparison(self, today: dt.date) -> tuple[dt.date, dt.date] | None:
        data = self.cleaned_data if self.is_bound else {}
        if data.get("compare") == NONE:
            return None
        first, last = self.period(today)
        try:
            return _year_earlier(first), _year_earlier(last)
        except ValueError:
            return None


def _year_earlier(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)
