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
from koperasi.domain.money import ZERO, parse_rupiah_input
from koperasi.domain.periods import add_months
from koperasi.errors import RUPIAH_HINT, InvalidInput, ServiceError

# An amount field's placeholder: one example of the Indonesian way; the hint lists every form.
RUPIAH_PLACEHOLDER = "1.250.000"


def new_key() -> str:
    """A fresh idempotency key, rendered into each money form so a resubmit posts once."""
    return str(uuid.uuid4())


def clean_rupiah(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount typed in a form ("50000", "50000.00", "1.250.000", "1.250.000,50"; see
    `domain.money.parse_rupiah_input`) with a translated message that says what is accepted."""
    try:
        return parse_rupiah_input(text, field=field, allow_zero=allow_zero)
    except DomainError as exc:
        error = ServiceError.from_domain(exc)
        raise forms.ValidationError(str(error.message), code=error.code) from exc


class RupiahField(forms.CharField):
    """An amount in rupiah as a person types it, read by `clean_rupiah` (the one form parser).

    Its hint (help text) names the accepted forms, as the "invalid" message does. Left empty, a
    field that is not required gives zero when zero is allowed (unless `blank_is_zero=False`),
    else None.
    """

    def __init__(
        self,
        *,
        allow_zero: bool = False,
        blank_is_zero: bool | None = None,
        placeholder: str | None = RUPIAH_PLACEHOLDER,
        **kwargs: Any,
    ) -> None:
        self.allow_zero = allow_zero
        self.blank_is_zero = allow_zero if blank_is_zero is None else blank_is_zero
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", RUPIAH_HINT)
        attrs = {"inputmode": "decimal", "autocomplete": "off"}
        if placeholder:
            attrs["placeholder"] = placeholder
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["title"] = self.help_text  # the hint also where a form shows no help text
        return attrs

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().clean(value)
        if text in self.empty_values:
            return ZERO if self.blank_is_zero else None
        return clean_rupiah(text, allow_zero=self.allow_zero)


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


class IsoDateInput(forms.DateInput):
    """A browser date picker (`<input type="date">`), whose value must be ISO (2026-10-01):
    a localized format such as 01-10-2026 is ignored by the browser, and the field shows empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label: Any, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=IsoDateInput())


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
