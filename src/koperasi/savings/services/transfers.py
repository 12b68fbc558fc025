"""Transfers between accounts, the refund on exit and reversals."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsTransaction,
)
from koperasi.savings.services.movements import (
    _amount,
    _asked,
    _check_can_pay_out,
    _check_can_receive,
    _locked_account,
    _record_movement,
    _replayed,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


@transaction.atomic
def transfer(
    *,
    cooperative: Cooperative,
    actor: Any,
    from_account_id: int,
    to_account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
    closing: bool = False,
) -> tuple[SavingsTransaction, SavingsTransaction]:
    """Move money between two accounts of the same member (e.g. sukarela → wajib).

    The day-end close pays matured time deposits with `closing=True` (dated the day it closes).
    """
    value = _amount(amount)
    if from_account_id == to_account_id:
        raise ServiceError("same_account", _("Choose two different accounts."), "to_account")
    # Lock both rows in key order so opposite transfers cannot deadlock.
    first, second = sorted((from_account_id, to_account_id))
    locked = {
        first: _locked_account(cooperative, first),
        second: _locked_account(cooperative, second),
    }
    asked = [
        _asked(Kind.TRANSFER_OUT, from_account_id, -value, note),
        _asked(Kind.TRANSFER_IN, to_account_id, value, note),
    ]
    if (done := _replayed(cooperative, idempotency_key, asked)) is not None:
        out, into = sorted(done, key=lambda t: t.amount)
        return out, into
    source, target = locked[from_account_id], locked[to_account_id]
    if source.member_id != target.member_id:
        raise ServiceError(
            "different_member",
            _("Transfers are only between one member's own accounts."),
            "to_account",
        )
    on = business_date or ledger.business_today(cooperative)
    if source.member.status != Member.Status.ACTIVE:
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    _check_can_pay_out(source, value, on)
    _check_can_receive(cooperative, target, value, on)
    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(source.product.gl_account, debit=value),
            ledger.Line(target.product.gl_account, credit=value),
        ],
        memo=f"Pemindahbukuan {source.number} ke {target.number}",
        source="savings",
        source_ref=source.number,
        idempotency_key=f"savings:{idempotency_key}",
        business_date=on,
        allow_control=True,
        closing=closing,
        replay=False,
    )
    out = _record_movement(
        account=source,
        kind=Kind.TRANSFER_OUT,
        amount=-value,
        entry=entry,
        actor=actor,
        note=note,
        key=idempotency_key,
        channel=channel,
    )
    into = _record_movement(
        account=target,
        kind=Kind.TRANSFER_IN,
        amount=value,
        entry=entry,
        actor=actor,
        note=note,
        key=idempotency_key,
        channel=channel,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.transfer",
        obj=out,
        summary=f"{source.number} -> {target.number} {value}",
    )
    return out, into


def refund_on_exit(
    *,
    cooperative: Cooperative,
    actor: Any,
    member: Member,
    idempotency_key: str,
    business_date: dt.date | None = None,
) -> JournalEntry | None:
    """Pay every balance back in cash and close the accounts (part of `members.exit_member`)."""
    accounts = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("product__gl_account", "member")
        .filter(cooperative=cooperative, member=member, status=SavingsAccount.Status.OPEN)
        .order_by("pk")
    )
    on = business_date or ledger.business_today(cooperative)
    with_balance = [a for a in accounts if a.balance > 0]
    entry = None
    if with_balance:
        per_gl: dict[int, Decimal] = defaultdict(lambda: ZERO)
        gl = {}
        for account in with_balance:
            per_gl[account.product.gl_account.pk] += account.balance
            gl[account.product.gl_account.pk] = account.product.gl_account
        total = sum(per_gl.values(), ZERO)
        lines = [ledger.Line(gl[pk], debit=value) for pk, value in sorted(per_gl.items())]
        lines.append(ledger.Line(ledger.account_by_role(cooperative, "cash"), credit=total))
        entry = ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=lines,
            memo=f"Pengembalian simpanan anggota keluar {member.number} {member.name}",
            source="savings",
            source_ref=member.number,
            idempotency_key=f"savings:{idempotency_key}",
            business_date=on,
            allow_control=True,
        )
        for account in with_balance:
            _record_movement(
                account=account,
                kind=Kind.REFUND,
                amount=-account.balance,
                entry=entry,
                actor=actor,
                note="",
                key=idempotency_key,
                channel="teller",
            )
    for account in accounts:
        account.status = SavingsAccount.Status.CLOSED
        account.closed_on = on
        account.save(update_fields=["status", "closed_on"])
    return entry


@transaction.atomic
def reverse_transaction(
    *,
    cooperative: Cooperative,
    actor: Any,
    transaction_id: int,
    reason: str,
    idempotency_key: str,
) -> list[SavingsTransaction]:
    """Undo a wrongly entered deposit, withdrawal or transfer with reversal entries."""
    original = (
        SavingsTransaction.objects.filter(cooperative=cooperative, pk=transaction_id)
        .select_related("journal_entry")
        .first()
    )
    if original is None:
        raise NotFound(_("Transaction not found."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for the reversal."), "reason")
    legs = list(
        SavingsTransaction.objects.filter(journal_entry=original.journal_entry).order_by("pk")
    )
    if any(leg.kind in (Kind.LOAN_CREDIT, Kind.LOAN_DEBIT) for leg in legs):
        raise ServiceError(
            "loan_movement", _("This movement belongs to a loan; reverse it on the loan.")
        )
    if any(leg.kind in (Kind.REVERSAL, Kind.REFUND) for leg in legs):
        raise ServiceError("not_reversible", _("This movement cannot be reversed."))
    # The accounts locked (in key order, as every movement locks them) before the key is
    # looked up: a retry that raced the original waits here, then finds its reversal.
    locked = {
        account_id: _locked_account(cooperative, account_id)
        for account_id in sorted({leg.account_id for leg in legs})
    }
    asked = [_asked(Kind.REVERSAL, leg.account_id, -leg.amount, reason, leg.pk) for leg in legs]
    if (done := _replayed(cooperative, idempotency_key, asked)) is not None:
        return done
    if SavingsTransaction.objects.filter(reverses__in=legs).exists():
        raise ServiceError("already_reversed", _("This movement has already been reversed."))
    for leg in legs:
        if locked[leg.account_id].balance - leg.amount < 0:
            raise ServiceError(
                "insufficient_balance",
                _("The balance is too low to reverse this movement."),
            )
    entry = ledger.reverse_entry(
        cooperative=cooperative,
        actor=actor,
        entry=original.journal_entry,
        reason=reason,
        idempotency_key=f"savings:{idempotency_key}",
        allow_control=True,
        replay=False,
    )
    reversals = [
        _record_movement(
            account=locked[leg.account_id],
            kind=Kind.REVERSAL,
            amount=-leg.amount,
            entry=entry,
            actor=actor,
            note=reason,
            key=idempotency_key,
            channel="teller",
            reverses=leg,
        )
        for leg in legs
    ]
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.reverse",
        obj=original,
        summary=reason,
    )
    return reversals
