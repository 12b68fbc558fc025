"""The loan simulator form, shared by the public page and the member portal."""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import IsoDateInput, KeyedForm, RupiahField, new_key
from koperasi.domain.loan_quality import CLASS_NAMES
from koperasi.domain.money import format_rupiah
from koperasi.domain.schedule import MAX_PERIODS, Schedule
from koperasi.errors import DOMAIN_MESSAGES, ServiceError
from koperasi.loans.models import (
    Collateral,
    CollectionNote,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    Restructuring,
)
from koperasi.loans.selectors import PortfolioFilter
from koperasi.loans.simulation import parse_rate, simulate
from koperasi.savings.models import SavingsAccount

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

    principal = RupiahField(label=_("Loan amount (Rp)"), placeholder="10.000.000")
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


# --- Staff pages ------------------------------------------------------------------------------
# These forms parse only (amounts the Indonesian way, percentages with a comma); the services
# decide what is allowed and their refusals are shown beside the field they name.

STATUS_ALL = "all"
COLLATERAL_ROWS = 3


def _money_field(label: Any, required: bool = True, allow_zero: bool = False) -> RupiahField:
    return RupiahField(label=label, required=required, allow_zero=allow_zero)


def _percent_field(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1,5"}),
    )


def _percent(text: str, field: str, places: int = 4) -> Decimal:
    # Imported here: tenancy.services pulls in the ledger, the simulator form must stay light.
    from koperasi.tenancy.services import parse_percent

    try:
        return parse_percent(text, field=field, places=places)
    except ServiceError as exc:
        raise forms.ValidationError(str(exc.message), code=exc.code) from exc


def money_text(value: Decimal) -> str:
    """An amount as it is typed back into a form: 1.250.000 (sen only when there are any)."""
    return format_rupiah(value, with_symbol=False)


