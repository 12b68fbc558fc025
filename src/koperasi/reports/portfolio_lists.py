"""The portfolio's working lists and period figures: arrears and collection per officer,
disbursements and repayments by month, officer performance, and maturity gaps.

Each is a fixed number of aggregate queries whatever the size of the portfolio; the arrears
list reads one page of loans by index and then two queries for that page (what is due, the
last contact).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import translation
from django.utils.translation import gettext as _

from koperasi.domain.errors import DomainError
from koperasi.domain.loan_quality import CLASS_NAMES
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.domain.periods import add_months
from koperasi.domain.phone import normalize_phone
from koperasi.ledger.selectors import grouped_sums
from koperasi.loans.models import CollectionNote, Instalment, Loan, LoanTransaction
from koperasi.reports.portfolio import ratio
from koperasi.tenancy.models import Cooperative

_MONEY = DecimalField(max_digits=20, decimal_places=2)
Kind = LoanTransaction.Kind
REPAID = (Kind.REPAYMENT, Kind.PAYOFF)


def _when(condition: Q, value: Any) -> Case:
    return Case(When(condition, then=value), default=Value(ZERO), output_field=_MONEY)


def person(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or (username or "")


# ---------------------------------------------------------------- arrears and collection


@dataclass(frozen=True)
class ArrearsFilter:
    officer_id: int | None = None
    collectibility: int | None = None
    min_days: int = 1


@dataclass(frozen=True)
class ArrearsRow:
    loan_id: int
    number: str
    member_name: str
    member_number: str
    phone: str
    whatsapp_url: str  # "" when the phone is not a mobile number WhatsApp can reach
    officer: str
    product: str
    days_past_due: int
    collectibility: int
    class_name: str
    outstanding: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty: Decimal
    last_contact: dt.date | None
    last_contact_kind: str
    last_note: str
    promise_date: dt.date | None
    promise_amount: Decimal | None

    @property
    def amount_due(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.penalty


def arrears_loans(*, cooperative: Cooperative, where: ArrearsFilter) -> QuerySet[Loan]:
    """Active loans at least `min_days` (≥ 1) past due, most overdue first, with the id of each
    loan's latest collection note."""
    latest = CollectionNote.objects.filter(loan=OuterRef("pk")).order_by("-contacted_on", "-id")
    query = Loan.objects.filter(
        cooperative=cooperative,
        status=Loan.Status.ACTIVE,
        days_past_due__gte=max(1, where.min_days),
    )
    if where.officer_id:
        query = query.filter(officer_id=where.officer_id)
    if where.collectibility:
        query = query.filter(collectibility=where.collectibility)
    return (
        query.select_related("member", "product", "officer")
        .only(
            "number",
            "days_past_due",
            "collectibility",
            "outstanding_principal",
            "schedule_version",
            "member__name",
            "member__number",
            "member__phone",
            "product__code",
            "officer__first_name",
            "officer__last_name",
            "officer__username",
        )
        .annotate(last_note_id=Subquery(latest.values("id")[:1]))
        .order_by("-days_past_due", "id")
    )


def whatsapp_link(
    phone: str, *, name: str, amount: Decimal, number: str, cooperative: Cooperative
) -> str:
    """wa.me link with a polite reminder in Indonesian (members read Indonesian, whatever
    language the officer's screen is in); "" when the phone is not an Indonesian mobile."""
    try:
        e164 = normalize_phone(phone)
    except DomainError:
        return ""
    with translation.override("id"):
        text = _(
            "Dear %(name)s, this is %(coop)s. We would like to remind you that loan "
            "%(number)s has %(amount)s overdue. We kindly ask you to pay it soon; if you have "
            "already paid, please disregard this message. Thank you."
        ) % {
            "name": name,
            "coop": cooperative.name,
            "number": number,
            "amount": format_rupiah(amount),
        }
    return f"https://wa.me/{e164.lstrip('+')}?text={quote(text, safe='')}"


