"""Savings over the API: accounts, statements, deposits, withdrawals and transfers.

Every money-moving call needs an Idempotency-Key header; a retry gets the first answer back.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from koperasi.common.api import (
    ERRORS,
    AmountIn,
    Caller,
    DateFrom,
    DateTo,
    Id,
    IdempotencyKey,
    Limit,
    MemberFilter,
    Money,
    Offset,
    PathId,
    Text,
    authorize,
    idempotent,
    page,
)
from koperasi.errors import NotFound, ServiceError
from koperasi.savings import selectors, services
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from koperasi.tenancy.permissions import TRANSACT_SAVINGS, VIEW_SAVINGS

router = Router(tags=["savings"])

SavingsKindName = Literal["pokok", "wajib", "sukarela", "berjangka"]


class SavingsAccountOut(Schema):
    id: int
    number: str
    member: int
    member_number: str
    member_name: str
    kind: str
    product: str
    product_name: str
    balance: Money
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    maturity_date: dt.date | None

    @staticmethod
    def resolve_member(obj: SavingsAccount) -> int:
        return obj.member_id

    @staticmethod
    def resolve_member_number(obj: SavingsAccount) -> str:
        return obj.member.number

    @staticmethod
    def resolve_member_name(obj: SavingsAccount) -> str:
        return obj.member.name

    @staticmethod
    def resolve_kind(obj: SavingsAccount) -> str:
        return obj.product.kind

    @staticmethod
    def resolve_product(obj: SavingsAccount) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: SavingsAccount) -> str:
        return obj.product.name


class SavingsAccountPage(Schema):
    items: list[SavingsAccountOut]
    count: int
    count_capped: bool = False


class SavingsTransactionOut(Schema):
    id: int
    account: int
    account_number: str
    kind: str
    amount: Money  # signed: negative takes money out of the account
    balance_after: Money
    business_date: dt.date
    receipt_number: str
    journal_entry: int
    note: str

    @staticmethod
    def resolve_account(obj: SavingsTransaction) -> int:
        return obj.account_id

    @staticmethod
    def resolve_account_number(obj: SavingsTransaction) -> str:
        return obj.account.number

    @staticmethod
    def resolve_journal_entry(obj: SavingsTransaction) -> int:
        return obj.journal_entry_id


class SavingsTransferOut(Schema):
    from_transaction: SavingsTransactionOut
    to_transaction: SavingsTransactionOut


class SavingsStatementRowOut(Schema):
    id: int
    business_date: dt.date
    kind: str
    amount: Money
    balance_after: Money
    note: str
    receipt_number: str
    journal_entry: int


class SavingsStatementOut(Schema):
    account: SavingsAccountOut
    date_from: dt.date | None
    date_to: dt.date | None
    opening_balance: Money
    closing_balance: Money
    rows: list[SavingsStatementRowOut]


class SavingsMovementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    note: Text = Field("", max_length=255)


class SavingsTransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    from_account: Id
    to_account: Id
    amount: AmountIn
    note: Text = Field("", max_length=255)


def _txn_json(txn: SavingsTransaction) -> dict[str, Any]:
    return SavingsTransactionOut.from_orm(txn).model_dump(mode="json")


def _account(caller: Caller, account_id: int) -> SavingsAccount:
    account = selectors.account(cooperative=caller.cooperative, account_id=account_id)
    if caller.member is not None and account.member_id != caller.member.pk:
        raise NotFound()
    return account


@router.get("/accounts", response={200: SavingsAccountPage, **ERRORS})
def list_accounts(
    request: HttpRequest,
    member: MemberFilter = None,
    kind: SavingsKindName | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    caller = authorize(request, VIEW_SAVINGS, member_ok=True)
    accounts = selectors.accounts(cooperative=caller.cooperative, kind=kind or "")
    if caller.member is not None:
        accounts = accounts.filter(member_id=caller.member.pk)
    if member is not None:
        accounts = accounts.filter(member_id=member)
    return page(accounts, limit, offset)


@router.get("/accounts/{account_id}", response={200: SavingsAccountOut, **ERRORS})
def get_account(request: HttpRequest, account_id: PathId) -> SavingsAccount:
    return _account(authorize(request, VIEW_SAVINGS, member_ok=True), account_id)


@router.get("/accounts/{account_id}/statement", response={200: SavingsStatementOut, **ERRORS})
def statement(
    request: HttpRequest,
    account_id: PathId,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> dict[str, Any]:
    """Opening balance, then each movement in the range with the balance after it."""
    caller = authorize(request, VIEW_SAVINGS, member_ok=True)
    account = _account(caller, account_id)
    if date_from and date_to and date_from > date_to:
        raise ServiceError("invalid_range", _("The start date is after the end date."), "from")
    opening, movements = selectors.statement(
        cooperative=caller.cooperative, account=account, date_from=date_from, date_to=date_to
    )
    running = opening
    rows = []
    for txn in movements:
        running += txn.amount
        rows.append(
            {
                "id": txn.pk,
                "business_date": txn.business_date,
                "kind": txn.kind,
                "amount": txn.amount,
                "balance_after": running,
                "note": txn.note,
                "receipt_number": txn.receipt_number,
                "journal_entry": txn.journal_entry_id,
            }
        )
    return {
        "account": account,
        "date_from": date_from,
        "date_to": date_to,
        "opening_balance": opening,
        "closing_balance": running,
        "rows": rows,
    }


def _cash_movement(
    request: HttpRequest,
    account_id: int,
    payload: SavingsMovementIn,
    idempotency_key: str | None,
    service: Callable[..., SavingsTransaction],
) -> HttpResponse:
    caller = authorize(request, TRANSACT_SAVINGS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        txn = service(
            cooperative=caller.cooperative,
            actor=caller.user,
            account_id=account_id,
            amount=payload.amount,
            note=payload.note,
            idempotency_key=key,
            channel="api",
        )
        return 201, _txn_json(txn)

    # The savings service is idempotent by the key and refuses it for another movement.
    return idempotent(request, caller, idempotency_key, run, keyed_service=True)


@router.post("/accounts/{account_id}/deposits", response={201: SavingsTransactionOut, **ERRORS})
def deposit(
    request: HttpRequest,
    account_id: PathId,
    payload: SavingsMovementIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Cash paid in. The amount is a string like "50000.00" (or an integer)."""
    return _cash_movement(request, account_id, payload, idempotency_key, services.deposit)


@router.post("/accounts/{account_id}/withdrawals", response={201: SavingsTransactionOut, **ERRORS})
def withdraw(
    request: HttpRequest,
    account_id: PathId,
    payload: SavingsMovementIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Cash paid out; pokok and wajib stay locked while the person is a member."""
    return _cash_movement(request, account_id, payload, idempotency_key, services.withdraw)


@router.post("/transfers", response={201: SavingsTransferOut, **ERRORS})
def transfer(
    request: HttpRequest,
    payload: SavingsTransferIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Move money between two accounts of the same member."""
    caller = authorize(request, TRANSACT_SAVINGS)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        out, into = services.transfer(
            cooperative=caller.cooperative,
            actor=caller.user,
            from_account_id=payload.from_account,
            to_account_id=payload.to_account,
            amount=payload.amount,
            note=payload.note,
            idempotency_key=key,
            channel="api",
        )
        return 201, {"from_transaction": _txn_json(out), "to_transaction": _txn_json(into)}

    return idempotent(request, caller, idempotency_key, run)
