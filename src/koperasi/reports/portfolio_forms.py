"""The portfolio reports' filters (GET forms). Unlike the loan list, a bad value is refused
with its message (400), so a report is never shown for something other than what was asked."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import DateRangeForm, date_field
from koperasi.domain.loan_quality import CLASS_NAMES

MAX_DAYS = 100_000


class AsOfForm(forms.Form):
    as_of = date_field(_("As of"))


class PeriodForm(DateRangeForm):
    pass


class ArrearsForm(forms.Form):
    officer = forms.TypedChoiceField(
        label=_("Loan officer"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose a loan officer of this cooperative.")},
    )
    klass = forms.TypedChoiceField(
        label=_("Class"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("All classes"))] + [(k, f"{k} {n}") for k, n in CLASS_NAMES.items()],
        error_messages={"invalid_choice": _("Choose a class from 1 to 5.")},
    )
    dpd = forms.IntegerField(
        label=_("Days past due at least"), min_value=1, max_value=MAX_DAYS, required=False
    )

    def __init__(self, *args: Any, officers: Iterable[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["officer"].choices = [("", _("All officers")), *officers]  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
