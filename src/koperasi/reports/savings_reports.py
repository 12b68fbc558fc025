"""Savings reports: balances by product and by member, movements by month, wajib arrears, and
the interest credited and tax withheld each month. Reads only, scoped to one cooperative.

They stay fast at a million accounts: every figure is an aggregate in SQL (GROUP BY), lists are
paged (one row more than a page, no COUNT over the list), and no query runs per row. Sums are
exact on both databases: PostgreSQL sums numerics exactly; on SQLite (which sums decimals as
doubles) the sums go through `ledger.selectors.grouped_sums`, or are taken in whole sen
(`bulk.to_sen`, integer arithmetic) where the SQL is our own.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, connections
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from koperasi.bulk import to_sen
from koperasi.common.paging import Page, page_number, peek_page
from koperasi.domain.money import ZERO
from koperasi.domain.periods import iter_months, month_bounds
from koperasi.ledger.selectors import cents, grouped_sums
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsProduct, SavingsTransaction
from koperasi.tenancy.models import Cooperative

KINDS = tuple(SavingsKind.values)


def grouped_counts_and_sums(
    qs: QuerySet[Any], keys: Sequence[str], fields: Sequence[str]
) -> dict[tuple[Any, ...], tuple[int, tuple[Decimal, ...]]]:
    """(row count, Σ of each field) per combination of `keys`, exact on every database: like
    `ledger.selectors.grouped_sums` (whose key is one column), for several key columns."""
    if connections[qs.db].vendor == "sqlite":
        totals: dict[tuple[Any, ...], list[Any]] = {}
        for row in qs.order_by().values_list(*keys, *fields).iterator():
            acc = totals.setdefault(row[: len(keys)], [0, *([ZERO] * len(fields))])
            acc[0] += 1
            for i, value in enumerate(row[len(keys) :], start=1):
                acc[i] += value or ZERO
        return {k: (acc[0], tuple(cents(v) for v in acc[1:])) for k, acc in totals.items()}
    sums = {f"s{i}": Coalesce(Sum(name), ZERO) for i, name in enumerate(fields)}
    rows = qs.order_by().values(*keys).annotate(n=Count("pk"), **sums)
    return {
        tuple(row[k] for k in keys): (row["n"], tuple(row[f"s{i}"] for i in range(len(fields))))
        for row in rows
    }


# --- Balances by product ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProductBalance:
    code: str
    name: str
    kind: str
    accounts: int
    open_accounts: int
    total: Decimal

    @property
    def kind_label(self) -> str:
        return str(SavingsKind(self.kind).label)


def balances_by_product(*, cooperative: Cooperative) -> tuple[list[ProductBalance], Decimal]:
    """Every product with its number of accounts (open ones apart) and their total balance."""
    accounts = SavingsAccount.objects.filter(cooperative=cooperative)
    counts = {
        row["product_id"]: row
        for row in accounts.order_by()
        .values("product_id")
        .annotate(n=Count("id"), open=Count("id", filter=Q(status=SavingsAccount.Status.OPEN)))
    }
    totals = grouped_sums(accounts, "product_id", ["balance"])
    rows = []
    for product in SavingsProduct.objects.filter(cooperative=cooperative).order_by("code"):
        row = counts.get(product.pk, {"n": 0, "open": 0})
        rows.append(
            ProductBalance(
                product.code,
                product.name,
                product.kind,
                row["n"],
                row["open"],
                totals.get(product.pk, (ZERO,))[0],
            )
        )
    return rows, sum((r.total for r in rows), ZERO)


# --- Balances by member ----------------------------------------------------------------------


@dataclass
class MemberBalances:
    member: Member
    by_kind: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.by_kind.values(), ZERO)

    @property
    def kinds(self) -> list[Decimal]:
        return [self.by_kind[kind] for kind in KINDS]


def _with_balances(cooperative: Cooperative, members: list[Member]) -> list[MemberBalances]:
    """The members with their balance per savings kind: one query for the whole page."""
    rows = {m.pk: MemberBalances(m) for m in members}
    accounts = SavingsAccount.objects.filter(cooperative=cooperative, member_id__in=list(rows))
    for member_id, kind, balance in accounts.values_list("member_id", "product__kind", "balance"):
        rows[member_id].by_kind[kind] += balance
    return list(rows.values())


def balances_by_member(
    *, cooperative: Cooperative, query: str = "", raw_page: str | None = None, size: int = 50
) -> Page:
    """A page of members (found by name, number, NIK or phone) with their balance per kind."""
    members = member_selectors.search_members(cooperative=cooperative, query=query)
    page = peek_page(members.only("id", "number", "name", "status"), raw_page, size)
    return Page(_with_balances(cooperative, page.rows), page.number, page.has_next)


def all_member_balances(
    *, cooperative: Cooperative, query: str = "", limit: int, chunk: int = 1000
) -> Iterator[MemberBalances]:
    """The same rows for a download, a chunk at a time (at most `limit` members)."""
    members = member_selectors.search_members(cooperative=cooperative, query=query).only(
        "id", "number", "name", "status"
    )
    for start in range(0, limit, chunk):
        batch = list(members[start : min(start + chunk, limit)])
        yield from _with_balances(cooperative, batch)
        if len(batch) < chunk:
            return


def totals_by_kind(*, cooperative: Cooperative) -> dict[str, Decimal]:
    return savings_selectors.totals_by_kind(cooperative=cooperative)


# --- Movements by month ----------------------------------------------------------------------


@dataclass(frozen=True)
class MovementRow:
    month: dt.date
    product: str
    kind: str
    count: int
    total: Decimal

    @property
    def kind_label(self) -> str:
        return str(SavingsTransaction.Kind(self.kind).label)


def movements_by_month(
    *, cooperative: Cooperative, date_from: dt.date, date_to: dt.date
) -> list[MovementRow]:
    """Per month, product and kind of movement: how many movements and their signed total."""
    movements = SavingsTransaction.objects.filter(
        cooperative=cooperative, business_date__gte=date_from, business_date__lte=date_to
    ).annotate(month=TruncMonth("business_date"))
    grouped = grouped_counts_and_sums(
        movements, ["month", "account__product_id", "kind"], ["amount"]
    )
    names = dict(SavingsProduct.objects.filter(cooperative=cooperative).values_list("id", "name"))
    rows = [
        MovementRow(_as_date(month), names.get(product_id, "?"), kind, n, total)
        for (month, product_id, kind), (n, (total,)) in grouped.items()
    ]
    return sorted(rows, key=lambda r: (r.month, r.product, r.kind))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    assert isinstance(value, dt.date)
    return value


# --- Wajib arrears ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsRow:
    member_id: int
    number: str
    name: str
    phone: str
    months: int
    oldest: dt.date
    amount: Decimal


@dataclass(frozen=True)
class ArrearsSummary:
    members: int
    months: int
    amount: Decimal


def _arrears_sql() -> str:
    """Each active member's wajib bills (period ≤ as of) against what they paid into wajib
    (movements other than the refund on exit, dated ≤ as of), paid oldest bill first: the bills
    whose running total exceeds what was paid are unpaid (a part-paid bill counts as unpaid),
    and the amount owed is Σ bills − paid. In whole sen: exact on SQLite too."""
    bill_sen, paid_sen = to_sen("b.amount"), to_sen("t.amount")
    return (
        "WITH bills AS ("
        f" SELECT b.member_id, b.period, SUM({bill_sen}) OVER"
        " (PARTITION BY b.member_id ORDER BY b.period) AS cum"
        " FROM savings_wajibbill b JOIN members_member m ON m.id = b.member_id"
        " WHERE b.cooperative_id = %(coop)s AND b.period <= %(as_of)s AND m.status = %(active)s"
        "), paid AS ("
        f" SELECT a.member_id, SUM({paid_sen}) AS sen FROM savings_savingstransaction t"
        " JOIN savings_savingsaccount a ON a.id = t.account_id"
        " JOIN savings_savingsproduct p ON p.id = a.product_id"
        " WHERE t.cooperative_id = %(coop)s AND a.cooperative_id = %(coop)s"
        " AND p.kind = %(wajib)s AND t.kind <> %(refund)s AND t.business_date <= %(as_of)s"
        " GROUP BY a.member_id"
        "), arrears AS ("
        " SELECT bills.member_id, COUNT(*) AS months, MIN(bills.period) AS oldest,"
        " MAX(bills.cum) - COALESCE(MAX(paid.sen), 0) AS owed"
        " FROM bills LEFT JOIN paid ON paid.member_id = bills.member_id"
        " WHERE bills.cum > COALESCE(paid.sen, 0) GROUP BY bills.member_id)"
    )


def _arrears_params(cooperative: Cooperative, as_of: dt.date) -> dict[str, Any]:
    return {
        "coop": cooperative.pk,
        "as_of": as_of,
        "active": Member.Status.ACTIVE,
        "wajib": SavingsKind.WAJIB,
        "refund": SavingsTransaction.Kind.REFUND,
    }


def _sen(value: Any) -> Decimal:
    """Whole sen from SQL as money (exact: a shift of the decimal point)."""
    return Decimal(int(value)).scaleb(-2) if value else ZERO


def wajib_arrears(
    *, cooperative: Cooperative, as_of: dt.date, raw_page: str | None = None, size: int = 50
) -> Page:
    """A page of members with unpaid wajib bills, the oldest unpaid bill first."""
    number = page_number(raw_page)
    rows = wajib_arrears_rows(
        cooperative=cooperative, as_of=as_of, offset=(number - 1) * size, limit=size + 1
    )
    return Page(rows[:size], number, len(rows) > size)


def wajib_arrears_rows(
    *, cooperative: Cooperative, as_of: dt.date, offset: int = 0, limit: int
) -> list[ArrearsRow]:
    sql = (
        _arrears_sql() + " SELECT m.id, m.number, m.name, m.phone, a.months, a.oldest, a.owed"
        " FROM arrears a JOIN members_member m ON m.id = a.member_id"
        " ORDER BY a.oldest, m.id LIMIT %(limit)s OFFSET %(offset)s"
    )
    params = {**_arrears_params(cooperative, as_of), "limit": limit, "offset": offset}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        ArrearsRow(pk, number, name, phone or "", int(months), _as_date(oldest), _sen(owed))
        for pk, number, name, phone, months, oldest, owed in found
    ]


def wajib_arrears_summary(*, cooperative: Cooperative, as_of: dt.date) -> ArrearsSummary:
    sql = _arrears_sql() + " SELECT COUNT(*), SUM(months), SUM(owed) FROM arrears"
    with connection.cursor() as cursor:
        cursor.execute(sql, _arrears_params(cooperative, as_of))
        members, months, owed = cursor.fetchone()
    return ArrearsSummary(int(members or 0), int(months or 0), _sen(owed))


# --- Interest and tax by month ---------------------------------------------------------------


@dataclass(frozen=True)
class InterestMonth:
    month_end: dt.date
    gross: Decimal
    tax: Decimal
    accounts: int
    taxed_accounts: int

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


def month_ends(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    """The last days of the months that end inside the range (the month-end close's dates)."""
    ends = [month_bounds(y, m)[1] for y, m in iter_months(date_from, date_to)]
    return [end for end in ends if date_from <= end <= date_to]


def interest_by_month(
    *, cooperative: Cooperative, date_from: dt.date, date_to: dt.date
) -> list[InterestMonth]:
    """Per month-end in the range: gross interest credited, final tax withheld, net, and the
    number of accounts credited (and taxed). Reads only the month-ends' movements (the index
    on cooperative and date), grouped in SQL."""
    ends = month_ends(date_from, date_to)
    movements = SavingsTransaction.objects.filter(
        cooperative=cooperative,
        business_date__in=ends,
        kind__in=[SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX],
        channel="system",
    )
    grouped = grouped_counts_and_sums(movements, ["business_date", "kind"], ["amount"])
    rows = []
    for end in ends:
        credited, (gross,) = grouped.get((end, SavingsTransaction.Kind.INTEREST), (0, (ZERO,)))
        taxed, (tax,) = grouped.get((end, SavingsTransaction.Kind.TAX), (0, (ZERO,)))
        rows.append(InterestMonth(end, gross, -tax, credited, taxed))
    return rows