class PortfolioFilterForm(forms.Form):
    """The portfolio's filters; anything invalid is ignored rather than refused (a GET list)."""

    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, required=False
    )
    officer = forms.TypedChoiceField(
        label=_("Loan officer"), coerce=int, empty_value=None, required=False
    )
    klass = forms.TypedChoiceField(
        label=_("Class"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("All classes"))] + [(k, f"{k} {n}") for k, n in CLASS_NAMES.items()],
    )
    dpd = forms.IntegerField(
        label=_("Days past due at least"), min_value=0, max_value=100_000, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*Loan.Status.choices, (STATUS_ALL, _("All statuses"))],
    )

    def __init__(
        self,
        *args: Any,
        products: Iterable[LoanProduct] = (),
        officers: Iterable[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("All products"))] + [
            (p.pk, f"{p.code} {p.name}") for p in products
        ]
        self.fields["officer"].choices = [("", _("All officers"))] + list(officers)
        # A row of bare inputs: each says what it is to a screen reader.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
        self.fields["dpd"].widget.attrs["placeholder"] = self.fields["dpd"].label

    def where(self) -> PortfolioFilter:
        """The selector's filter from the valid fields (invalid ones fall back to "any")."""
        if not self.is_bound:
            return PortfolioFilter()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        status = data.get("status") or Loan.Status.ACTIVE
        return PortfolioFilter(
            product_id=data.get("product"),
            officer_id=data.get("officer"),
            collectibility=data.get("klass"),
            min_days_past_due=data.get("dpd"),
            status="" if status == STATUS_ALL else status,
        )

    def query(self) -> dict[str, Any]:
        """The valid filters as URL parameters, for the page links."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class ApplyForm(forms.Form):
    """An officer enters an application for a member (picked by member number)."""

    member = forms.CharField(
        label=_("Member number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "A00001"}),
    )
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, empty_value=None)
    principal = _money_field(_("Amount (Rp)"))
    term = forms.IntegerField(label=_("Term (instalments)"), min_value=1, max_value=MAX_PERIODS)
    grace_periods = forms.IntegerField(
        label=_("Grace periods (interest only)"),
        min_value=0,
        max_value=MAX_PERIODS,
        required=False,
        initial=0,
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=255)

    def __init__(self, *args: Any, products: Iterable[LoanProduct] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = {p.pk: p for p in products}
        self.fields["product"].choices = [("", "---------")] + [
            (p.pk, f"{p.code} {p.name}") for p in self.products.values()
        ]

    def clean_member(self) -> str:
        return str(self.cleaned_data["member"]).strip().upper()

    def clean_grace_periods(self) -> int:
        return self.cleaned_data.get("grace_periods") or 0


class AnalysisForm(forms.Form):
    """The officer's analysis: capacity, up to three collateral rows and the guarantors."""

    monthly_income = _money_field(_("Net monthly income (Rp)"), allow_zero=True)
    monthly_expenses = _money_field(_("Monthly expenses (Rp)"), required=False, allow_zero=True)
    other_instalments = _money_field(
        _("Other instalments per month (Rp)"), required=False, allow_zero=True
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        initial="approve",
    )
    note = forms.CharField(
        label=_("Analysis note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guarantors = forms.CharField(
        label=_("Guarantors (member numbers)"),
        required=False,
        max_length=200,
        help_text=_("Separate several numbers with commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "A00012, A00034"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [("", "---------"), *Collateral.Kind.choices]
        for i in range(1, COLLATERAL_ROWS + 1):
            self.fields[f"collateral_kind_{i}"] = forms.ChoiceField(
                label=_("Kind"), required=False, choices=kinds
            )
            self.fields[f"collateral_description_{i}"] = forms.CharField(
                label=_("Description"), required=False, max_length=255
            )
            self.fields[f"collateral_value_{i}"] = _money_field(_("Valuation (Rp)"), False)

    @classmethod
    def initial_from(cls, application: LoanApplication) -> dict[str, Any]:
        """What was entered last time, so an analysis can be corrected rather than retyped."""
        if application.monthly_income is None:
            return {}
        initial: dict[str, Any] = {
            "monthly_income": money_text(application.monthly_income),
            "monthly_expenses": money_text(application.monthly_expenses or Decimal(0)),
            "other_instalments": money_text(application.other_instalments or Decimal(0)),
            "recommendation": application.recommendation or "approve",
            "note": application.analysis_note,
            "guarantors": ", ".join(g.member.number for g in application.guarantors.all()),
        }
        for i, item in enumerate(list(application.collaterals.all())[:COLLATERAL_ROWS], start=1):
            initial[f"collateral_kind_{i}"] = item.kind
            initial[f"collateral_description_{i}"] = item.description
            initial[f"collateral_value_{i}"] = money_text(item.value)
        return initial

    def collateral_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                self[f"collateral_kind_{i}"],
                self[f"collateral_description_{i}"],
                self[f"collateral_value_{i}"],
            )
            for i in range(1, COLLATERAL_ROWS + 1)
        ]

    def clean_guarantors(self) -> list[str]:
        text = self.cleaned_data.get("guarantors") or ""
        return list(dict.fromkeys(n.upper() for n in re.split(r"[\s,;]+", text) if n))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        collaterals: list[tuple[str, str, Decimal]] = []
        for i in range(1, COLLATERAL_ROWS + 1):
            kind = data.get(f"collateral_kind_{i}") or ""
            description = (data.get(f"collateral_description_{i}") or "").strip()
            value_name = f"collateral_value_{i}"
            value = data.get(value_name)  # absent when the field refused what was typed
            typed = value is not None or value_name in self.errors
            if not (kind or description or typed):
                continue  # an empty row
            if not kind:
                self.add_error(f"collateral_kind_{i}", _("Choose a kind of collateral."))
            if not description:
                self.add_error(f"collateral_description_{i}", _("Describe the collateral."))
            if value is None:
                if not typed:
                    self.add_error(value_name, DOMAIN_MESSAGES["required"])
                continue
            if kind and description:
                collaterals.append((kind, description, value))
        data["collaterals"] = collaterals
        return data


class DecisionNoteForm(forms.Form):
    """Approve with an optional note, or reject with the reason (the service requires it)."""

    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the rejection"), max_length=255, required=False)


class DocumentForm(forms.Form):
    title = forms.CharField(
        label=_("Document"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("KTP, payslip, BPKB …")}),
    )
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class DisburseForm(KeyedForm):
    prefix = "disburse"
    to = forms.ChoiceField(
        label=_("Pay out"),
        choices=Loan.Disbursement.choices,
        initial=Loan.Disbursement.CASH,
        widget=forms.RadioSelect,
    )
    savings_account = forms.TypedChoiceField(
        label=_("Sukarela account"), coerce=int, empty_value=None, required=False
    )
    autodebit = forms.BooleanField(
        label=_("Take the instalments from this savings account when due (standing instruction)"),
        required=False,
    )

    def __init__(self, *args: Any, accounts: Iterable[SavingsAccount] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["savings_account"].choices = [("", _("The member's sukarela account"))] + [
            (a.pk, f"{a.number} · {money_text(a.balance)}") for a in accounts
        ]


PAYMENT_CHANNELS = [
    (LoanTransaction.Channel.TELLER, _("Cash at the teller")),
    (LoanTransaction.Channel.SAVINGS, _("From the member's sukarela savings")),
]


class RepayForm(KeyedForm):
    prefix = "repay"
    amount = _money_field(_("Amount (Rp)"))
    channel = forms.ChoiceField(
        label=_("Paid"), choices=PAYMENT_CHANNELS, initial=LoanTransaction.Channel.TELLER
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class PayoffForm(RepayForm):
    prefix = "payoff"


class RecoveryForm(KeyedForm):
    prefix = "recover"
    amount = _money_field(_("Amount received (Rp)"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class AssessForm(forms.Form):
    prefix = "assess"
    on = forms.DateField(label=_("As of"), widget=IsoDateInput())


class RestructureForm(forms.Form):
    prefix = "restructure"
    kind = forms.ChoiceField(label=_("Kind"), choices=Restructuring.Kind.choices)
    new_term = forms.IntegerField(
        label=_("New term (instalments)"), min_value=1, max_value=MAX_PERIODS
    )
    new_rate = _percent_field(_("Interest rate (%)"))
    new_rate_period = forms.ChoiceField(label=_("Rate period"), choices=RATE_PERIOD_CHOICES)
    new_method = forms.ChoiceField(label=_("Method"), choices=LoanProduct.Method.choices)
    grace_periods = forms.IntegerField(
        label=_("Grace periods (interest only)"),
        min_value=0,
        max_value=MAX_PERIODS,
        required=False,
        initial=0,
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def clean_new_rate(self) -> Decimal:
        return _percent(self.cleaned_data["new_rate"], "new_rate", places=8)

    def clean_grace_periods(self) -> int:
        return self.cleaned_data.get("grace_periods") or 0


class WriteOffForm(forms.Form):
    prefix = "writeoff"
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class WorkoutDecisionForm(forms.Form):
    """Approve or reject a restructuring or write-off proposal (a rejection needs a note).

    Approving a write-off posts to the books, so the form carries a key; a restructuring's
    decision posts nothing and needs none.
    """

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note (required to reject)"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)


class CollectionNoteForm(forms.Form):
    """A contact with the borrower about arrears (the service checks the dates)."""

    prefix = "collection"
    contacted_on = forms.DateField(label=_("Date of contact"), widget=IsoDateInput())
    kind = forms.ChoiceField(label=_("Contact by"), choices=CollectionNote.Kind.choices)
    note = forms.CharField(
        label=_("Note"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    promise_date = forms.DateField(
        label=_("Promised payment date"), required=False, widget=IsoDateInput()
    )
    promise_amount = RupiahField(label=_("Promised amount"), required=False)
