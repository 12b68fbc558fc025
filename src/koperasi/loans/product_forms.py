"""The loan product form: every setting of a product, grouped as the page shows them."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from koperasi.loans.forms import _money_field, _percent, _percent_field, money_text
from koperasi.loans.models import LoanProduct
from koperasi.loans.simulation import percent_text

ALLOCATION_ORDERS = [
    ("penalty,interest,principal", _("Penalty → interest → principal")),
    ("interest,penalty,principal", _("Interest → penalty → principal")),
    ("interest,principal,penalty", _("Interest → principal → penalty")),
    ("penalty,principal,interest", _("Penalty → principal → interest")),
    ("principal,interest,penalty", _("Principal → interest → penalty")),
    ("principal,penalty,interest", _("Principal → penalty → interest")),
]


# Every LoanProduct field the services let a person set, grouped as the product form shows them.
PRODUCT_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("Terms"),
        (
            "method",
            "rate",
            "rate_period",
            "frequency",
            "rounding",
            "min_term",
            "max_term",
            "max_grace_periods",
            "min_principal",
            "max_principal",
            "skip_holidays",
        ),
    ),
    (_("Fees"), ("provisi_pct", "admin_fee", "fee_mode")),
    (
        _("Penalty"),
        ("penalty_kind", "penalty_rate", "penalty_flat", "penalty_grace_days", "penalty_cap_pct"),
    ),
    (
        _("Eligibility"),
        (
            "min_membership_months",
            "max_savings_multiple",
            "max_instalment_income_pct",
            "requires_collateral",
            "min_collateral_pct",
            "min_guarantors",
        ),
    ),
    (
        _("Repayment, early payoff and overpayment"),
        ("allocation_order", "early_payoff", "early_payoff_fee_pct", "overpayment"),
    ),
    (_("Accounting"), ("accounting", "is_active")),
)
_PRODUCT_MONEY = ("min_principal", "max_principal", "admin_fee", "penalty_flat")
_PRODUCT_PERCENT = (
    "provisi_pct",
    "penalty_rate",
    "penalty_cap_pct",
    "max_savings_multiple",
    "max_instalment_income_pct",
    "min_collateral_pct",
    "early_payoff_fee_pct",
)
_PRODUCT_COUNTS = (
    "min_term",
    "max_term",
    "max_grace_periods",
    "penalty_grace_days",
    "min_membership_months",
    "min_guarantors",
)
_PRODUCT_FLAGS = ("skip_holidays", "requires_collateral", "is_active")


def _model_label(name: str) -> Any:
    return capfirst(LoanProduct._meta.get_field(name).verbose_name)


class ProductForm(forms.Form):
    """Every setting of a loan product; `code` only when the product is created."""

    code = forms.RegexField(
        label=_("Code"),
        max_length=20,
        regex=r"^[A-Za-z0-9-]+$",
        error_messages={"invalid": _("Use letters, digits and - only.")},
        help_text=_("Short, e.g. PU; it starts the loan numbers."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args: Any, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]
        choices = {
            "method": LoanProduct.Method.choices,
            "rate_period": LoanProduct.RatePeriod.choices,
            "frequency": LoanProduct.Frequency.choices,
            "rounding": LoanProduct.Rounding.choices,
            "fee_mode": LoanProduct.FeeMode.choices,
            "penalty_kind": LoanProduct.PenaltyKind.choices,
            "early_payoff": LoanProduct.EarlyPayoff.choices,
            "overpayment": LoanProduct.Overpayment.choices,
            "accounting": LoanProduct.Accounting.choices,
            "allocation_order": ALLOCATION_ORDERS,
        }
        for name, options in choices.items():
            self.fields[name] = forms.ChoiceField(label=_model_label(name), choices=options)
        self.fields["rate"] = _percent_field(_("Interest rate (%)"))
        for name in _PRODUCT_MONEY:
            self.fields[name] = _money_field(
                format_lazy("{} (Rp)", _model_label(name)),
                allow_zero=name in ("admin_fee", "penalty_flat"),
            )
        for name in _PRODUCT_PERCENT:
            self.fields[name] = _percent_field(_model_label(name))
        for name in _PRODUCT_COUNTS:
            self.fields[name] = forms.IntegerField(
                label=_model_label(name), min_value=0, max_value=32767
            )
        for name in _PRODUCT_FLAGS:
            self.fields[name] = forms.BooleanField(label=_model_label(name), required=False)
        self.fields["is_active"].label = _("Offered for new loans")
        self.fields["max_savings_multiple"].help_text = _("0 means no limit.")
        self.fields["penalty_cap_pct"].help_text = _("0 means no cap.")

    @classmethod
    def initial_from(cls, product: LoanProduct) -> dict[str, Any]:
        initial: dict[str, Any] = {"code": product.code, "name": product.name}
        for _label, names in PRODUCT_GROUPS:
            for name in names:
                value = getattr(product, name)
                if name in _PRODUCT_MONEY:
                    value = money_text(value)
                elif name == "rate" or name in _PRODUCT_PERCENT:
                    value = percent_text(value)
                initial[name] = value
        return initial

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """A new product starts from the model's defaults (a monthly declining-balance loan)."""
        product = LoanProduct(
            method=LoanProduct.Method.MENURUN,
            rate=Decimal("1.5"),
            rate_period=LoanProduct.RatePeriod.MONTH,
            max_principal=Decimal("50000000"),
        )
        initial = cls.initial_from(product)
        initial.update(code="", name="")
        return initial

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(label, [self[name] for name in names]) for label, names in PRODUCT_GROUPS]

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("rate", *_PRODUCT_PERCENT):
            if name in data:
                try:
                    data[name] = _percent(data[name], name, places=8 if name == "rate" else 4)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def settings(self) -> dict[str, Any]:
        """The product's settings as the services take them (without code)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "code"}