def arrears_rows(
    *, cooperative: Cooperative, loans: Sequence[Loan], as_of: dt.date
) -> list[ArrearsRow]:
    """The rows for loans read by `arrears_loans` (a page): two queries whatever their number."""
    ids = [loan.pk for loan in loans]
    due = _overdue(cooperative, ids, as_of)
    note_ids = [n for n in (getattr(loan, "last_note_id", None) for loan in loans) if n]
    notes = {note.loan_id: note for note in CollectionNote.objects.filter(pk__in=note_ids)}
    rows = []
    for loan in loans:
        principal, interest, penalty = due.get(loan.pk, (ZERO, ZERO, ZERO))
        note = notes.get(loan.pk)
        member, officer = loan.member, loan.officer
        rows.append(
            ArrearsRow(
                loan_id=loan.pk,
                number=loan.number,
                member_name=member.name,
                member_number=member.number,
                phone=member.phone,
                whatsapp_url=whatsapp_link(
                    member.phone,
                    name=member.name,
                    amount=principal + interest + penalty,
                    number=loan.number,
                    cooperative=cooperative,
                ),
                officer=person(officer.first_name, officer.last_name, officer.username)
                if officer
                else "",
                product=loan.product.code,
                days_past_due=loan.days_past_due,
                collectibility=loan.collectibility,
                class_name=CLASS_NAMES.get(loan.collectibility, ""),
                outstanding=loan.outstanding_principal,
                overdue_principal=principal,
                overdue_interest=interest,
                penalty=penalty,
                last_contact=note.contacted_on if note else None,
                last_contact_kind=note.get_kind_display() if note else "",
                last_note=note.note if note else "",
                promise_date=note.promise_date if note else None,
                promise_amount=note.promise_amount if note else None,
            )
        )
    return rows


def _overdue(
    cooperative: Cooperative, loan_ids: list[int], as_of: dt.date
) -> dict[int, tuple[Decimal, ...]]:
    """Per loan of the current schedule: principal and interest due before `as_of` and not
    paid, and every penalty not paid."""
    if not loan_ids:
        return {}
    late = Q(due_date__lt=as_of)
    rows = Instalment.objects.filter(
        cooperative=cooperative,
        loan_id__in=loan_ids,
        version=F("loan__schedule_version"),
        paid_on__isnull=True,
    ).annotate(
        p=_when(late, F("principal") - F("principal_paid")),
        i=_when(late, F("interest") - F("interest_paid") - F("interest_waived")),
        pen=F("penalty") - F("penalty_paid"),
    )
    return grouped_sums(rows, "loan_id", ["p", "i", "pen"])


# ---------------------------------------------------------------- flows by month


@dataclass(frozen=True)
class FlowMonth:
    month: dt.date  # the first day of the month
    disbursed_count: int
    disbursed: Decimal
    repayments: int
    principal: Decimal
    interest: Decimal
    penalty: Decimal

    @property
    def repaid(self) -> Decimal:
        return self.principal + self.interest + self.penalty


def flows(*, cooperative: Cooperative, date_from: dt.date, date_to: dt.date) -> list[FlowMonth]:
    """Each month of the period: loans disbursed (count, principal) and repayments (count,
    principal, interest, penalty), net of reversed repayments. Four aggregate queries."""
    movements = LoanTransaction.objects.filter(
        cooperative=cooperative, business_date__gte=date_from, business_date__lte=date_to
    ).annotate(month=TruncMonth("business_date"))
    disbursed = movements.filter(kind=Kind.DISBURSEMENT)
    repaid = movements.filter(
        Q(kind__in=REPAID) | Q(kind=Kind.REVERSAL, reverses__kind__in=REPAID)
    ).annotate(paid_principal=-F("principal"))
    counts_out = _counts(disbursed, Q())
    counts_in = _counts(repaid, ~Q(kind=Kind.REVERSAL), Q(kind=Kind.REVERSAL))
    sums_out = grouped_sums(disbursed, "month", ["principal"])
    sums_in = grouped_sums(repaid, "month", ["paid_principal", "interest", "penalty"])
    months = []
    first = date_from.replace(day=1)
    while first <= date_to:
        key = _month_key(first)
        (out,) = sums_out.get(key, (ZERO,))
        principal, interest, penalty = sums_in.get(key, (ZERO, ZERO, ZERO))
        months.append(
            FlowMonth(
                month=first,
                disbursed_count=counts_out.get(key, 0),
                disbursed=out,
                repayments=counts_in.get(key, 0),
                principal=principal,
                interest=interest,
                penalty=penalty,
            )
        )
        first = add_months(first, 1)
    return months


