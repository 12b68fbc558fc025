"""Forms for the books' pages, and the small form helpers the money pages share.

Forms check the shape of the input only; `ledger.services` decides what may be posted.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, parse_rupiah_input
from koperasi.domain.periods import add_months
from koperasi.errors import InvalidInput, ServiceError
from koperasi.ledger.models import Account

MAX_LINES = 6
JOURNAL_SOURCES = (
    ("manual", _("Manual entry")),
    ("savings", _("Savings")),
    ("reversal", _("Reversal")),
)


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


def _date_field(label: Any, required: bool = False) -> forms.DateField:
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
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))

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


class JournalFilterForm(DateRangeForm):
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *JOURNAL_SOURCES]
    )


class AsOfForm(forms.Form):
    as_of = _date_field(_("As of"))


class AccountForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = forms.ChoiceField(label=_("Under header"))

    def __init__(self, *args: Any, parents: Iterable[Account] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [(a.code, f"{a.code} {a.name}") for a in parents]


class ManualEntryForm(KeyedForm):
    """A general-journal entry of up to six lines; empty lines are ignored."""

    business_date = _date_field(_("Date"), required=True)
    memo = forms.CharField(label=_("Description"), max_length=255)

    def __init__(self, *args: Any, accounts: Iterable[Account] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "---------")] + [(a.code, f"{a.code} {a.name}") for a in accounts]
        for i in range(1, MAX_LINES + 1):
            # A free code behind a select: a crafted control or header code reaches the
            # service, which refuses it with its own message.
            self.fields[f"account_{i}"] = forms.CharField(
                label=_("Account"),
                required=False,
                max_length=20,
                widget=forms.Select(choices=choices),
            )
            for side, label in (("debit", _("Debit")), ("credit", _("Credit"))):
                self.fields[f"{side}_{i}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=40,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )

    def line_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"account_{i}"], self[f"debit_{i}"], self[f"credit_{i}"])
            for i in range(1, MAX_LINES + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines: list[tuple[str, Decimal, Decimal]] = []
        for i in range(1, MAX_LINES + 1):
            code = (data.get(f"account_{i}") or "").strip()
            amounts = {}
            for side in ("debit", "credit"):
                text = (data.get(f"{side}_{i}") or "").strip()
                try:
                    amounts[side] = (
                        clean_rupiah(text, field=side, allow_zero=True) if text else ZERO
                    )
                except forms.ValidationError as exc:
                    self.add_error(f"{side}_{i}", exc)
            if not code and not any(amounts.values()) and len(amounts) == 2:
                continue
            if not code:
                self.add_error(f"account_{i}", _("Choose an account."))
            elif len(amounts) == 2:
                lines.append((code, amounts["debit"], amounts["credit"]))
        if not self.errors and len(lines) < 2:
            raise forms.ValidationError(_("An entry needs at least two lines."))
        data["lines"] = lines
        return data


class CloseMonthForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"), coerce=int, choices=[(m, f"{m:02d}") for m in range(1, 13)]
    )
