"""Forms for the settings pages. They parse what was typed; the services check and write."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import IsoDateInput, RupiahField, ServiceErrorsMixin
from koperasi.domain.money import format_rupiah
from koperasi.errors import ServiceError
from koperasi.savings.models import SavingsKind, SavingsProduct
from koperasi.tenancy.models import Cooperative, Role
from koperasi.tenancy.services import parse_percent


def percent_text(value: Decimal) -> str:
    """9.0000 → "9", 7.5000 → "7,5": how the rate is typed back in (comma or dot both work)."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")


def money_text(value: Decimal) -> str:
    return format_rupiah(value, with_symbol=False)


def _text(label: Any, max_length: int, *, required: bool = False, **attrs: Any) -> forms.CharField:
    # Never required at the form level: the service checks every field and reports them all at
    # once. `required` only asks the browser to help.
    if required:
        attrs["required"] = True
    return forms.CharField(
        label=label, max_length=max_length, required=False, widget=forms.TextInput(attrs=attrs)
    )


def _amount(label: Any, *, required: bool = False, allow_zero: bool = False) -> RupiahField:
    # Parsed here (the one form parser); the service checks the amount's meaning.
    return RupiahField(label=label, required=required, allow_zero=allow_zero)


def _percent(label: Any, **kwargs: Any) -> forms.CharField:
    return _text(label, 20, inputmode="decimal", **kwargs)


