"""Reads of the books, always scoped to one cooperative."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from koperasi.domain.money import ZERO
from koperasi.errors import NotFound
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.tenancy.models import Cooperative

HALF_CENT = Decimal("0.005")


def cents(value: Decimal) -> Decimal:
    """A database sum as exact rupiah and sen (SQLite returns sums via floating point)."""
    return Decimal(value).quantize(Decimal("0.01"))


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


def trial_balance(
    *, cooperative: Cooperative, as_of: dt.date | None = None
) -> tuple[list[TrialBalanceRow], Decimal, Decimal]:
    """Balances per postable account; from maintained balances, or summed to a past date."""
    postable = Account.objects.filter(cooperative=cooperative, is_header=False).order_by("code")
    balances: dict[int, Decimal]
    if as_of is None:
        balances = {a.pk: a.balance for a in postable}
    else:
        sums = (
            Posting.objects.filter(cooperative=cooperative, business_date__lte=as_of)
            .values("account_id")
            .annotate(d=Coalesce(Sum("debit"), ZERO), c=Coalesce(Sum("credit"), ZERO))
        )
        balances = {row["account_id"]: cents(row["d"] - row["c"]) for row in sums}
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
        before = Posting.objects.filter(account=account, business_date__lt=date_from).aggregate(
            d=Coalesce(Sum("debit"), ZERO), c=Coalesce(Sum("credit"), ZERO)
        )
        opening = cents(before["d"] - before["c"]) * sign
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
    # SQLite sums decimals as doubles, so compare to the half-sen; PostgreSQL sums exactly.
    unbalanced = (
        Posting.objects.filter(cooperative=cooperative)
        .values("entry_id")
        .annotate(d=Coalesce(Sum("debit"), ZERO), c=Coalesce(Sum("credit"), ZERO), n=Count("id"))
        .filter(Q(n__lt=2) | Q(d__gt=F("c") + HALF_CENT) | Q(c__gt=F("d") + HALF_CENT))
        .values_list("entry_id", "d", "c")
    )
    for pk, d, c in unbalanced:
        problems.append(f"entry JU-{pk:07d} is not balanced: debit {d} credit {c}")
    empty = JournalEntry.objects.filter(cooperative=cooperative, postings__isnull=True)
    for pk in empty.values_list("pk", flat=True):
        problems.append(f"entry JU-{pk:07d} has no postings")
    sums = {
        row["account_id"]: row["d"] - row["c"]
        for row in Posting.objects.filter(cooperative=cooperative)
        .values("account_id")
        .annotate(d=Coalesce(Sum("debit"), ZERO), c=Coalesce(Sum("credit"), ZERO))
    }
    for acc in Account.objects.filter(cooperative=cooperative):
        expected = cents(sums.get(acc.pk, ZERO))
        if acc.balance != expected:
            problems.append(
                f"account {acc.code} balance {acc.balance} != sum of postings {expected}"
            )
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

