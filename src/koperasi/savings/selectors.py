"""Reads of savings, always scoped to one cooperative."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from koperasi.domain.money import ZERO
from koperasi.domain.periods import wajib_due_months
from koperasi.errors import NotFound
from koperasi.ledger.selectors import cents, grouped_sums
from koperasi.members.models import Member
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsProduct, SavingsTransaction
from koperasi.tenancy.models import Cooperative


def products(*, cooperative: Cooperative) -> QuerySet[SavingsProduct]:
    return SavingsProduct.objects.filter(cooperative=cooperative).select_related("gl_account")


def accounts(
    *, cooperative: Cooperative, member: Member | None = None, kind: str = ""
) -> QuerySet[SavingsAccount]:
    qs = SavingsAccount.objects.filter(cooperative=cooperative).select_related("product", "member")
    if member is not None:
        qs = qs.filter(member=member)
    if kind:
        qs = qs.filter(product__kind=kind)
    return qs.order_by("id")


def account(*, cooperative: Cooperative, account_id: int) -> SavingsAccount:
    found = accounts(cooperative=cooperative).filter(pk=account_id).first()
    if found is None:
        raise NotFound()
    return found


def statement(
    *,
    cooperative: Cooperative,
    account: SavingsAccount,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> tuple[Decimal, QuerySet[SavingsTransaction]]:
    """Opening balance and the movements in the range; each row carries its balance_after."""
    if account.cooperative_id != cooperative.pk:
        raise NotFound()
    movements = account.transactions.select_related("actor").order_by("business_date", "id")
    opening = ZERO
    if date_from:
        last_before = (
            account.transactions.filter(business_date__lt=date_from)
            .order_by("-business_date", "-id")
            .values_list("balance_after", flat=True)
            .first()
        )
        opening = last_before if last_before is not None else ZERO
        movements = movements.filter(business_date__gte=date_from)
    if date_to:
        movements = movements.filter(business_date__lte=date_to)
    return opening, movements


# A printed statement stops after this many movements and says so.
STATEMENT_DOCUMENT_ROWS = 2000


@dataclass(frozen=True)
class StatementLine:
    txn: SavingsTransaction
    money_in: Decimal | None
    money_out: Decimal | None


@dataclass(frozen=True)
class StatementDocument:
    account: SavingsAccount
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    closing: Decimal
    lines: list[StatementLine]
    total_in: Decimal
    total_out: Decimal
    truncated: bool


def statement_document(
    *, cooperative: Cooperative, account: SavingsAccount, date_from: dt.date, date_to: dt.date
) -> StatementDocument:
    """The statement of the period for printing: its lines (at most STATEMENT_DOCUMENT_ROWS),
    money in and out, and the totals."""
    opening, movements = statement(
        cooperative=cooperative, account=account, date_from=date_from, date_to=date_to
    )
    lines = []
    total_in = total_out = ZERO
    closing = opening
    for txn in movements[:STATEMENT_DOCUMENT_ROWS]:
        money_in = txn.amount if txn.amount > 0 else None
        money_out = -txn.amount if txn.amount < 0 else None
        total_in += money_in or ZERO
        total_out += money_out or ZERO
        closing = txn.balance_after
        lines.append(StatementLine(txn, money_in, money_out))
    truncated = movements[STATEMENT_DOCUMENT_ROWS : STATEMENT_DOCUMENT_ROWS + 1].exists()
    return StatementDocument(
        account, date_from, date_to, opening, closing, lines, total_in, total_out, truncated
    )


def transaction(*, cooperative: Cooperative, transaction_id: int) -> SavingsTransaction:
    found = (
        SavingsTransaction.objects.filter(cooperative=cooperative, pk=transaction_id)
        .select_related("account__product", "account__member", "journal_entry", "actor")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def totals_by_kind(*, cooperative: Cooperative) -> dict[str, Decimal]:
    sums = grouped_sums(
        SavingsAccount.objects.filter(cooperative=cooperative), "product__kind", ["balance"]
    )
    totals = {kind: ZERO for kind in SavingsKind.values}
    for kind, (total,) in sums.items():
        totals[kind] = total
    return totals


def monthly_net_flows(*, cooperative: Cooperative, since: dt.date) -> list[tuple[dt.date, Decimal]]:
    """Net savings movement per month, for the dashboard chart."""
    rows = (
        SavingsTransaction.objects.filter(cooperative=cooperative, business_date__gte=since)
        .annotate(month=TruncMonth("business_date"))
        .values("month")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("month")
    )
    return [(row["month"], cents(row["total"])) for row in rows]


@dataclass(frozen=True)
class WajibArrears:
    months_due: int
    amount_due: Decimal
    paid: Decimal
    arrears: Decimal


def wajib_arrears(*, cooperative: Cooperative, member: Member, as_of: dt.date) -> WajibArrears:
    """Wajib billed from the joining month through as_of, against what was paid in."""
    if member.joined_on is None or member.status != Member.Status.ACTIVE:
        return WajibArrears(0, ZERO, ZERO, ZERO)
    months = wajib_due_months(member.joined_on, as_of)
    due = cooperative.wajib_amount * months
    # Paid in = deposits and transfers in, less any reversals of them (refunds are not payments).
    wajib = SavingsTransaction.objects.filter(
        cooperative=cooperative, account__member=member, account__product__kind=SavingsKind.WAJIB
    ).exclude(kind=SavingsTransaction.Kind.REFUND)
    (paid,) = grouped_sums(wajib, None, ["amount"]).get(None, (ZERO,))
    return WajibArrears(months, due, paid, max(ZERO, due - paid))


def savings_violations(*, cooperative: Cooperative) -> list[str]:
    """Sub-ledger invariants: account = Σ movements; Σ accounts per GL account = its balance."""
    from koperasi.ledger.models import Account

    problems: list[str] = []
    sums = grouped_sums(
        SavingsTransaction.objects.filter(cooperative=cooperative), "account_id", ["amount"]
    )
    for acc_id, number, balance in SavingsAccount.objects.filter(
        cooperative=cooperative
    ).values_list("id", "number", "balance"):
        (expected,) = sums.get(acc_id, (ZERO,))
        if balance != expected:
            problems.append(
                f"savings account {number} balance {balance} != sum of movements {expected}"
            )
        if balance < 0:
            problems.append(f"savings account {number} is overdrawn: {balance}")
    per_gl = grouped_sums(
        SavingsAccount.objects.filter(cooperative=cooperative),
        "product__gl_account_id",
        ["balance"],
    )
    gl_ids = set(
        SavingsProduct.objects.filter(cooperative=cooperative).values_list(
            "gl_account_id", flat=True
        )
    )
    for gl in Account.objects.filter(pk__in=gl_ids):
        (sub_total,) = per_gl.get(gl.pk, (ZERO,))
        # Savings are credit balances: the control account's balance is −Σ accounts.
        if -gl.balance != sub_total:
            problems.append(
                f"control account {gl.code} {gl.name} is {-gl.balance} but its savings "
                f"accounts sum to {sub_total}"
            )
    return problems


def member_savings_total(*, cooperative: Cooperative, member: Member) -> Decimal:
    """Everything the member holds in open savings accounts (a loan plafond is k × this)."""
    total = SavingsAccount.objects.filter(
        cooperative=cooperative, member=member, status=SavingsAccount.Status.OPEN
    ).aggregate(total=Sum("balance"))["total"]
    return cents(total or ZERO)


def sukarela_account_of(*, cooperative: Cooperative, member: Member) -> SavingsAccount | None:
    return (
        SavingsAccount.objects.filter(
            cooperative=cooperative,
            member=member,
            product__kind=SavingsKind.SUKARELA,
            status=SavingsAccount.Status.OPEN,
        )
        .order_by("pk")
        .first()
    )


def sukarela_accounts_by_member(*, cooperative: Cooperative) -> dict[int, int]:
    """member id → the member's first open sukarela account (the one loans use), for every
    active member who has one: plain rows, one query."""
    rows = (
        SavingsAccount.objects.filter(
            cooperative=cooperative,
            product__kind=SavingsKind.SUKARELA,
            status=SavingsAccount.Status.OPEN,
            member__status=Member.Status.ACTIVE,
        )
        .order_by("-pk")
        .values_list("member_id", "pk")
    )
    # Newest first, so the oldest account of a member is the one kept.
    return dict(rows.iterator(chunk_size=20_000))
