"""Reads for loans, always scoped to one cooperative."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from koperasi.audit.models import AuditLog
from koperasi.domain.loan_quality import LANCAR, allowance
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.errors import NotFound
from koperasi.ledger.models import Account
from koperasi.ledger.selectors import cents, grouped_sums
from koperasi.loans.models import (
    ApplicationDocument,
    CollectionNote,
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.simulation import annual_rate
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative


def products(*, cooperative: Cooperative, active_only: bool = False) -> QuerySet[LoanProduct]:
    query = LoanProduct.objects.filter(cooperative=cooperative)
    return query.filter(is_active=True) if active_only else query


def first_product_above_cap(
    *, cooperative: Cooperative, annual_cap: Decimal
) -> tuple[LoanProduct, Decimal] | None:
    """The first active product (by code) whose nominal annual rate exceeds `annual_cap`."""
    for product in products(cooperative=cooperative, active_only=True).order_by("code"):
        rate = annual_rate(product.rate, product.rate_period)
        if rate > annual_cap:
            return product, rate
    return None


def product(*, cooperative: Cooperative, product_id: int) -> LoanProduct:
    found = products(cooperative=cooperative).filter(pk=product_id).first()
    if found is None:
        raise NotFound()
    return found


def applications(
    *, cooperative: Cooperative, status: str = "", member: Member | None = None
) -> QuerySet[LoanApplication]:
    query = LoanApplication.objects.filter(cooperative=cooperative).select_related(
        "member", "product"
    )
    if status:
        query = query.filter(status=status)
    if member is not None:
        query = query.filter(member=member)
    return query.order_by("-id")


def queue(*, cooperative: Cooperative) -> QuerySet[LoanApplication]:
    """What waits on the loan officers and approvers, oldest first."""
    return (
        applications(cooperative=cooperative)
        .filter(
            status__in=(
                LoanApplication.Status.SUBMITTED,
                LoanApplication.Status.ANALYSED,
                LoanApplication.Status.APPROVED,
            )
        )
        .order_by("id")
    )


def application(
    *, cooperative: Cooperative, application_id: int, member: Member | None = None
) -> LoanApplication:
    query = applications(cooperative=cooperative, member=member).filter(pk=application_id)
    found = query.prefetch_related("collaterals", "guarantors__member", "documents").first()
    if found is None:
        raise NotFound()
    return found


def document(*, cooperative: Cooperative, document_id: int) -> ApplicationDocument:
    """An uploaded document; another cooperative's id is a 404 like a missing one."""
    found = (
        ApplicationDocument.objects.filter(cooperative=cooperative, pk=document_id)
        .only("file", "content_type", "title")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def timeline(*, cooperative: Cooperative, application: LoanApplication) -> QuerySet[AuditLog]:
    """Every recorded step of an application and, once disbursed, of its loan."""
    loan_id = Loan.objects.filter(application=application).values_list("pk", flat=True).first()
    condition = Q(object_type="LoanApplication", object_id=str(application.pk))
    if loan_id is not None:
        condition |= Q(object_type="Loan", object_id=str(loan_id))
    return (
        AuditLog.objects.filter(condition, cooperative=cooperative)
        .select_related("actor")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class PortfolioFilter:
    product_id: int | None = None
    officer_id: int | None = None
    collectibility: int | None = None
    min_days_past_due: int | None = None
    status: str = Loan.Status.ACTIVE
    member: Member | None = None


def portfolio(*, cooperative: Cooperative, where: PortfolioFilter) -> QuerySet[Loan]:
    """Loans, newest first, each filter served by an index that starts with the cooperative."""
    query = Loan.objects.filter(cooperative=cooperative)
    if where.status:
        query = query.filter(status=where.status)
    if where.product_id:
        query = query.filter(product_id=where.product_id)
    if where.officer_id:
        query = query.filter(officer_id=where.officer_id)
    if where.collectibility:
        query = query.filter(collectibility=where.collectibility)
    if where.min_days_past_due is not None:
        query = query.filter(days_past_due__gte=where.min_days_past_due)
    if where.member is not None:
        query = query.filter(member=where.member)
    return query.select_related("member", "product").order_by("-id")


OPEN_APPLICATION_STATUSES = (
    LoanApplication.Status.SUBMITTED,
    LoanApplication.Status.ANALYSED,
    LoanApplication.Status.APPROVED,
)


def member_obligations(*, cooperative: Cooperative, member: Member) -> list[str]:
    """What keeps a member from leaving: loans still running and applications still open."""
    running = Loan.objects.filter(
        cooperative=cooperative, member=member, status=Loan.Status.ACTIVE
    ).order_by("pk")
    pending = LoanApplication.objects.filter(
        cooperative=cooperative, member=member, status__in=OPEN_APPLICATION_STATUSES
    ).order_by("pk")
    return [
        *(
            _("loan %(number)s (principal %(amount)s)")
            % {"number": loan.number, "amount": format_rupiah(loan.outstanding_principal)}
            for loan in running
        ),
        *(_("loan application %(number)s") % {"number": a.number} for a in pending),
    ]


def loan(*, cooperative: Cooperative, loan_id: int, member: Member | None = None) -> Loan:
    query = Loan.objects.filter(cooperative=cooperative, pk=loan_id)
    if member is not None:
        query = query.filter(member=member)
    found = query.select_related("member", "product", "application", "officer").first()
    if found is None:
        raise NotFound()
    return found


def schedule(*, loan: Loan, version: int | None = None) -> list[Instalment]:
    return list(
        Instalment.objects.filter(loan=loan, version=version or loan.schedule_version).order_by(
            "no"
        )
    )


def history(*, loan: Loan) -> QuerySet[LoanTransaction]:
    return loan.transactions.select_related("actor", "journal_entry").order_by("id")


def transaction(*, cooperative: Cooperative, transaction_id: int) -> LoanTransaction:
    found = (
        LoanTransaction.objects.filter(cooperative=cooperative, pk=transaction_id)
        .select_related("loan__member", "loan__product", "actor")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def restructurings(*, loan: Loan) -> QuerySet[Restructuring]:
    return loan.restructurings.select_related("proposed_by", "decided_by").order_by("id")


def write_off_requests(*, loan: Loan) -> QuerySet[WriteOffRequest]:
    return loan.write_off_requests.select_related("proposed_by", "decided_by").order_by("id")


def pending_workouts(*, cooperative: Cooperative) -> dict[str, QuerySet]:  # type: ignore[type-arg]
    return {
        "restructurings": Restructuring.objects.filter(
            cooperative=cooperative, status=Restructuring.Status.PROPOSED
        ).select_related("loan__member"),
        "write_offs": WriteOffRequest.objects.filter(
            cooperative=cooperative, status=WriteOffRequest.Status.PROPOSED
        ).select_related("loan__member"),
    }


@dataclass(frozen=True)
class ArrearsView:
    as_of: dt.date
    days_past_due: int
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty_due: Decimal
    overdue_instalments: int
    next_due_date: dt.date | None
    next_due_amount: Decimal


def arrears(*, loan: Loan, as_of: dt.date) -> ArrearsView:
    """What is overdue on a loan as of a date, from its current schedule."""
    rows = schedule(loan=loan)
    late = [r for r in rows if r.due_date < as_of and r.principal_due + r.interest_due > 0]
    upcoming = [r for r in rows if r.due_date >= as_of and r.amount_due > 0]
    return ArrearsView(
        as_of=as_of,
        days_past_due=(as_of - late[0].due_date).days if late else 0,
        overdue_principal=sum((r.principal_due for r in late), ZERO),
        overdue_interest=sum((r.interest_due for r in late), ZERO),
        penalty_due=sum((r.penalty_due for r in rows), ZERO),
        overdue_instalments=len(late),
        next_due_date=upcoming[0].due_date if upcoming else None,
        next_due_amount=upcoming[0].amount_due if upcoming else ZERO,
    )


def portfolio_summary(*, cooperative: Cooperative) -> list[tuple[int, int, Decimal]]:
    """(class, number of loans, outstanding) for active loans: one pass over the loans on
    PostgreSQL (no index carries the amount, so that a repayment's update of the loan writes
    no index; docs/performance.md)."""
    active = Loan.objects.filter(cooperative=cooperative, status=Loan.Status.ACTIVE)
    if connection.vendor == "postgresql":
        rows = (
            active.order_by()
            .values("collectibility")
            .annotate(n=Count("id"), total=Sum("outstanding_principal"))
            .values_list("collectibility", "n", "total")
        )
        return sorted(rows)
    counts = dict(
        active.order_by()
        .values("collectibility")
        .annotate(n=Count("id"))
        .values_list("collectibility", "n")
    )
    sums = grouped_sums(active, "collectibility", ["outstanding_principal"])
    return [(klass, counts[klass], sums[klass][0]) for klass in sorted(counts)]


# Portfolio at risk: outstanding of loans at least this many days past due.
PAR_DAYS: tuple[int, ...] = (1, 30, 60, 90)
_MONEY_FIELD = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class QualityGroup:
    """Active loans of one class (and product, when grouped so) with what the allowance needs."""

    collectibility: int
    loans: int
    outstanding: Decimal
    # Σ outstanding not covered by the loan's collateral (max(0, outstanding − collateral)).
    uncovered: Decimal
    # Σ outstanding of the loans at least PAR_DAYS[i] days past due.
    at_risk: tuple[Decimal, ...]
    product_id: int | None = None

    @property
    def collateral(self) -> Decimal:
        """The collateral counted against the allowance: the covered part of the outstanding."""
        return self.outstanding - self.uncovered

    @property
    def allowance(self) -> Decimal:
        """The allowance the class requires, as the day-end computes it: the BPR-style rate on
        the outstanding (Lancar) or on the part not covered by collateral (the others)."""
        if not self.loans:
            return ZERO
        if self.collectibility not in range(LANCAR, LANCAR + 5):
            return ZERO
        return allowance(self.outstanding, self.collectibility, self.collateral)


def quality_groups(*, cooperative: Cooperative, by_product: bool = False) -> list[QualityGroup]:
    """Active loans by class (and product): count, outstanding, uncovered and at-risk sums, in
    one aggregate over the loans (exact on SQLite too: summed in Python there)."""
    active = Loan.objects.filter(cooperative=cooperative, status=Loan.Status.ACTIVE).order_by()
    keys = ["product_id", "collectibility"] if by_product else ["collectibility"]
    if connection.vendor != "postgresql":
        return _quality_groups_in_python(active, by_product)
    uncovered = Case(
        When(
            outstanding_principal__gt=F("collateral_value"),
            then=F("outstanding_principal") - F("collateral_value"),
        ),
        default=Value(ZERO),
        output_field=_MONEY_FIELD,
    )
    at_risk = {
        f"par{days}": Sum(
            Case(
                When(days_past_due__gte=days, then=F("outstanding_principal")),
                default=Value(ZERO),
                output_field=_MONEY_FIELD,
            )
        )
        for days in PAR_DAYS
    }
    rows = active.values(*keys).annotate(
        n=Count("id"), total=Sum("outstanding_principal"), uncovered=Sum(uncovered), **at_risk
    )
    return [
        QualityGroup(
            collectibility=row["collectibility"],
            product_id=row.get("product_id"),
            loans=row["n"],
            outstanding=row["total"],
            uncovered=row["uncovered"],
            at_risk=tuple(row[f"par{days}"] for days in PAR_DAYS),
        )
        for row in rows
    ]


def _quality_groups_in_python(active: QuerySet[Loan], by_product: bool) -> list[QualityGroup]:
    sums: dict[tuple[int | None, int], list[Any]] = {}
    columns = ("product_id", "collectibility", "outstanding_principal", "collateral_value")
    for product_id, klass, outstanding, collateral, dpd in active.values_list(
        *columns, "days_past_due"
    ).iterator():
        key = (product_id if by_product else None, klass)
        acc = sums.setdefault(key, [0, ZERO, ZERO, [ZERO] * len(PAR_DAYS)])
        acc[0] += 1
        acc[1] += outstanding
        acc[2] += max(outstanding - collateral, ZERO)
        for i, days in enumerate(PAR_DAYS):
            if dpd >= days:
                acc[3][i] += outstanding
    return [
        QualityGroup(
            collectibility=klass,
            product_id=product_id,
            loans=n,
            outstanding=cents(total),
            uncovered=cents(uncovered),
            at_risk=tuple(cents(x) for x in risk),
        )
        for (product_id, klass), (n, total, uncovered, risk) in sorted(
            sums.items(), key=lambda item: (item[0][0] or 0, item[0][1])
        )
    ]


def collection_notes(*, loan: Loan, limit: int = 20) -> list[CollectionNote]:
    """The loan's latest contacts about arrears, newest first."""
    return list(
        CollectionNote.objects.filter(cooperative_id=loan.cooperative_id, loan=loan)
        .select_related("actor")
        .order_by("-contacted_on", "-id")[:limit]
    )


def loan_violations(*, cooperative: Cooperative) -> list[str]:
    """Every broken loan sub-ledger invariant, as a sentence naming what is wrong."""
    problems: list[str] = []
    loans = Loan.objects.filter(cooperative=cooperative)
    moved = grouped_sums(
        LoanTransaction.objects.filter(cooperative=cooperative), "loan_id", ["principal"]
    )
    current = grouped_sums(
        Instalment.objects.filter(
            cooperative=cooperative,
            loan__status=Loan.Status.ACTIVE,
            version=F("loan__schedule_version"),
        ),
        "loan_id",
        ["principal", "principal_paid", "interest_accrued", "interest_paid"],
    )
    # A row never has more paid than recognised (interest paid early is recognised when paid).
    for number, no in Instalment.objects.filter(
        cooperative=cooperative, interest_paid__gt=F("interest_accrued")
    ).values_list("loan__number", "no")[:20]:
        problems.append(f"loan {number} instalment {no} has more interest paid than recognised")
    for pk, number, outstanding, status, accrued in loans.values_list(
        "pk", "number", "outstanding_principal", "status", "accrued_interest"
    ):
        (principal_moved,) = moved.get(pk, (ZERO,))
        if outstanding != principal_moved:
            problems.append(
                f"loan {number} outstanding {outstanding} != sum of its movements {principal_moved}"
            )
        if status == Loan.Status.ACTIVE:
            scheduled, paid, recognised, interest_paid = current.get(pk, (ZERO,) * 4)
            if outstanding != scheduled - paid:
                problems.append(
                    f"loan {number} outstanding {outstanding} != unpaid principal of its "
                    f"schedule {scheduled - paid}"
                )
            if accrued != recognised - interest_paid:
                problems.append(
                    f"loan {number} interest receivable {accrued} != interest accrued and "
                    f"unpaid on its schedule {recognised - interest_paid}"
                )
        elif outstanding != 0:
            problems.append(f"loan {number} is {status} but still has {outstanding} outstanding")
    (principal, interest, penalty) = grouped_sums(
        loans, None, ["outstanding_principal", "accrued_interest", "penalty_receivable"]
    ).get(None, (ZERO, ZERO, ZERO))
    for role, total in (
        ("loans_receivable", principal),
        ("interest_receivable", interest),
        ("penalty_receivable", penalty),
    ):
        gl = Account.objects.filter(cooperative=cooperative, system_role=role).first()
        if gl is None:
            continue
        expected = cents(total or ZERO)
        if gl.balance != expected:
            problems.append(
                f"account {gl.code} balance {gl.balance} != loan sub-ledger total {expected}"
            )
    return problems
