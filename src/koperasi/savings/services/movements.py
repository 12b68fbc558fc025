"""What every savings movement shares: the locked account, the checks, the movement row."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, format_rupiah, parse_amount
from koperasi.domain.periods import add_months
from koperasi.errors import KeyReused, NotFound, ServiceError
from koperasi.ledger.models import JournalEntry
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsTransaction,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind

# What a savings movement writes beside its row, shared by the ordinary way and
# `savings_cash_movement`, which takes them as parameters: the journal entry's source, its key
# (from the movement's), the audit action, and the channel of a loan's movement.
SOURCE = "savings"
LOAN_CHANNEL = "loan"


def entry_key(key: str) -> str:
    return f"savings:{key}"


def audit_action(kind: str) -> str:
    return f"savings.{kind}"


def _amount(value: Any) -> Decimal:
    try:
        return parse_amount(value)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, "amount") from exc


def _locked_account(cooperative: Cooperative, account_id: int) -> SavingsAccount:
    locked = (
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("product__gl_account", "member")
        .filter(cooperative=cooperative, pk=account_id)
    )
    account = next(iter(locked[:1]), None)
    if account is None:
        raise NotFound(_("Savings account not found."))
    if account.status != SavingsAccount.Status.OPEN:
        raise ServiceError("account_closed", _("This savings account is closed."))
    return account


def locked_account_for_loan(cooperative: Cooperative, account_id: int) -> SavingsAccount:
    """A member's open sukarela account, locked: loans pay into and collect from it.

    Callers lock it before the loan row, the same order every loan movement uses.
    """
    account = _locked_account(cooperative, account_id)
    if account.product.kind != SavingsKind.SUKARELA:
        raise ServiceError(
            "not_sukarela", _("Loans use the member's sukarela account."), "savings_account"
        )
    return account


def check_loan_debit(account: SavingsAccount, amount: Decimal) -> None:
    """Refuse, before anything is written, an instalment the savings cannot cover."""
    # Only sukarela accounts reach here; the date matters only for a time deposit's maturity.
    _check_can_pay_out(account, amount, dt.date.min)


def record_loan_movement(
    *,
    account: SavingsAccount,
    amount: Decimal,
    entry: JournalEntry,
    actor: Any,
    key: str,
    note: str,
    reverses: SavingsTransaction | None = None,
) -> SavingsTransaction:
    """The savings side of a loan's journal entry (which carries the savings control line).

    `amount` > 0 pays into the account (disbursement, excess), < 0 takes an instalment.

    `key` is the loan request's key, or one derived from it (`<key>:excess`): a savings request
    sent under that very key (an API client's `X:excess`) already took it, so it is refused
    (409) rather than written beside that request's movement.
    """
    if SavingsTransaction.objects.filter(
        cooperative_id=account.cooperative_id, idempotency_key=key
    ).exists():
        raise KeyReused()
    if account.balance + amount < 0:
        raise ServiceError("insufficient_balance", _("The savings balance is too low."), "amount")
    kind = Kind.REVERSAL if reverses else (Kind.LOAN_CREDIT if amount > 0 else Kind.LOAN_DEBIT)
    return _record_movement(
        account=account,
        kind=kind,
        amount=amount,
        entry=entry,
        actor=actor,
        note=note,
        key=key,
        channel=LOAN_CHANNEL,
        reverses=reverses,
    )


def loan_movements(entry: JournalEntry) -> list[SavingsTransaction]:
    """The movements a loan's entry made on savings accounts, in account order (the order
    they are locked in to be reversed)."""
    return list(SavingsTransaction.objects.filter(journal_entry=entry).order_by("account_id", "pk"))


# What identifies a request's movement: kind, account, signed amount, note, the movement it
# reverses. A key's request is the set of these it wrote.
Asked = tuple[str, int, Decimal, str, int | None]


def _asked(
    kind: str, account_id: int, amount: Decimal, note: str, reverses: int | None = None
) -> Asked:
    return (kind, account_id, amount, note[:255], reverses)


def _replayed(
    cooperative: Cooperative, key: str, asked: list[Asked]
) -> list[SavingsTransaction] | None:
    """A retry's answer: the movements first written under `key`, if they are exactly those
    this request asks for; None for a key not used yet. The key used for anything else (another
    operation, account, amount or note, or a loan's movement) is refused with KeyReused (409).

    Callers ask under the account locks, so a retry that raced the original waits, then finds
    it. A key another sub-ledger posted under is refused when the movement posts
    (`ledger.post_entry`, `replay=False`).
    """
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    # Almost every key is new: ask the cheap question first, load the movements only on a hit.
    found = SavingsTransaction.objects.filter(
        cooperative=cooperative, idempotency_key=key
    ).values_list("pk", flat=True)[:1]
    if not found:
        return None
    done = list(
        SavingsTransaction.objects.filter(cooperative=cooperative, idempotency_key=key)
        .select_related("account__product", "account__member", "journal_entry")
        .order_by("id")
    )
    written = Counter((t.kind, t.account_id, t.amount, t.note, t.reverses_id) for t in done)
    if written != Counter(asked):
        raise KeyReused()
    return done


def _check_can_receive(
    cooperative: Cooperative, account: SavingsAccount, amount: Decimal, on: dt.date
) -> None:
    member, kind = account.member, account.product.kind
    if kind == SavingsKind.POKOK:
        if member.status not in (Member.Status.APPLICANT, Member.Status.ACTIVE):
            raise ServiceError("member_inactive", _("This person is no longer a member."))
        remaining = cooperative.pokok_amount - account.balance
        if amount > remaining:
            raise ServiceError(
                "pokok_exceeded",
                _("Simpanan pokok is %(total)s; only %(left)s remains to be paid.")
                % {
                    "total": format_rupiah(cooperative.pokok_amount),
                    "left": format_rupiah(remaining),
                },
                "amount",
            )
        return
    if member.status != Member.Status.ACTIVE:
        raise ServiceError(
            "member_inactive",
            _("Only active members may save; pay the simpanan pokok first."),
        )
    if kind == SavingsKind.BERJANGKA and account.transactions.exists():
        raise ServiceError(
            "term_deposit_placed",
            _("A time deposit takes one placement; open a new time deposit instead."),
        )


def _check_can_pay_out(account: SavingsAccount, amount: Decimal, on: dt.date) -> None:
    kind = account.product.kind
    if kind in (SavingsKind.POKOK, SavingsKind.WAJIB):
        raise ServiceError(
            "savings_locked",
            _("Simpanan pokok and wajib can be withdrawn only when membership ends."),
        )
    if kind == SavingsKind.BERJANGKA:
        if account.maturity_date is None or on < account.maturity_date:
            raise ServiceError(
                "not_matured", _("This time deposit has not reached its maturity date.")
            )
        if amount != account.balance:
            raise ServiceError(
                "whole_balance", _("A matured time deposit is paid out in full."), "amount"
            )
    if amount > account.balance - account.product.minimum_balance:
        raise ServiceError(
            "insufficient_balance",
            _("Insufficient balance: at most %(max)s can be withdrawn.")
            % {"max": format_rupiah(max(ZERO, account.balance - account.product.minimum_balance))},
            "amount",
        )


def _record_movement(
    *,
    account: SavingsAccount,
    kind: str,
    amount: Decimal,
    entry: JournalEntry,
    actor: Any,
    note: str,
    key: str,
    channel: str,
    reverses: SavingsTransaction | None = None,
) -> SavingsTransaction:
    account.balance += amount
    update = ["balance"]
    if (
        account.product.kind == SavingsKind.BERJANGKA
        and account.maturity_date is None
        and amount > 0
        and account.product.term_months
    ):
        account.maturity_date = add_months(entry.business_date, account.product.term_months)
        update.append("maturity_date")
    account.save(update_fields=update)
    return SavingsTransaction.objects.create(
        cooperative_id=account.cooperative_id,
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        business_date=entry.business_date,
        journal_entry=entry,
        note=note[:255],
        idempotency_key=key,
        channel=channel,
        actor=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
    )


def _cash_memo(account: SavingsAccount, amount: Decimal) -> str:
    verb = "Setoran" if amount > 0 else "Penarikan"
    return f"{verb} {account.product.name} {account.number} {account.member.name}"


def _cash_summary(account: SavingsAccount, amount: Decimal) -> str:
    return f"{account.number} {amount:+}"
