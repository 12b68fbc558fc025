"""What the dashboard shows: the figures a manager checks each morning and the trends of the
last 24 months (assets, loans, savings, members, NPL), each read without scanning the journal
(month ends through `ledger.period_sums`, today's movements through today's entries)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from koperasi.domain.health import percent
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.ledger import selectors as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.loans import selectors as loans
from koperasi.loans.models import Loan, LoanTransaction
from koperasi.members.models import Member
from koperasi.reports import portfolio
from koperasi.reports.statements import mapping
from koperasi.tenancy.models import Cooperative

# Classes that make the non-performing loans (KL, D, M).
NPL_CLASSES = (3, 4, 5)
COLLECTED = (
    LoanTransaction.Kind.REPAYMENT,
    LoanTransaction.Kind.PAYOFF,
    LoanTransaction.Kind.RECOVERY,
)


@dataclass(frozen=True)
class Morning:
    cash: Decimal
    disbursed_count: int
    disbursed: Decimal
    collected_count: int
    collected: Decimal
    arrears_count: int
    arrears_outstanding: Decimal
    npl_ratio: Decimal | None


def _today_movements(
    cooperative: Cooperative, day: dt.date, kinds: tuple[str, ...], field: str
) -> tuple[int, Decimal]:
    """(count, Σ field) of the loan movements of these kinds booked on the day, less their
    reversals; read through the day's journal entries (indexed by date), not every movement."""
    entries = JournalEntry.objects.filter(cooperative=cooperative, business_date=day).values("pk")
    rows = LoanTransaction.objects.filter(journal_entry__in=entries).filter(
        Q(kind__in=kinds) | Q(kind=LoanTransaction.Kind.REVERSAL, reverses__kind__in=kinds)
    )
    found = rows.aggregate(n=Count("id", filter=Q(kind__in=kinds)), total=Sum(F(field)))
    return found["n"] or 0, found["total"] or ZERO


def morning(*, cooperative: Cooperative, today: dt.date) -> Morning:
    mapped = mapping(cooperative=cooperative)
    held = ledger.held_balances(cooperative=cooperative)
    cash = sum((held.get(a.pk, ZERO) for a in mapped.of_line("cash")), ZERO)
    disbursed_n, disbursed = _today_movements(
        cooperative, today, (LoanTransaction.Kind.DISBURSEMENT,), "principal"
    )
    collected_n, collected = _today_movements(cooperative, today, COLLECTED, "amount")
    late = Loan.objects.filter(
        cooperative=cooperative, status=Loan.Status.ACTIVE, days_past_due__gt=0
    ).aggregate(n=Count("id"), total=Sum("outstanding_principal"))
    classes = {k: total for k, _n, total in loans.portfolio_summary(cooperative=cooperative)}
    npl = sum((classes.get(k, ZERO) for k in NPL_CLASSES), ZERO)
    return Morning(
        cash,
        disbursed_n,
        disbursed,
        collected_n,
        collected,
        late["n"] or 0,
        late["total"] or ZERO,
        percent(npl, sum(classes.values(), ZERO)),
    )


@dataclass(frozen=True)
class Trends:
    labels: list[str]
    assets: list[Decimal]
    loans: list[Decimal]
    savings: list[Decimal]
    members: list[int]
    npl: list[Decimal | None]
    par30: list[Decimal | None]


def month_ends(today: dt.date, months: int = 24) -> list[dt.date]:
    """The last `months` month ends before today's month, then today."""
    first = add_months(today.replace(day=1), -months + 1)
    ends = [add_months(first, i + 1) - dt.timedelta(days=1) for i in range(months - 1)]
    return [*ends, today]


def trends(*, cooperative: Cooperative, today: dt.date, months: int = 24) -> Trends:
    mapped = mapping(cooperative=cooperative)
    assets_ids = [pk for pk, a in mapped.accounts.items() if a.type == Account.Type.ASSET]
    loan_ids = [a.pk for code in ("member_loans", "non_member_loans") for a in mapped.of_line(code)]
    savings_lines = ("voluntary_savings", "time_deposits", "share_pokok", "share_wajib")
    saving_ids = [a.pk for code in savings_lines for a in mapped.of_line(code)]
    days = month_ends(today, months)
    out = Trends([d.strftime("%m/%Y") for d in days], [], [], [], [], [], [])
    for day in days:
        balances = ledger.balances_as_of(cooperative=cooperative, day=day, today=today)
        out.assets.append(sum((balances.get(pk, ZERO) for pk in assets_ids), ZERO))
        out.loans.append(sum((balances.get(pk, ZERO) for pk in loan_ids), ZERO))
        out.savings.append(-sum((balances.get(pk, ZERO) for pk in saving_ids), ZERO))
    out.members.extend(_members_at(cooperative, days))
    npl, par30 = _quality_at(cooperative, days)
    out.npl.extend(npl)
    out.par30.extend(par30)
    return out


def _per_month(members: QuerySet[Member], field: str) -> dict[dt.date, int]:
    """How many members have `field` (a date) in each month: one grouped count."""
    rows = members.annotate(month=TruncMonth(field)).values("month").annotate(n=Count("id"))
    # TruncMonth may give a datetime on some backends: key by plain date.
    return {
        (r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]): r["n"]
        for r in rows
    }


def _members_at(cooperative: Cooperative, days: list[dt.date]) -> list[int]:
    """Members at each date, from two monthly counts (joined, exited), not a count per date.
    Month-level: a member who joined later in the last (partial) month is counted."""
    members = Member.objects.filter(cooperative=cooperative, joined_on__isnull=False)
    joined = _per_month(members, "joined_on")
    exited = _per_month(members.filter(exited_on__isnull=False), "exited_on")
    counts = []
    for day in days:
        month = day.replace(day=1)
        counts.append(
            sum(n for m, n in joined.items() if m <= month)
            - sum(n for m, n in exited.items() if m <= month)
        )
    return counts


def _quality_at(
    cooperative: Cooperative, days: list[dt.date]
) -> tuple[list[Decimal | None], list[Decimal | None]]:
    """NPL ratio and PAR30 at each month end, from the last day-end snapshot of that month
    (`portfolio.quality_trend`); the current month's point is the live NPL."""
    points = {
        (p.month_end.year, p.month_end.month): p
        for p in portfolio.quality_trend(cooperative=cooperative, months=len(days), today=days[-1])
    }
    npl: list[Decimal | None] = []
    par30: list[Decimal | None] = []
    for day in days:
        point = points.get((day.year, day.month))
        npl.append(point.npl_percent if point else None)
        par30.append(point.par30_percent if point else None)
    return npl, par30
