"""Form plumbing every page shares: idempotency keys, amounts, dates, a service's refusal.

Forms check the shape of the input only; the services decide what may be done.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_rupiah_input
from koperasi.domain.periods import add_months
from koperasi.errors import InvalidInput, ServiceError


def new_key() -> str:
    """A fresh idempotency key, rendered into each money form so a resubmit posts once."""
    return str(uuid.uuid4())


def clean_rupiah(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount typed the Indonesian way ("1.250.000,50") with a translated message."""
    try:
        return parse_rupiah_input(text, field=field, allow_zero=allow_zero)
    except DomainError as exc:
        raise forms.ValidationError(str(ServiceError.from_domain(exc).message)) from exc


def add_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Show a refused request next to the field it concerns, or above the form."""
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    for error in errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))


class ServiceErrorsMixin:
    """`form.add_service_error(exc)`: the refusal beside its field (see `add_service_error`)."""

    def add_service_error(self, exc: ServiceError) -> None:
        add_service_error(self, exc)  # type: ignore[arg-type]


def date_field(label: Any, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class KeyedForm(forms.Form):
    """A form carrying a hidden idempotency key generated when it is first rendered."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)


class ReverseForm(KeyedForm):
    """A correction by reversal: the reason is kept on the reversing entry."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class DateRangeForm(forms.Form):
    date_from = date_field(_("From"))
    date_to = date_field(_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    @classmethod
    def recent(
        cls, data: Any, today: dt.date, months: int = 3
    ) -> tuple["DateRangeForm", dt.date, dt.date]:
        """The form and its period; by default the last `months` months through today."""
        default_from = add_months(today, -months)
        form = cls(data or None, initial={"date_from": default_from, "date_to": today})
        date_from, date_to = form.period(default_from, today)
        assert date_from is not None and date_to is not None
        return form, date_from, date_to

    def period(
        self, default_from: dt.date | None, default_to: dt.date | None
    ) -> tuple[dt.date | None, dt.date | None]:
        """The chosen period, the defaults filling what was left empty (or was invalid)."""
        if not self.is_bound or not self.is_valid():
            return default_from, default_to
        return (
            self.cleaned_data.get("date_from") or default_from,
            self.cleaned_data.get("date_to") or default_to,
        )
