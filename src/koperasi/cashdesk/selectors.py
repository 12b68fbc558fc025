"""Reads of the cash desk, always scoped to one cooperative: a teller's cash day, the office's,
the day book and the cash counts.

A teller's cash is read from the ledger alone. Every cash movement posts to the cash account
(system role "cash") in a journal entry that names its actor; the one exception is the
difference of an approved cash count, posted by the approver for the teller (source
"cashdesk", source_ref "teller:<id>"). So:

- a teller's postings are the cash postings of entries they made, other than count
  differences, plus the count differences posted for them;
- **opening cash** of a day is Σ (debit − credit) of the teller's postings dated before it: the
  cash they have taken in less what they paid out since they began, corrected by every approved
  count, i.e. the counted cash of their last approved count plus what moved since;
- **closing cash** is the opening plus the day's receipts less its payments.

The cooperative has one office: the office's figures are the sum over its tellers (and the
entries no person made, the system's), which is the cash account itself.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from koperasi.cashdesk.models import SOURCE, CashCount, teller_from_ref, teller_ref
from koperasi.common.paging import Page, peek_page
from koperasi.domain.money import ZERO
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.ledger.selectors import grouped_sums
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import TRANSACT_SAVINGS, role_allows

User = get_user_model()
DAY_BOOK_PAGE = 50
SOURCE_LABELS: dict[str, Any] = {
    "manual": _("Manual entry"),
    "savings": _("Savings"),
    "loans": _("Loans"),
    "close": _("Closing"),
    "reversal": _("Reversal"),
    SOURCE: _("Cash count difference"),
}


def source_label(source: str) -> Any:
    return SOURCE_LABELS.get(source, source)


# --- Dates -----------------------------------------------------------------------------------


def first_day(*, cooperative: Cooperative) -> dt.date:
    """The first day the cooperative has books for: the earliest of the day it was set up here,
    its legal entity date and its earliest journal entry (history may be entered backdated)."""
    created = cooperative.created_at.astimezone(zoneinfo.ZoneInfo(cooperative.time_zone)).date()
    days = [created]
    if cooperative.legal_entity_date:
        days.append(cooperative.legal_entity_date)
    earliest = JournalEntry.objects.filter(cooperative=cooperative).aggregate(
        first=Min("business_date")
    )["first"]
    if earliest is not None:
        days.append(earliest)
    return min(days)


def check_day(*, cooperative: Cooperative, day: dt.date, field_name: str = "tanggal") -> None:
    """Refuse a day after the business date or before the cooperative existed."""
    today = ledger.business_today(cooperative)
    if day > today:
        raise ServiceError(
            "future_date",
            _("%(date)s is in the future: the business date is %(today)s.")
            % {"date": day.strftime("%d/%m/%Y"), "today": today.strftime("%d/%m/%Y")},
            field_name,
        )
    start = first_day(cooperative=cooperative)
    if day < start:
        raise ServiceError(
            "before_cooperative",
            _("%(date)s is before the cooperative's books begin (%(start)s).")
            % {"date": day.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
            field_name,
        )


# --- Tellers ---------------------------------------------------------------------------------


def staff_user(*, cooperative: Cooperative, user_id: int) -> Any:
    """A login that is (or was) staff of this cooperative; 404 for anyone else."""
    membership = tenancy.staff_members(cooperative=cooperative).filter(user_id=user_id).first()
    if membership is None:
        raise NotFound()
    return membership.user


def cashier_choices(*, cooperative: Cooperative) -> list[tuple[int, str]]:
    """The staff who may take cash (their role may transact savings), for a filter."""
    return [
        (m.user_id, display_name(m.user))
        for m in tenancy.staff_members(cooperative=cooperative)
        if role_allows(m.role, TRANSACT_SAVINGS)
    ]


def display_name(user: Any) -> str:
    if user is None:
        return str(_("System"))
    return user.get_full_name() or user.get_username()


def _teller_q(teller_id: int | None, prefix: str = "entry__") -> Q:
    """The entries (or, with prefix, the postings of entries) that are this teller's cash."""
    own = Q(**{f"{prefix}actor_id": teller_id}) & ~Q(**{f"{prefix}source": SOURCE})
    if teller_id is None:
        return own
    return own | Q(**{f"{prefix}source": SOURCE, f"{prefix}source_ref": teller_ref(teller_id)})


def cash_account(cooperative: Cooperative) -> Account:
    return ledger.account_by_role(cooperative, "cash")