def _month_key(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _counts(query: QuerySet[Any], plus: Q, minus: Q | None = None) -> dict[dt.date, int]:
    """Per month: rows matching `plus` less rows matching `minus`."""
    annotations: dict[str, Any] = {"plus": Count("id", filter=plus) if plus else Count("id")}
    if minus is not None:
        annotations["minus"] = Count("id", filter=minus)
    rows = query.order_by().values("month").annotate(**annotations)
    return {_month_key(r["month"]): r["plus"] - r.get("minus", 0) for r in rows}


# ---------------------------------------------------------------- officers


@dataclass(frozen=True)
class OfficerLine:
    officer_id: int | None
    name: str
    loans: int
    outstanding: Decimal
    at_risk_30: Decimal
    disbursed_count: int
    disbursed: Decimal
    collected: Decimal

    @property
    def par30_percent(self) -> Decimal | None:
        return ratio(self.at_risk_30, self.outstanding)


_OFFICER = ("officer_id", "officer__first_name", "officer__last_name", "officer__username")


def officer_performance(
    *, cooperative: Cooperative, date_from: dt.date, date_to: dt.date
) -> list[OfficerLine]:
    """Per loan officer: active loans and their outstanding, PAR30, loans disbursed in the
    period and what was collected in it (principal, interest, penalty; net of reversals)."""
    loans = Loan.objects.filter(cooperative=cooperative)
    active = loans.filter(status=Loan.Status.ACTIVE).annotate(
        risk=_when(Q(days_past_due__gte=30), F("outstanding_principal"))
    )
    names: dict[int | None, str] = {}
    counts: dict[int | None, int] = {}
    for officer_id, first, last, username, n in (
        active.order_by().values(*_OFFICER).annotate(n=Count("id")).values_list(*_OFFICER, "n")
    ):
        names[officer_id] = person(first, last, username)
        counts[officer_id] = n
    held = grouped_sums(active, "officer_id", ["outstanding_principal", "risk"])
    new = loans.filter(disbursed_on__gte=date_from, disbursed_on__lte=date_to)
    new_counts: dict[int | None, int] = {}
    for officer_id, first, last, username, n in (
        new.order_by().values(*_OFFICER).annotate(n=Count("id")).values_list(*_OFFICER, "n")
    ):
        names[officer_id] = person(first, last, username)
        new_counts[officer_id] = n
    new_sums = grouped_sums(new, "officer_id", ["principal"])
    collected = grouped_sums(
        LoanTransaction.objects.filter(
            Q(kind__in=REPAID) | Q(kind=Kind.REVERSAL, reverses__kind__in=REPAID),
            cooperative=cooperative,
            business_date__gte=date_from,
            business_date__lte=date_to,
        ).annotate(
            officer_id=F("loan__officer_id"),
            paid=F("interest") + F("penalty") - F("principal"),
        ),
        "officer_id",
        ["paid"],
    )
    for officer_id in collected:
        names.setdefault(officer_id, "")
    missing = [k for k, v in names.items() if k is not None and not v]
    if missing:  # collected on loans of an officer with no active or new loan
        for officer_id, first, last, username in (
            loans.filter(officer_id__in=missing).values_list(*_OFFICER).distinct()
        ):
            names[officer_id] = person(first, last, username)
    lines = [
        OfficerLine(
            officer_id=officer_id,
            name=name,
            loans=counts.get(officer_id, 0),
            outstanding=held.get(officer_id, (ZERO, ZERO))[0],
            at_risk_30=held.get(officer_id, (ZERO, ZERO))[1],
            disbursed_count=new_counts.get(officer_id, 0),
            disbursed=new_sums.get(officer_id, (ZERO,))[0],
            collected=collected.get(officer_id, (ZERO,))[0],
        )
        for officer_id, name in names.items()
    ]
    return sorted(lines, key=lambda line: (line.officer_id is None, line.name.lower()))


# ---------------------------------------------------------------- maturity gaps


@dataclass(frozen=True)
class GapBucket:
    key: str
    months_from: int | None  # None: already overdue
    months_to: int | None  # None: open-ended
    principal: Decimal


GAP_MONTHS: tuple[tuple[int, int | None], ...] = ((0, 1), (1, 3), (3, 6), (6, 12), (12, None))


def maturity_gaps(*, cooperative: Cooperative, as_of: dt.date) -> list[GapBucket]:
    """Outstanding principal of active loans by when it falls due (their current schedules'
    unpaid rows): overdue, then ≤ 1, 1–3, 3–6, 6–12 and > 12 months after `as_of`. One
    aggregate. Loans carry fixed rates, so this is also the repricing gap."""
    whens = [When(due_date__lt=as_of, then=Value(0))]
    for i, (_start, end) in enumerate(GAP_MONTHS, start=1):
        if end is not None:
            whens.append(When(due_date__lte=add_months(as_of, end), then=Value(i)))
    bucket = Case(*whens, default=Value(len(GAP_MONTHS)), output_field=IntegerField())
    rows = Instalment.objects.filter(
        cooperative=cooperative,
        paid_on__isnull=True,
        loan__status=Loan.Status.ACTIVE,
        version=F("loan__schedule_version"),
    ).annotate(bucket=bucket, unpaid=F("principal") - F("principal_paid"))
    sums = grouped_sums(rows, "bucket", ["unpaid"])
    buckets = [GapBucket("overdue", None, 0, sums.get(0, (ZERO,))[0])]
    for i, (start, end) in enumerate(GAP_MONTHS, start=1):
        key = f"{start}-{end}" if end is not None else f"{start}+"
        buckets.append(GapBucket(key, start, end, sums.get(i, (ZERO,))[0]))
    return buckets


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
