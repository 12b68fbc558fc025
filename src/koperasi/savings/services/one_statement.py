"""A teller's plain cash movement in one PostgreSQL statement (`savings_cash_movement`)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from koperasi import sqlrows
from koperasi.audit.services import client_ip
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, BalanceSlot
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.savings.services.movements import (
    _cash_memo,
    _cash_summary,
    _check_can_pay_out,
    _check_can_receive,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


# ---------------------------------------------------------------- one statement (PostgreSQL)

# The account as `_in_one_statement` reads it (no lock), with what its checks and texts need,
# and the cooperative's cash account.
_AS_READ = (
    (SavingsAccount, ("id", "cooperative_id", "member_id", "product_id", "number", "status",
                      "balance", "maturity_date")),
    (SavingsProduct, ("id", "cooperative_id", "code", "name", "kind", "minimum_balance",
                      "gl_account_id")),
    (Member, ("id", "cooperative_id", "number", "name", "status")),
    (Account, ("id", "cooperative_id", "code", "is_header", "is_control", "is_active")),
    (Account, None),
)  # fmt: skip
_ACCOUNT_AS_READ = (
    "SELECT "
    + ", ".join(sqlrows.columns(f"t{i}", model, names) for i, (model, names) in enumerate(_AS_READ))
    + " FROM savings_savingsaccount t0 JOIN savings_savingsproduct t1 ON t1.id = t0.product_id"
    " JOIN members_member t2 ON t2.id = t0.member_id"
    " JOIN ledger_account t3 ON t3.id = t1.gl_account_id"
    " JOIN ledger_account t4 ON t4.cooperative_id = t0.cooperative_id AND t4.system_role = 'cash'"
    " WHERE t0.id = %s AND t0.cooperative_id = %s"
)
# Typed, so that the server resolves the function once and may keep the statement prepared.
# The function runs only if no loan posted under the request's key (the ordinary way refuses
# that key); it sees a retry, or the key used on another account, itself.
_CASH_MOVEMENT = (
    "SELECT * FROM savings_cash_movement(%s::bigint, %s::bigint, %s::numeric, %s::numeric,"
    " %s::text, %s::text, %s::text, %s::text, %s::integer, %s::date, %s::date, %s::text,"
    " %s::text, %s::bigint, %s::bigint, %s::text, %s::inet, %s::integer, %s::integer,"
    " %s::timestamptz)" + ledger.WHERE_KEY_FREE
)


def _account_as_read(cooperative: Cooperative, account_id: int) -> SavingsAccount | None:
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_ACCOUNT_AS_READ, [account_id, cooperative.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    account, product, member, gl_account, cash = sqlrows.split(row, *_AS_READ)
    product.gl_account = gl_account
    account.product, account.member = product, member
    ledger.remember_account(cooperative, "cash", cash)
    return account


def _in_one_statement(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction | None:
    """The teller's everyday movement, a cash deposit into sukarela or wajib savings or a cash
    withdrawal from sukarela, as one call of the PostgreSQL function `savings_cash_movement`
    (savings migration 0006), when the caller has no transaction open: the call is then the
    whole transaction, and the balance rows are never locked while Python runs.

    The account is read without a lock and checked with the same rules as the ordinary way;
    the function re-checks under the row lock what those checks relied on. Anything else,
    and anything unusual (a refusal, a retry, a key already used, a closed day), returns None:
    the ordinary way then answers it, so every error and every retry is answered in one place.
    """
    if connection.vendor != "postgresql" or not idempotency_key or sqlrows.alone() is None:
        return None
    account = _account_as_read(cooperative, account_id)
    if account is None or account.status != SavingsAccount.Status.OPEN:
        return None
    today = ledger.local_today(cooperative)
    on = business_date or today
    floor = None
    try:
        if amount > 0:
            if account.product.kind not in (SavingsKind.SUKARELA, SavingsKind.WAJIB):
                return None
            _check_can_receive(cooperative, account, amount, on)
        else:
            if account.product.kind != SavingsKind.SUKARELA:
                return None
            if account.member.status != Member.Status.ACTIVE:
                return None
            _check_can_pay_out(account, -amount, on)
            floor = account.product.minimum_balance
        cash, savings_gl = ledger.account_by_role(cooperative, "cash"), account.product.gl_account
        ledger.check_lines(
            cooperative,
            [ledger.Line(cash, debit=abs(amount)), ledger.Line(savings_gl, credit=abs(amount))],
            allow_control=True,
        )
    except ServiceError:
        return None
    kind = Kind.DEPOSIT if amount > 0 else Kind.WITHDRAWAL
    who = actor if getattr(actor, "pk", None) else None
    note = note[:255]
    row = sqlrows.call_alone(
        _CASH_MOVEMENT,
        [
            cooperative.pk,
            account.pk,
            amount,
            floor,
            kind,
            idempotency_key,
            note,
            channel,
            who.pk if who else None,
            today,
            business_date,
            _cash_memo(account, amount)[:255],
            account.number,
            cash.pk,
            savings_gl.pk,
            _cash_summary(account, amount)[:300],
            client_ip.get(),
            ledger.BOOKS_LOCK,
            BalanceSlot.SLOTS,
            timezone.now(),
            *ledger.key_free_params(cooperative, f"savings:{idempotency_key}"),
        ],
    )
    if row is None:
        return None
    txn_id, entry_id, balance_after, on, created_at = row
    account.balance = balance_after
    txn = SavingsTransaction(
        pk=txn_id,
        cooperative_id=cooperative.pk,
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        business_date=on,
        journal_entry_id=entry_id,
        note=note,
        idempotency_key=idempotency_key,
        channel=channel,
        actor=who,
        created_at=created_at,
    )
    return sqlrows.saved(txn)