def _cash_postings(cooperative: Cooperative) -> QuerySet[Posting]:
    return Posting.objects.filter(cooperative=cooperative, account=cash_account(cooperative))


def cash_position(*, cooperative: Cooperative, teller_id: int | None, before: dt.date) -> Decimal:
    """The teller's cash at the start of `before` (see the module's definition)."""
    postings = _cash_postings(cooperative).filter(_teller_q(teller_id), business_date__lt=before)
    debit, credit = grouped_sums(postings, None, ["debit", "credit"]).get(None, (ZERO, ZERO))
    return debit - credit


# --- A teller's day --------------------------------------------------------------------------


@dataclass(frozen=True)
class CashLine:
    entry: JournalEntry
    cash_in: Decimal
    cash_out: Decimal

    @property
    def source_label(self) -> Any:
        return source_label(self.entry.source)


@dataclass
class TellerDay:
    teller: Any
    day: dt.date
    opening: Decimal
    lines: list[CashLine]
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO
    count: CashCount | None = None
    rejected: list[CashCount] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.cash_in - self.cash_out

    @property
    def receipts(self) -> int:
        return sum(1 for line in self.lines if line.cash_in)

    @property
    def payments(self) -> int:
        return sum(1 for line in self.lines if line.cash_out)


def teller_day(*, cooperative: Cooperative, teller: Any, day: dt.date) -> TellerDay:
    """Opening cash, every receipt and payment of the day, closing cash and the day's count."""
    teller_id = getattr(teller, "pk", None)
    opening = cash_position(cooperative=cooperative, teller_id=teller_id, before=day)
    postings = (
        _cash_postings(cooperative)
        .filter(_teller_q(teller_id), business_date=day)
        .select_related("entry")
        .order_by("entry_id", "id")
    )
    lines = [CashLine(p.entry, p.debit, p.credit) for p in postings]
    report = TellerDay(teller=teller, day=day, opening=opening, lines=lines)
    report.cash_in = sum((line.cash_in for line in lines), ZERO)
    report.cash_out = sum((line.cash_out for line in lines), ZERO)
    if teller_id is not None:
        counts = list(
            CashCount.objects.filter(
                cooperative=cooperative, teller_id=teller_id, business_date=day
            ).order_by("id")
        )
        standing = [c for c in counts if c.status != CashCount.Status.REJECTED]
        report.count = standing[0] if standing else None
        report.rejected = [c for c in counts if c.status == CashCount.Status.REJECTED]
    return report


# --- The office's day ------------------------------------------------------------------------


@dataclass
class OfficeRow:
    teller_id: int | None
    name: str
    opening: Decimal = ZERO
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO
    count: CashCount | None = None

    @property
    def closing(self) -> Decimal:
        return self.opening + self.cash_in - self.cash_out


@dataclass(frozen=True)
class OfficeDay:
    day: dt.date
    rows: list[OfficeRow]
    total: OfficeRow

    @property
    def waiting(self) -> list[CashCount]:
        return [
            r.count
            for r in self.rows
            if r.count is not None and r.count.status == CashCount.Status.SUBMITTED
        ]


def _sums_by_teller(postings: QuerySet[Posting]) -> dict[int | None, tuple[Decimal, Decimal]]:
    """Σ debit and credit per teller, in two grouped sums (the count differences by their
    teller reference, everything else by the entry's actor)."""
    sums: dict[int | None, tuple[Decimal, Decimal]] = {}

    def add(teller_id: int | None, debit: Decimal, credit: Decimal) -> None:
        d, c = sums.get(teller_id, (ZERO, ZERO))
        sums[teller_id] = (d + debit, c + credit)

    own = postings.exclude(entry__source=SOURCE)
    for actor_id, (debit, credit) in grouped_sums(
        own, "entry__actor_id", ["debit", "credit"]
    ).items():
        add(actor_id, debit, credit)
    differences = postings.filter(entry__source=SOURCE)
    for ref, (debit, credit) in grouped_sums(
        differences, "entry__source_ref", ["debit", "credit"]
    ).items():
        add(teller_from_ref(ref), debit, credit)
    return sums


