"""Forms for the member pages. They only parse what was typed; the services validate and write."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import IsoDateInput, ServiceErrorsMixin, new_key
from koperasi.domain.money import format_rupiah
from koperasi.members.models import Member
from koperasi.members.services import EXIT_STATUSES, MemberInput
from koperasi.tenancy.models import Cooperative

MEMBER_FIELDS = (
    "name",
    "nik",
    "sex",
    "birth_date",
    "birth_place",
    "phone",
    "address",
    "village",
    "district",
    "regency",
    "province",
    "occupation",
)


def _text(label: Any, max_length: int, required: bool = False, **attrs: Any) -> forms.CharField:
    # Never required at the form level: the service checks every field at once and reports all
    # problems together. `required` only asks the browser to help.
    if required:
        attrs["required"] = True
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs=attrs),
    )


class MemberForm(ServiceErrorsMixin, forms.Form):
    name = _text(_("Full name (as on the KTP)"), 150, required=True)
    nik = _text(_("NIK"), 32, required=True, inputmode="numeric", autocomplete="off")
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("Derive from NIK"))] + list(Member.Sex.choices),
    )
    # Text, not DateField: the service parses it (YYYY-MM-DD from the date picker, or DD/MM/YYYY).
    birth_date = forms.CharField(
        label=_("Date of birth"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to take it from the NIK."),
        widget=IsoDateInput(),
    )
    birth_place = _text(_("Place of birth"), 100)
    phone = _text(_("Mobile phone"), 32, inputmode="tel", placeholder="0812 3456 7890")
    address = _text(_("Street address"), 255)
    village = _text(_("Village (desa/kelurahan)"), 100)
    district = _text(_("District (kecamatan)"), 100, required=True)
    regency = _text(_("Regency/city (kabupaten/kota)"), 100, required=True)
    province = _text(_("Province"), 100, required=True)
    occupation = _text(_("Occupation"), 100)

    def member_input(self) -> MemberInput:
        values = {name: self.cleaned_data.get(name) or "" for name in MEMBER_FIELDS}
        values["birth_date"] = values["birth_date"] or None  # None: derive from the NIK
        return MemberInput(**values)

    @staticmethod
    def initial_from(member: Member) -> dict[str, Any]:
        return {name: getattr(member, name) for name in MEMBER_FIELDS}


class RegisterForm(MemberForm):
    pay_pokok = forms.BooleanField(required=False, initial=True)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, cooperative: Cooperative, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)
        self.fields["pay_pokok"].label = _("Pay simpanan pokok now (%(amount)s) in cash") % {
            "amount": format_rupiah(cooperative.pokok_amount)
        }


class PortalLoginForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to use the cooperative code and member number."),
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=8,
        widget=forms.PasswordInput(render_value=False),
    )


class ExitForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Reason for leaving"),
        choices=[(s.value, s.label) for s in EXIT_STATUSES],
    )
    reason = forms.CharField(label=_("Explanation"), max_length=255)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    pay_pokok = forms.BooleanField(
        label=_("Record simpanan pokok as paid in cash for every imported member"),
        required=False,
        initial=False,
    )
    dry_run = forms.BooleanField(
        label=_("Check only: report problems without saving anything"),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."), code="file_type")
        return upload

    @staticmethod
    def too_large(upload: Any) -> bool:
        # Large files stream to a temporary file, so Django's own limit never sees them.
        return bool(upload is not None and upload.size > settings.MAX_UPLOAD_BYTES)
