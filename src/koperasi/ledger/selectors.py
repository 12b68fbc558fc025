"""Reads of the books, always scoped to one cooperative."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from koperasi.domain.money import ZERO, round_sen
from koperasi.errors import NotFound
from koperasi.ledger import period_sums
from koperasi.ledger.models import (
    YEAR_CLOSE_SOURCE,
    Account,
    BalanceSlot,
    ClosedPeriod,
    JournalEntry,
    MonthTotal,
    Posting,
    YearClose,
)
from koperasi.tenancy.models import Cooperative


def cents(value: Decimal) -> Decimal:
    """A sum of stored amounts with 2 decimal places (it is exact to the sen already)."""
    return round_sen(Decimal(value))


def grouped_sums(
    qs: QuerySet[Any], key: str | None, fields: Sequence[str]
) -> dict[Any, tuple[Decimal, ...]]:
    """Σ of decimal fields per key (or overall when key is None), exact on every database.

    SQLite stores decimals as doubles and SUM()s them in floating point, which drifts at large
    totals; there the exact stored values are added in Python. PostgreSQL sums numerics exactly.
    """
    if connections[qs.db].vendor == "sqlite":
        totals: dict[Any, list[Decimal]] = {}
        columns = [key, *fields] if key else list(fields)
        for row in qs.order_by().values_list(*columns).iterator():
            group, values = (row[0], row[1:]) if key else (None, row)
            acc = totals.setdefault(group, [ZERO] * len(fields))
            for i, value in enumerate(values):
                acc[i] += value or ZERO
        return {group: tuple(map(cents, acc)) for group, acc in totals.items()}
    sums = {f"s{i}": Coalesce(Sum(field), ZERO) for i, field in enumerate(fields)}
    if key is None:
        row = qs.order_by().aggregate(**sums)
        return {None: tuple(row[f"s{i}"] for i in range(len(fields)))}
    rows = qs.order_by().values(key).annotate(**sums).values_list(key, *sums)
    return {row[0]: tuple(row[1:]) for row in rows}


def held_balances(*, cooperative: Cooperative) -> dict[int, Decimal]:
    """Every account's maintained balance (the sum of its slots) in one query: id → balance.
    Accounts without postings are missing (their balance is 0)."""
    sums = grouped_sums(
        BalanceSlot.objects.filter(cooperative=cooperative), "account_id", ["amount"]
    )
    return {account_id: total for account_id, (total,) in sums.items()}


def current_balance(account: Account, *, lock: bool = False) -> Decimal:
    """One account's balance read afresh. `lock` takes the account row first (inside a
    transaction): two writers that both decide from this balance (a write-off using the
    allowance, the day-end resizing it) then take turns."""
    if lock:
        Account.objects.select_for_update().filter(pk=account.pk).values_list("pk").get()
    account.__dict__.pop("_balance", None)
    return account.balance


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal


def accounts(*, cooperative: Cooperative) -> QuerySet[Account]:
    return Account.objects.filter(cooperative=cooperative).order_by("code")


def account(*, cooperative: Cooperative, code: str) -> Account:
    found = Account.objects.filter(cooperative=cooperative, code=code).first()
    if found is None:
        raise NotFound()
    return found


def balances_as_of(
    *, cooperative: Cooperative, day: dt.date, today: dt.date | None = None
) -> dict[int, Decimal]:
    """Σ debit − Σ credit per account of the postings dated up to `day` (zeros left out), from
    the closed months' totals or the maintained balances (`ledger.period_sums`; `today`, the
    business date, only helps it choose)."""
    return period_sums.balances_as_of(cooperative, day, today=today or timezone.localdate())


def period_totals(
    *, cooperative: Cooperative, first: dt.date, last: dt.date
) -> dict[int, tuple[Decimal, Decimal]]:
    """(Σ debit, Σ credit) per account of the postings dated first..last (zeros left out)."""
    return period_sums.period_totals(cooperative, first, last)


def period_net(
    *, cooperative: Cooperative, first: dt.date, last: dt.date, today: dt.date | None = None
) -> dict[int, Decimal]:
    """Σ debit − Σ credit per account of the postings dated first..last (zeros left out)."""
    return period_sums.period_net(cooperative, first, last, today=today or timezone.localdate())


def closing_net(*, cooperative: Cooperative, first: dt.date, last: dt.date) -> dict[int, Decimal]:
    """Σ debit − Σ credit per account of the year-end closing entries dated first..last: what
    a statement of a period takes back out to show the year's income and expenses."""
    postings = Posting.objects.filter(
        entry__in=JournalEntry.objects.filter(
            cooperative=cooperative,
            business_date__range=(first, last),
            source=YEAR_CLOSE_SOURCE,
        ).values("pk")
    )
    sums = grouped_sums(postings, "account_id", ["debit", "credit"])
    return {pk: d - c for pk, (d, c) in sums.items() if d != c}


def year_closes(*, cooperative: Cooperative) -> QuerySet[YearClose]:
    return YearClose.objects.filter(cooperative=cooperative).order_by("-year")


def first_entry_date(*, cooperative: Cooperative) -> dt.date | None:
    return (
        JournalEntry.objects.filter(cooperative=cooperative)
        .order_by("business_date")
        .values_list("business_date", flat=True)
        .first()
    )


def trial_balance(
    *, cooperative: Cooperative, as_of: dt.date | None = None
) -> tuple[list[TrialBalanceRow], Decimal, Decimal]:
    """Balances per postable account; from maintained balances, or summed to a past date."""
    postable = Account.objects.filter(cooperative=cooperative, is_header=False).order_by("code")
    balances: dict[int, Decimal]
    if as_of is None:
        balances = held_balances(cooperative=cooperative)
    else:
        balances = balances_as_of(cooperative=cooperative, day=as_of)
    rows = []
    total_debit = total_credit = ZERO
    for acc in postable:
        bal = balances.get(acc.pk, ZERO)
        if not bal:
            continue
        debit, credit = (bal, ZERO) if bal > 0 else (ZERO, -bal)
        rows.append(TrialBalanceRow(acc, debit, credit))
        total_debit += debit
        total_credit += credit
    return rows, total_debit, total_credit