def office_day(*, cooperative: Cooperative, day: dt.date) -> OfficeDay:
    """Every teller's opening, receipts, payments, closing and count for the day, and the
    office's total (the cooperative has one office: all tellers). Four grouped sums and two
    small reads, whatever the number of entries."""
    cash = _cash_postings(cooperative)
    before = _sums_by_teller(cash.filter(business_date__lt=day))
    today = _sums_by_teller(cash.filter(business_date=day))
    counts = {
        c.teller_id: c
        for c in CashCount.objects.filter(cooperative=cooperative, business_date=day)
        .exclude(status=CashCount.Status.REJECTED)
        .select_related("decided_by")
    }
    cashiers = dict(cashier_choices(cooperative=cooperative))
    ids = set(before) | set(today) | set(counts) | set(cashiers)
    users = {u.pk: u for u in User.objects.filter(pk__in=[i for i in ids if i is not None])}
    rows = []
    for teller_id in ids:
        opening_d, opening_c = before.get(teller_id, (ZERO, ZERO))
        day_in, day_out = today.get(teller_id, (ZERO, ZERO))
        row = OfficeRow(
            teller_id,
            display_name(users.get(teller_id)) if teller_id is not None else display_name(None),
            opening_d - opening_c,
            day_in,
            day_out,
            counts.get(teller_id),
        )
        if teller_id is None and not (row.opening or row.cash_in or row.cash_out):
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.teller_id is None, r.name.lower()))
    total = OfficeRow(None, str(_("Office total")))
    for row in rows:
        total.opening += row.opening
        total.cash_in += row.cash_in
        total.cash_out += row.cash_out
    return OfficeDay(day, rows, total)


# --- Day book --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTotal:
    source: str
    entries: int
    amount: Decimal
    cash_in: Decimal
    cash_out: Decimal

    @property
    def label(self) -> Any:
        return source_label(self.source)


@dataclass(frozen=True)
class DayBook:
    day: dt.date
    page: Page
    sources: list[SourceTotal]

    @property
    def total(self) -> SourceTotal:
        return SourceTotal(
            "",
            sum(s.entries for s in self.sources),
            sum((s.amount for s in self.sources), ZERO),
            sum((s.cash_in for s in self.sources), ZERO),
            sum((s.cash_out for s in self.sources), ZERO),
        )


def day_book(
    *,
    cooperative: Cooperative,
    day: dt.date,
    teller_id: int | None = None,
    raw_page: str | None = None,
    page_size: int = DAY_BOOK_PAGE,
) -> DayBook:
    """Every journal entry of the day with its lines (a page of them), and the day's totals by
    source: entries, amount moved (Σ debit), cash in and cash out. `teller_id` keeps one
    teller's entries."""
    entries = JournalEntry.objects.filter(cooperative=cooperative, business_date=day)
    postings = Posting.objects.filter(cooperative=cooperative, business_date=day)
    if teller_id is not None:
        entries = entries.filter(_teller_q(teller_id, prefix=""))
        postings = postings.filter(_teller_q(teller_id))
    page = peek_page(entries.select_related("actor").order_by("id"), raw_page, page_size)
    lines: dict[int, list[Posting]] = {}
    for posting in (
        Posting.objects.filter(entry_id__in=[e.pk for e in page.rows])
        .select_related("account")
        .order_by("entry_id", "id")
    ):
        lines.setdefault(posting.entry_id, []).append(posting)
    for entry in page.rows:
        entry.lines = lines.get(entry.pk, [])
        entry.source_label = source_label(entry.source)
    counts = dict(entries.order_by().values_list("source").annotate(n=Count("id")))
    amounts = grouped_sums(postings, "entry__source", ["debit"])
    cash = grouped_sums(
        postings.filter(account=cash_account(cooperative)), "entry__source", ["debit", "credit"]
    )
    sources = [
        SourceTotal(
            source,
            counts[source],
            amounts.get(source, (ZERO,))[0],
            *cash.get(source, (ZERO, ZERO)),
        )
        for source in sorted(counts)
    ]
    return DayBook(day, page, sources)


# --- Counts ----------------------------------------------------------------------------------


def count(*, cooperative: Cooperative, count_id: int) -> CashCount:
    found = (
        CashCount.objects.filter(cooperative=cooperative, pk=count_id)
        .select_related("teller", "decided_by", "journal_entry")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def day_is_open(*, cooperative: Cooperative, day: dt.date) -> bool:
    """Whether work may still be dated on the day (neither the day-end nor the month is
    closed through it)."""
    closed = Cooperative.objects.filter(pk=cooperative.pk).values_list(
        "days_closed_through", "books_closed_through"
    )
    return not any(through is not None and day <= through for through in closed.get())
