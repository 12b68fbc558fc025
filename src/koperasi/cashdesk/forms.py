"""Forms of the cash desk: they check the shape of the input; `cashdesk.services` decides."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import KeyedForm, RupiahField, date_field
from koperasi.domain.cash import DENOMINATIONS, MAX_PIECES


class DayForm(forms.Form):
    tanggal = date_field(_("Date"))


class DayBookForm(DayForm):
    teller = forms.TypedChoiceField(label=_("Teller"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: Any, tellers: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("All tellers")), *(tellers or [])]
        self.fields["teller"].choices = choices  # type: ignore[attr-defined]


def piece_field(value: int) -> str:
    return f"pieces_{value}"


class CountForm(KeyedForm):
    teller = forms.IntegerField(widget=forms.HiddenInput)
    business_date = forms.DateField(widget=forms.HiddenInput)
    counted = RupiahField(
        label=_("Cash counted (total)"), required=False, allow_zero=True, blank_is_zero=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value in DENOMINATIONS:
            self.fields[piece_field(value)] = forms.IntegerField(
                label=f"Rp {value:,}".replace(",", "."),
                required=False,
                min_value=0,
                max_value=MAX_PIECES,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
            )

    def piece_fields(self) -> list[forms.BoundField]:
        return [self[piece_field(value)] for value in DENOMINATIONS]

    def pieces(self) -> dict[int, int]:
        return {
            value: self.cleaned_data[piece_field(value)]
            for value in DENOMINATIONS
            if self.cleaned_data.get(piece_field(value))
        }


class ApproveForm(KeyedForm):
    pass


class RejectForm(KeyedForm):
    reason = forms.CharField(label=_("Reason"), max_length=255)