class SettingsForm(ServiceErrorsMixin, forms.Form):
    name = _text(_("Name"), 200, required=True)
    kind = forms.ChoiceField(label=_("Kind"), choices=Cooperative.Kind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Cooperative.Level.choices)
    legal_entity_number = _text(_("Legal entity number (badan hukum)"), 100)
    legal_entity_date = forms.CharField(
        label=_("Legal entity date"),
        required=False,
        max_length=20,
        widget=IsoDateInput(),
    )
    nik_koperasi = _text(_("NIK koperasi"), 40, autocomplete="off")
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=Cooperative.TimeZone.choices)
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("Financial year starts in"),
        coerce=int,
        choices=list(MONTHS.items()),
    )
    closed_loop = forms.BooleanField(
        label=_("Closed loop: serve members only"),
        required=False,
    )
    pokok_amount = _amount(_("Simpanan pokok (once, Rp)"), required=True)
    wajib_amount = _amount(_("Simpanan wajib (each month, Rp)"), required=True)
    savings_rate_cap = _percent(
        _("Savings rate cap (% a year)"),
        required=True,
    )
    loan_rate_cap = _percent(_("Loan rate cap (% a year)"), required=True)
    related_party_cap_pct = _percent(
        _("Loans to related parties (% of own capital)"),
        required=True,
    )
    loan_manager_approval_limit = _amount(
        _("A manager approves loans up to (Rp); larger ones go to the board"), required=True
    )
    collectibility_regime = forms.ChoiceField(
        label=_("Loan quality (kolektibilitas) rules"),
        choices=Cooperative.CollectibilityRegime.choices,
    )

    def __init__(self, *args: Any, pokok_locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["savings_rate_cap"].help_text = _("At most 9 % (Permenkop 8/2023).")
        self.fields["loan_rate_cap"].help_text = _("At most 24 % (Permenkop 8/2023).")
        if pokok_locked:
            # Disabled: the browser sends nothing and Django keeps the current amount.
            self.fields["pokok_amount"].disabled = True
            self.fields["pokok_amount"].help_text = _(
                "Fixed: members have already paid it, and every member pays the same."
            )

    @staticmethod
    def initial_from(coop: Cooperative) -> dict[str, Any]:
        return {
            "name": coop.name,
            "kind": coop.kind,
            "level": coop.level,
            "legal_entity_number": coop.legal_entity_number,
            "legal_entity_date": coop.legal_entity_date.isoformat()
            if coop.legal_entity_date
            else "",
            "nik_koperasi": coop.nik_koperasi,
            "address": coop.address,
            "time_zone": coop.time_zone,
            "fiscal_year_start_month": coop.fiscal_year_start_month,
            "closed_loop": coop.closed_loop,
            "pokok_amount": money_text(coop.pokok_amount),
            "wajib_amount": money_text(coop.wajib_amount),
            "savings_rate_cap": percent_text(coop.savings_rate_cap),
            "loan_rate_cap": percent_text(coop.loan_rate_cap),
            "related_party_cap_pct": percent_text(coop.related_party_cap_pct),
            "loan_manager_approval_limit": money_text(coop.loan_manager_approval_limit),
            "collectibility_regime": coop.collectibility_regime,
        }


# --- Staff -----------------------------------------------------------------------------------


class StaffForm(ServiceErrorsMixin, forms.Form):
    username = _text(_("User name"), 150, required=True, autocomplete="off", autocapitalize="none")
    full_name = _text(_("Full name"), 150, required=True)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.TELLER)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        max_length=128,
        help_text=_(
            "At least 8 characters; not a common password. Tell it to the person privately."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "required": True}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ActiveForm(forms.Form):
    is_active = forms.TypedChoiceField(
        choices=[("1", _("Active")), ("0", _("Inactive"))], coerce=lambda v: v == "1"
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


# --- Savings products ------------------------------------------------------------------------

# Pokok and wajib exist once per cooperative (made with it); new products are voluntary savings.
NEW_PRODUCT_KINDS = [(k.value, k.label) for k in (SavingsKind.SUKARELA, SavingsKind.BERJANGKA)]


class ProductForm(ServiceErrorsMixin, forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        max_length=20,
        regex=r"^[A-Za-z0-9-]+$",
        error_messages={"invalid": _("Use letters, digits and - only.")},
        help_text=_("Short, e.g. SB6; it starts the account numbers."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=NEW_PRODUCT_KINDS)
    annual_rate = forms.CharField(
        label=_("Interest rate (% a year)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    interest_method = forms.ChoiceField(
        label=_("Interest on"),
        choices=SavingsProduct.InterestMethod.choices,
        initial=SavingsProduct.InterestMethod.DAILY,
    )
    term_months = forms.IntegerField(
        label=_("Term (months, time deposits only)"),
        required=False,
        min_value=1,
        max_value=120,
    )
    minimum_balance = _amount(_("Minimum balance (Rp)"), allow_zero=True)
    accounting_class = forms.ChoiceField(
        label=_("Shown in the balance sheet as"),
        required=False,
        choices=[("", _("Default for the kind"))] + list(SavingsProduct.AccountingClass.choices),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).upper()

    def clean_annual_rate(self) -> Decimal:
        try:
            return parse_percent(self.cleaned_data["annual_rate"], field="annual_rate", places=6)
        except ServiceError as exc:
            raise forms.ValidationError(str(exc.message)) from exc

    def product_args(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data["kind"] != SavingsKind.BERJANGKA:
            data["term_months"] = None  # a term means nothing for sukarela
        return data


class ProductEditForm(ServiceErrorsMixin, forms.Form):
    name = _text(_("Name"), 100, required=True)
    annual_rate = _percent(_("Interest rate (% a year)"), required=True)
    minimum_balance = _amount(_("Minimum balance (Rp)"), allow_zero=True)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    @staticmethod
    def initial_from(product: SavingsProduct) -> dict[str, Any]:
        return {
            "name": product.name,
            "annual_rate": percent_text(product.annual_rate),
            "minimum_balance": money_text(product.minimum_balance),
            "is_active": product.is_active,
        }


# --- Chart of accounts -----------------------------------------------------------------------


class AccountEditForm(ServiceErrorsMixin, forms.Form):
    name = _text(_("Name"), 150, required=True)
    is_active = forms.BooleanField(label=_("Active: takes postings"), required=False)
