"""Deposits and withdrawals at the teller and by API."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsTransaction,
)
from koperasi.savings.services.movements import (
    SOURCE,
    _amount,
    _asked,
    _cash_memo,
    _cash_summary,
    _check_can_pay_out,
    _check_can_receive,
    _locked_account,
    _record_movement,
    _replayed,
    audit_action,
    entry_key,
)
from koperasi.savings.services.one_statement import _in_one_statement
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


def _cash_movement(
    *,
    cooperative: Cooperative,
    actor: Any,
    account: SavingsAccount,
    amount: Decimal,
    on: dt.date,
    idempotency_key: str,
    note: str,
    channel: str,
) -> SavingsTransaction:
    """Cash in (amount > 0: Dr cash, Cr savings) or out (amount < 0: Dr savings, Cr cash)."""
    cash = ledger.account_by_role(cooperative, "cash")
    savings_gl = account.product.gl_account
    value = abs(amount)
    debit, credit = (cash, savings_gl) if amount > 0 else (savings_gl, cash)
    kind = Kind.DEPOSIT if amount > 0 else Kind.WITHDRAWAL
    recorded: list[SavingsTransaction] = []

    def record_movement(entry: JournalEntry) -> None:
        txn = _record_movement(
            account=account,
            kind=kind,
            amount=amount,
            entry=entry,
            actor=actor,
            note=note,
            key=idempotency_key,
            channel=channel,
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action=audit_action(kind),
            obj=txn,
            summary=_cash_summary(account, amount),
        )
        recorded.append(txn)

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[ledger.Line(debit, debit=value), ledger.Line(credit, credit=value)],
        memo=_cash_memo(account, amount),
        source=SOURCE,
        source_ref=account.number,
        idempotency_key=entry_key(idempotency_key),
        business_date=on,
        allow_control=True,
        before_balances=record_movement,
        # A retry was answered from the movement under the account lock: an entry under this
        # key now is another request's.
        replay=False,
    )
    return recorded[0]


def deposit(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
) -> SavingsTransaction:
    """Cash paid in at the teller (or by API): Dr cash, Cr the product's savings account."""
    value = _amount(amount)
    done = _in_one_statement(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        amount=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )
    if done is not None:
        return done
    return _deposit(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        value=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )


@transaction.atomic
def _deposit(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    value: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction:
    account = _locked_account(cooperative, account_id)
    # Checked under the account lock: a concurrent retry with this key waits, then finds it.
    asked = [_asked(Kind.DEPOSIT, account_id, value, note)]
    if (done := _replayed(cooperative, idempotency_key, asked)) is not None:
        return done[0]
    on = business_date or ledger.business_today(cooperative)
    _check_can_receive(cooperative, account, value, on)
    txn = _cash_movement(
        cooperative=cooperative,
        actor=actor,
        account=account,
        amount=value,
        on=on,
        idempotency_key=idempotency_key,
        note=note,
        channel=channel,
    )
    if account.product.kind == SavingsKind.POKOK and account.balance == cooperative.pokok_amount:
        from koperasi.members import services as members

        members.activate_member(cooperative=cooperative, actor=actor, member=account.member, on=on)
    return txn


def withdraw(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
) -> SavingsTransaction:
    """Cash paid out: Dr the product's savings account, Cr cash. Never below the minimum."""
    value = _amount(amount)
    done = _in_one_statement(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        amount=-value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )
    if done is not None:
        return done
    return _withdraw(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        value=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )


@transaction.atomic
def _withdraw(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    value: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction:
    account = _locked_account(cooperative, account_id)
    # Checked under the account lock: a concurrent retry with this key waits, then finds it.
    asked = [_asked(Kind.WITHDRAWAL, account_id, -value, note)]
    if (done := _replayed(cooperative, idempotency_key, asked)) is not None:
        return done[0]
    on = business_date or ledger.business_today(cooperative)
    if account.member.status != Member.Status.ACTIVE:
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    _check_can_pay_out(account, value, on)
    return _cash_movement(
        cooperative=cooperative,
        actor=actor,
        account=account,
        amount=-value,
        on=on,
        idempotency_key=idempotency_key,
        note=note,
        channel=channel,
    )