@dataclass(frozen=True)
class LedgerLine:
    posting: Posting
    running_balance: Decimal


def account_ledger(
    *,
    cooperative: Cooperative,
    account: Account,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 500,
) -> tuple[Decimal, list[LedgerLine]]:
    """Opening balance at date_from and the postings after it, with a running normal balance."""
    if account.cooperative_id != cooperative.pk:
        raise NotFound()
    sign = Decimal(1) if account.debit_normal else Decimal(-1)
    opening = ZERO
    postings = Posting.objects.filter(account=account).select_related("entry")
    if date_from:
        before = Posting.objects.filter(account=account, business_date__lt=date_from)
        debit, credit = grouped_sums(before, None, ["debit", "credit"]).get(None, (ZERO, ZERO))
        opening = (debit - credit) * sign
        postings = postings.filter(business_date__gte=date_from)
    if date_to:
        postings = postings.filter(business_date__lte=date_to)
    running = opening
    lines = []
    for p in postings.order_by("business_date", "id")[:limit]:
        running += (p.debit - p.credit) * sign
        lines.append(LedgerLine(p, running))
    return opening, lines


def journal(
    *,
    cooperative: Cooperative,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    source: str = "",
) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.filter(cooperative=cooperative)
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if source:
        qs = qs.filter(source=source)
    return qs.select_related("actor").order_by("-business_date", "-id")


def entry(*, cooperative: Cooperative, entry_id: int) -> JournalEntry:
    found = (
        JournalEntry.objects.filter(cooperative=cooperative, pk=entry_id)
        .select_related("actor", "reversal_of")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def ledger_violations(*, cooperative: Cooperative) -> list[str]:
    """Every broken ledger invariant, as a sentence naming what is wrong."""
    problems: list[str] = []
    postings = Posting.objects.filter(cooperative=cooperative)
    if connections[postings.db].vendor == "sqlite":
        per_entry = grouped_sums(postings, "entry_id", ["debit", "credit"])
        unbalanced = [(pk, d, c) for pk, (d, c) in per_entry.items() if d != c]
    else:
        unbalanced = list(
            postings.values("entry_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .filter(~Q(d=F("c")))
            .values_list("entry_id", "d", "c")
        )
    for pk, d, c in unbalanced:
        problems.append(f"entry JU-{pk:07d} is not balanced: debit {d} credit {c}")
    short = (
        JournalEntry.objects.filter(cooperative=cooperative)
        .annotate(n=Count("postings"))
        .filter(n__lt=2)
        .values_list("pk", flat=True)
    )
    for pk in short:
        problems.append(f"entry JU-{pk:07d} has fewer than two postings")
    sums = grouped_sums(postings, "account_id", ["debit", "credit"])
    held = held_balances(cooperative=cooperative)
    for acc in Account.objects.filter(cooperative=cooperative):
        debit, credit = sums.get(acc.pk, (ZERO, ZERO))
        balance = held.get(acc.pk, ZERO)
        if balance != debit - credit:
            problems.append(
                f"account {acc.code} balance {balance} != sum of postings {debit - credit}"
            )
    problems += _month_total_violations(cooperative, postings)
    foreign = Posting.objects.filter(cooperative=cooperative).exclude(
        account__cooperative=cooperative
    )
    if foreign.exists():
        problems.append(f"{foreign.count()} postings use another cooperative's account")
    mismatched = Posting.objects.filter(cooperative=cooperative).exclude(
        entry__cooperative=cooperative
    )
    if mismatched.exists():
        problems.append(f"{mismatched.count()} postings belong to another cooperative's entry")
    return problems


def _month_total_violations(cooperative: Cooperative, postings: QuerySet[Posting]) -> list[str]:
    """The totals kept for the closed months must add up to the postings through them."""
    closed_through = (
        Cooperative.objects.filter(pk=cooperative.pk)
        .values_list("books_closed_through", flat=True)
        .first()
    )
    if closed_through is None:
        return []
    kept = grouped_sums(
        MonthTotal.objects.filter(cooperative=cooperative), "account_id", ["debit", "credit"]
    )
    posted = grouped_sums(
        postings.filter(business_date__lte=closed_through), "account_id", ["debit", "credit"]
    )
    codes = dict(Account.objects.filter(cooperative=cooperative).values_list("pk", "code"))
    zero = (ZERO, ZERO)
    return [
        f"account {codes.get(pk, pk)}: totals kept for the closed months {kept.get(pk, zero)} "
        f"!= postings through {closed_through} {posted.get(pk, zero)}"
        for pk in sorted(set(kept) | set(posted))
        if kept.get(pk, zero) != posted.get(pk, zero)
    ]


def closed_periods(*, cooperative: Cooperative) -> QuerySet[ClosedPeriod]:
    """The cooperative's closed months, latest first."""
    return (
        ClosedPeriod.objects.filter(cooperative=cooperative)
        .select_related("closed_by")
        .order_by("-year", "-month")
    )


def own_capital(*, cooperative: Cooperative) -> Decimal:
    """Equity on its credit side (modal sendiri): the base of the related-party loan cap."""
    held = held_balances(cooperative=cooperative)
    equity = Account.objects.filter(
        cooperative=cooperative, type=Account.Type.EQUITY, is_header=False
    ).values_list("pk", flat=True)
    return cents(-sum((held.get(pk, ZERO) for pk in equity), ZERO))
