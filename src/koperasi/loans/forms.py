"""The loan simulator form, shared by the public page and the member portal."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_rupiah_input
from koperasi.domain.schedule import MAX_PERIODS, Schedule
from koperasi.errors import DOMAIN_MESSAGES, ServiceError
from koperasi.loans.simulation import parse_rate, simulate

RATE_PERIOD_CHOICES = [("month", _("per month")), ("year", _("per year"))]
METHOD_CHOICES = [
    ("anuitas", _("Annuity (anuitas)")),
    ("flat", _("Flat (bunga tetap)")),
    ("menurun", _("Declining balance (menurun)")),
]
ROUNDING_CHOICES = [
    ("none", _("No rounding")),
    ("1", _("To the rupiah")),
    ("100", _("Up to Rp 100")),
    ("1000", _("Up to Rp 1.000")),
]


class SimulatorForm(forms.Form):
    """Loan terms as a person types them; a valid form carries its `schedule`."""

    principal = forms.CharField(
        label=_("Loan amount (Rp)"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "10.000.000"}),
    )
    rate = forms.CharField(
        label=_("Interest rate (%)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1,5"}),
    )
    rate_period = forms.ChoiceField(label=_("Rate period"), choices=RATE_PERIOD_CHOICES)
    months = forms.IntegerField(
        label=_("Number of monthly instalments"), min_value=1, max_value=MAX_PERIODS
    )
    method = forms.ChoiceField(label=_("Method"), choices=METHOD_CHOICES)
    # Optional so a shared link without it still works: no rounding.
    rounding = forms.ChoiceField(label=_("Rounding"), choices=ROUNDING_CHOICES, required=False)

    def __init__(self, *args: Any, rate_cap: Decimal, start: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_cap = rate_cap
        self.start = start
        self.schedule: Schedule | None = None

    def clean_principal(self) -> Decimal:
        try:
            return parse_rupiah_input(self.cleaned_data["principal"], field="principal")
        except DomainError as exc:
            if exc.code == "invalid":
                message: Any = _("Enter the amount like 10.000.000.")
            else:
                message = DOMAIN_MESSAGES.get(exc.code, exc.message)
            raise forms.ValidationError(message, code=exc.code) from exc

    def clean_rate(self) -> Decimal:
        try:
            return parse_rate(self.cleaned_data["rate"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data  # the schedule needs every field
        try:
            self.schedule = simulate(
                principal=data["principal"],
                rate=data["rate"],
                rate_period=data["rate_period"],
                months=data["months"],
                method=data["method"],
                rounding=data["rounding"] or "none",
                start=self.start,
                rate_cap=self.rate_cap,
            )
        except ServiceError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, forms.ValidationError(exc.message, code=exc.code))
        return data
