"""The lines of a journal entry, and what `post_entry` refuses in them."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from koperasi.domain.money import ZERO, format_rupiah, is_exact_to
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger.models import Account
from koperasi.tenancy.models import Cooperative


@dataclass(frozen=True)
class Line:
    """One side of an entry: an account (object) with a debit or a credit amount."""

    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def check_lines(cooperative: Cooperative, lines: Sequence[Line], allow_control: bool) -> None:
    """Refuse lines that `post_entry` would refuse (for a sub-ledger that checks first)."""
    if len(lines) < 2:
        raise ServiceError("entry_too_short", _("An entry needs at least two lines."))
    total_debit = total_credit = ZERO
    for line in lines:
        account = line.account
        if account.cooperative_id != cooperative.pk:
            raise NotFound(_("Account not found."), field="account")
        if account.is_header or not account.is_active:
            raise ServiceError(
                "account_not_postable",
                _("Account %(code)s cannot take postings.") % {"code": account.code},
                field="account",
            )
        if account.is_control and not allow_control:
            raise ServiceError(
                "control_account",
                _("Account %(code)s is kept by its sub-ledger; post through savings or loans.")
                % {"code": account.code},
                field="account",
            )
        for amount in (line.debit, line.credit):
            if not isinstance(amount, Decimal) or amount < 0 or not is_exact_to(amount):
                raise ServiceError("invalid_amount", _("Line amounts must be exact and positive."))
        if (line.debit > 0) == (line.credit > 0):
            raise ServiceError(
                "one_side", _("Each line has either a debit or a credit amount, not both.")
            )
        total_debit += line.debit
        total_credit += line.credit
    if total_debit != total_credit:
        raise ServiceError(
            "unbalanced",
            _("Debits (%(d)s) and credits (%(c)s) must be equal.")
            % {"d": format_rupiah(total_debit), "c": format_rupiah(total_credit)},
        )
