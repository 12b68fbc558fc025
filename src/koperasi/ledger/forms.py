"""Forms for the books' pages.

Forms check the shape of the input only; `ledger.services` decides what may be posted.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import DateRangeForm, KeyedForm, RupiahField, date_field
from koperasi.ledger.models import Account

MAX_LINES = 6
JOURNAL_SOURCES = (
    ("manual", _("Manual entry")),
    ("savings", _("Savings")),
    ("loans", _("Loans")),
    ("close", _("Closing")),
    ("year_close", _("Year-end close")),
    ("shu", _("SHU")),
    ("reversal", _("Reversal")),
    ("cashdesk", _("Cash count difference")),
)
SOURCE_LABELS = dict(JOURNAL_SOURCES)  # an entry's source as the journal shows it


class JournalFilterForm(DateRangeForm):
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *JOURNAL_SOURCES]
    )


class AsOfForm(forms.Form):
    as_of = date_field(_("As of"))


class AccountForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = forms.ChoiceField(label=_("Under header"))

    def __init__(self, *args: Any, parents: Iterable[Account] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [(a.code, f"{a.code} {a.name}") for a in parents]


class ManualEntryForm(KeyedForm):
    """A general-journal entry of up to six lines; empty lines are ignored."""

    business_date = date_field(_("Date"), required=True)
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
                self.fields[f"{side}_{i}"] = RupiahField(
                    label=label, required=False, allow_zero=True, placeholder=None
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
            # An amount the field refused is absent (its error is shown beside it).
            amounts = {
                side: data[f"{side}_{i}"] for side in ("debit", "credit") if f"{side}_{i}" in data
            }
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
