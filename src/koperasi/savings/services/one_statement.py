"""A teller's plain cash movement in one PostgreSQL statement (`savings_cash_movement`,
savings/sql/cash_movement.sql). Every time the ordinary way answers instead is logged on the
"koperasi.savings" logger and counted (`koperasi.sqlrows.fast_path_counts`) with its reason."""

import datetime as dt
import logging
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
    SOURCE,
    _cash_memo,
    _cash_summary,
    _check_can_pay_out,
    _check_can_receive,
    audit_action,
    entry_key,
)
from koperasi.sqlrows import Fallback
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
PATH = "savings_cash_movement"
logger = logging.getLogger("koperasi.savings")

# The function's parameters (savings/sql/cash_movement.sql), bound by name and typed, so that
# the server resolves the function once and may keep the statement prepared.
_PARAMETERS = (
    ("p_cooperative", "bigint"), ("p_account", "bigint"), ("p_amount", "numeric"),
    ("p_floor", "numeric"), ("p_kind", "text"), ("p_key", "text"), ("p_entry_key", "text"),
    ("p_note", "text"), ("p_channel", "text"), ("p_actor", "integer"), ("p_today", "date"),
    ("p_on", "date"), ("p_source", "text"), ("p_source_ref", "text"), ("p_memo", "text"),
    ("p_cash", "bigint"), ("p_savings_gl", "bigint"), ("p_action", "text"),
    ("p_object_type", "text"), ("p_summary", "text"), ("p_audit_data", "jsonb"),
    ("p_ip", "inet"), ("p_open", "text"), ("p_active", "text"), ("p_books_lock", "integer"),
    ("p_last_day", "date"), ("p_slots", "integer"), ("p_now", "timestamptz"),
)  # fmt: skip
# The function runs only if no loan posted under the request's key (the ordinary way refuses
# that key); it sees a retry, or the key used on another account, itself.
_CASH_MOVEMENT = (
    "SELECT * FROM savings_cash_movement("
    + ", ".join(f"{name} => %s::{type_}" for name, type_ in _PARAMETERS)
    + ")"
    + ledger.WHERE_KEY_FREE
)
# The rules' constants the function takes, the same for every call.
_RULES = {
    "p_source": SOURCE,
    "p_object_type": SavingsTransaction.__name__,  # what audit.record writes for the movement
    "p_audit_data": "{}",  # audit.record's data when a service gives none
    "p_open": SavingsAccount.Status.OPEN.value,
    "p_active": Member.Status.ACTIVE.value,
    "p_books_lock": ledger.BOOKS_LOCK,
    "p_last_day": dt.date.max,
    "p_slots": BalanceSlot.SLOTS,
}


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
    (savings/sql/cash_movement.sql), when the caller has no transaction open: the call is then
    the whole transaction, and the balance rows are never locked while Python runs.

    The account is read without a lock and checked with the same rules as the ordinary way;
    the function re-checks under the row lock what those checks relied on. Anything else,
    and anything unusual (a refusal, a retry, a closed day), returns None, logged and counted
    with its reason: the ordinary way then answers it, so every error and every retry is
    answered in one place.
    """
    if connection.vendor != "postgresql":
        return None
    if not idempotency_key:
        return _fell_back(Fallback.REFUSED, "no idempotency key")
    if sqlrows.alone() is None:
        return _fell_back(Fallback.IN_TRANSACTION)
    account = _account_as_read(cooperative, account_id)
    if account is None or account.status != SavingsAccount.Status.OPEN:
        return _fell_back(Fallback.REFUSED, "account not found or not open")
    today = ledger.local_today(cooperative)
    on = business_date or today
    floor = None
    try:
        if amount > 0:
            if account.product.kind not in (SavingsKind.SUKARELA, SavingsKind.WAJIB):
                return _fell_back(Fallback.UNSUPPORTED, f"deposit into {account.product.kind}")
            _check_can_receive(cooperative, account, amount, on)
        else:
            if account.product.kind != SavingsKind.SUKARELA:
                return _fell_back(Fallback.UNSUPPORTED, f"withdrawal from {account.product.kind}")
            if account.member.status != Member.Status.ACTIVE:
                return _fell_back(Fallback.MEMBER_INACTIVE)
            _check_can_pay_out(account, -amount, on)
            floor = account.product.minimum_balance
        cash, savings_gl = ledger.account_by_role(cooperative, "cash"), account.product.gl_account
        ledger.check_lines(
            cooperative,
            [ledger.Line(cash, debit=abs(amount)), ledger.Line(savings_gl, credit=abs(amount))],
            allow_control=True,
        )
    except ServiceError as refused:
        return _fell_back(Fallback.REFUSED, refused.code)
    kind = Kind.DEPOSIT if amount > 0 else Kind.WITHDRAWAL
    who = actor if getattr(actor, "pk", None) else None
    note = note[:255]
    call = {
        **_RULES,
        "p_cooperative": cooperative.pk,
        "p_account": account.pk,
        "p_amount": amount,
        "p_floor": floor,
        "p_kind": kind.value,
        "p_key": idempotency_key,
        "p_entry_key": entry_key(idempotency_key),
        "p_note": note,
        "p_channel": channel,
        "p_actor": who.pk if who else None,
        "p_today": today,
        "p_on": business_date,
        "p_source_ref": account.number,
        "p_memo": _cash_memo(account, amount)[:255],
        "p_cash": cash.pk,
        "p_savings_gl": savings_gl.pk,
        "p_action": audit_action(kind),
        "p_summary": _cash_summary(account, amount)[:300],
        "p_ip": client_ip.get(),
        "p_now": timezone.now(),
    }
    params = [call[name] for name, _type in _PARAMETERS]
    row = sqlrows.call_alone(
        _CASH_MOVEMENT,
        [*params, *ledger.key_free_params(cooperative, entry_key(idempotency_key))],
    )
    if row is None:
        # WHERE_KEY_FREE: a loan movement posted under this request's key.
        return _fell_back(Fallback.KEY_USED, "posted by loans")
    if isinstance(row, sqlrows.FellBack):
        return _fell_back(row.reason, row.detail)
    sqlrows.ran(PATH)
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


def _fell_back(reason: Fallback, detail: str = "") -> None:
    """Log and count why the ordinary way answers (see `sqlrows.fast_path_counts`)."""
    sqlrows.fell_back(logger, PATH, reason, detail)
    return None
