"""Teller and statement forms. They check shape only; the services decide what is allowed."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from koperasi.common.forms import KeyedForm, RupiahField
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsProduct


class AccountChoiceField(forms.TypedChoiceField):
    """Shows only the offered accounts but accepts any of the member's accounts.

    Refusing e.g. a withdrawal from simpanan wajib is the service's job, so a crafted post
    reaches the service and gets its clear message rather than a generic "invalid choice".
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.valid_ids: set[str] = set()

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.valid_ids


def _account_label(account: SavingsAccount) -> str:
    return f"{account.number} · {account.product.name}"


class MoneyForm(KeyedForm):
    """Base of the teller's money forms: the member's accounts and a hidden idempotency key."""

    def __init__(self, *args: Any, accounts: Iterable[SavingsAccount] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = list(accounts)
        for name, field in self.fields.items():
            if isinstance(field, AccountChoiceField):
                offered = [a for a in accounts if self.offers(name, a)]
                field.choices = [("", "---------")] + [(a.pk, _account_label(a)) for a in offered]
                field.valid_ids = {str(a.pk) for a in accounts}

    def offers(self, field_name: str, account: SavingsAccount) -> bool:
        return account.status == SavingsAccount.Status.OPEN


_WITHDRAWABLE = {SavingsKind.SUKARELA, SavingsKind.BERJANGKA}


def _amount_field() -> RupiahField:
    return RupiahField(label=_("Amount (Rp)"))


def _note_field() -> forms.CharField:
    return forms.CharField(label=_("Note"), max_length=255, required=False)


class DepositForm(MoneyForm):
    prefix = "deposit"
    account = AccountChoiceField(label=_("Account"))
    amount = _amount_field()
    note = _note_field()


class WithdrawForm(MoneyForm):
    prefix = "withdraw"
    account = AccountChoiceField(label=_("Account"))
    amount = _amount_field()
    note = _note_field()

    def offers(self, field_name: str, account: SavingsAccount) -> bool:
        return super().offers(field_name, account) and account.product.kind in _WITHDRAWABLE


class TransferForm(MoneyForm):
    prefix = "transfer"
    from_account = AccountChoiceField(label=_("From account"))
    to_account = AccountChoiceField(label=_("To account"))
    amount = _amount_field()
    note = _note_field()

    def offers(self, field_name: str, account: SavingsAccount) -> bool:
        if field_name == "from_account":
            return super().offers(field_name, account) and account.product.kind in _WITHDRAWABLE
        return super().offers(field_name, account)


class OpenAccountForm(forms.Form):
    prefix = "open"
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, empty_value=None)

    def __init__(self, *args: Any, products: Iterable[SavingsProduct] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.products = {p.pk: p for p in products}
        self.fields["product"].choices = [("", "---------")] + [
            (p.pk, p.name) for p in self.products.values()
        ]


class AccountFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *SavingsKind.choices]
    )
