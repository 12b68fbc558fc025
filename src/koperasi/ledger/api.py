"""The books over the API (read-only): trial balance, chart of accounts and the journal."""

import datetime as dt
from typing import Annotated, Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from koperasi.common.api import (
    ERRORS,
    DateFrom,
    DateTo,
    IsoDate,
    Limit,
    Money,
    Offset,
    Text,
    authorize,
)
from koperasi.errors import ServiceError
from koperasi.ledger import selectors
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.tenancy.permissions import VIEW_LEDGER

router = Router(tags=["ledger"])


class TrialBalanceRowOut(Schema):
    code: str
    name: str
    type: str
    debit: Money
    credit: Money


class TrialBalanceOut(Schema):
    as_of: dt.date | None
    rows: list[TrialBalanceRowOut]
    total_debit: Money
    total_credit: Money
    balanced: bool


class LedgerAccountOut(Schema):
    id: int
    code: str
    name: str
    type: str
    parent: str | None
    is_header: bool
    is_control: bool
    is_active: bool
    balance: Money = Field(description="Σ debit − Σ credit")
    normal_balance: Money = Field(description="The balance on the account's normal side")

    @staticmethod
    def resolve_parent(obj: Account) -> str | None:
        return obj.parent.code if obj.parent else None


class PostingOut(Schema):
    account_code: str
    account_name: str
    debit: Money
    credit: Money

    @staticmethod
    def resolve_account_code(obj: Posting) -> str:
        return obj.account.code

    @staticmethod
    def resolve_account_name(obj: Posting) -> str:
        return obj.account.name


class EntryOut(Schema):
    id: int
    number: str
    business_date: dt.date
    source: str
    source_ref: str
    memo: str
    actor: str | None
    reversal_of: int | None
    created_at: dt.datetime
    postings: list[PostingOut]

    @staticmethod
    def resolve_actor(obj: JournalEntry) -> str | None:
        return obj.actor.username if obj.actor else None

    @staticmethod
    def resolve_reversal_of(obj: JournalEntry) -> int | None:
        return obj.reversal_of_id

    @staticmethod
    def resolve_postings(obj: JournalEntry) -> list[Posting]:
        return list(obj.postings.all())


class EntryPage(Schema):
    items: list[EntryOut]
    count: int
    count_capped: bool = False


def _check_range(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise ServiceError("invalid_range", _("The start date is after the end date."), "from")


@router.get("/trial-balance", response={200: TrialBalanceOut, **ERRORS})
def trial_balance(
    request: HttpRequest,
    as_of: Annotated[IsoDate | None, Query(None, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    """Balances of every postable account; summed to `as_of` when given, else current."""
    caller = authorize(request, VIEW_LEDGER)
    rows, total_debit, total_credit = selectors.trial_balance(
        cooperative=caller.cooperative, as_of=as_of
    )
    return {
        "as_of": as_of,
        "rows": [
            {
                "code": row.account.code,
                "name": row.account.name,
                "type": row.account.type,
                "debit": row.debit,
                "credit": row.credit,
            }
            for row in rows
        ],
        "total_debit": total_debit,
        "total_credit": total_credit,
        "balanced": total_debit == total_credit,
    }


@router.get("/accounts", response={200: list[LedgerAccountOut], **ERRORS})
def chart(request: HttpRequest) -> list[Account]:
    """The chart of accounts with each account's current balance."""
    caller = authorize(request, VIEW_LEDGER)
    return list(selectors.accounts(cooperative=caller.cooperative).select_related("parent"))


@router.get("/entries", response={200: EntryPage, **ERRORS})
def entries(
    request: HttpRequest,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    source: Annotated[Text, Query("", max_length=40, description="e.g. savings, manual")] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Journal entries, newest first, each with its postings."""
    caller = authorize(request, VIEW_LEDGER)
    _check_range(date_from, date_to)
    journal = selectors.journal(
        cooperative=caller.cooperative, date_from=date_from, date_to=date_to, source=source
    )
    postings = Prefetch("postings", Posting.objects.select_related("account").order_by("id"))
    return {
        "items": list(journal.prefetch_related(postings)[offset : offset + limit]),
        "count": journal.count(),
    }
