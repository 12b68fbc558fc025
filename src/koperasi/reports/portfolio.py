"""The loan portfolio's quality as of a date, and its trend: loans by kolektibilitas class with
the allowance required (as the day-end computes it) against the allowance held, portfolio at
risk (PAR 1/30/60/90), the problem-loan (NPL) ratio with its health band, by product too.

Today's report is computed from the loans (one aggregate); a past date is read from the
day-end's `QualitySnapshot` of that date (or the last one before it), which keeps the classes,
the allowance and, since it has kept them, the PAR sums; by product only today's report.
The arrears list, the flows, the officers and the maturity gaps: `portfolio_lists.py`.
"""

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Max, Min, Q, Sum
from django.utils.translation import gettext as _

from koperasi.domain.loan_quality import (
    ALLOWANCE_RATES,
    CLASS_NAMES,
    KURANG_LANCAR,
    problem_loan_ratio_grade,
)
from koperasi.domain.money import ZERO, round_half_up
from koperasi.domain.periods import add_months, month_bounds
from koperasi.errors import ServiceError
from koperasi.ledger.models import Account, Posting
from koperasi.ledger.selectors import cents
from koperasi.ledger.services import business_today
from koperasi.loans import selectors as loans
from koperasi.loans.models import LoanProduct, QualitySnapshot
from koperasi.loans.selectors import PAR_DAYS, QualityGroup
from koperasi.reports import statements
from koperasi.tenancy.models import Cooperative

PERCENT = Decimal("0.01")
# The health band of the problem-loan ratio (DOMAIN.md), by `problem_loan_ratio_grade`'s code.
BANDS: dict[str, str] = {
    "sehat": "Sehat",
    "cukup_sehat": "Cukup Sehat",
    "kurang_sehat": "Kurang Sehat",
    "tidak_sehat": "Tidak Sehat",
}
TREND_MONTHS = 24


# ---------------------------------------------------------------- dates


def records_start(cooperative: Cooperative) -> dt.date:
    """The first day the cooperative has records for (one rule for every report)."""
    return statements.first_date(cooperative)


def check_report_date(cooperative: Cooperative, day: dt.date, field: str = "as_of") -> dt.date:
    """`day` if a report may be made for it (one rule for every report: `statements.check_date`)."""
    return statements.check_date(cooperative, day, field)


def check_period(
    cooperative: Cooperative, date_from: dt.date, date_to: dt.date, most_months: int = 120
) -> tuple[dt.date, dt.date]:
    """A reporting period: both ends valid report dates, in order, at most `most_months`."""
    check_report_date(cooperative, date_from, "date_from")
    check_report_date(cooperative, date_to, "date_to")
    if date_from > date_to:
        raise ServiceError("invalid_range", _("The start date is after the end date."), "date_from")
    if add_months(date_from, most_months) <= date_to:
        raise ServiceError(
            "range_too_long",
            _("Choose a period of at most %(months)s months.") % {"months": most_months},
            "date_to",
        )
    return date_from, date_to


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole as a percentage rounded half-up to 0.01, or None when whole is zero."""
    if not whole:
        return None
    return round_half_up(part * 100 / whole, PERCENT)


# ---------------------------------------------------------------- the quality report


@dataclass(frozen=True)
class ClassLine:
    klass: int
    name: str
    loans: int
    outstanding: Decimal
    collateral: Decimal
    rate: Decimal  # the allowance rate, as a percentage
    required: Decimal


@dataclass(frozen=True)
class ParLine:
    days: int
    outstanding: Decimal
    percent: Decimal | None


@dataclass(frozen=True)
class ProductLine:
    code: str
    name: str
    loans: int
    outstanding: Decimal
    problem: Decimal  # KL + D + M
    npl_percent: Decimal | None
    band: str
    par30_percent: Decimal | None
    required: Decimal


@dataclass(frozen=True)
class QualityReport:
    as_of: dt.date
    # "loans": today's loans; "snapshot": the day-end snapshot of `snapshot_date`;
    # "none": no snapshot on or before the date (history starts on `history_from`).
    source: str
    snapshot_date: dt.date | None
    history_from: dt.date | None
    regime: str
    classes: tuple[ClassLine, ...]
    loans: int
    outstanding: Decimal
    required: Decimal
    held: Decimal
    par: tuple[ParLine, ...]  # empty when the snapshot kept no PAR sums
    problem: Decimal
    npl_percent: Decimal | None
    band: str  # "" when there are no loans
    products: tuple[ProductLine, ...]  # today only

    @property
    def available(self) -> bool:
        return self.source != "none"

    @property
    def shortfall(self) -> Decimal:
        """Required − held: positive when the books hold less than the classes require."""
        return self.required - self.held


def band_of(problem: Decimal, total: Decimal) -> str:
    if not total:
        return ""
    return BANDS[problem_loan_ratio_grade(problem / total)]


def _class_lines(groups: dict[int, QualityGroup]) -> tuple[ClassLine, ...]:
    lines = []
    for klass, name in CLASS_NAMES.items():
        group = groups.get(klass) or QualityGroup(klass, 0, ZERO, ZERO, (ZERO,) * len(PAR_DAYS))
        lines.append(
            ClassLine(
                klass=klass,
                name=name,
                loans=group.loans,
                outstanding=group.outstanding,
                collateral=group.collateral if klass != 1 else ZERO,
                rate=ALLOWANCE_RATES[klass] * 100,
                required=group.allowance,
            )
        )
    return tuple(lines)


def _merge(groups: list[QualityGroup], klass: int) -> QualityGroup:
    """Several products' groups of one class as one (the class is what the allowance sizes)."""
    return QualityGroup(
        collectibility=klass,
        loans=sum(g.loans for g in groups),
        outstanding=sum((g.outstanding for g in groups), ZERO),
        uncovered=sum((g.uncovered for g in groups), ZERO),
        at_risk=tuple(sum((g.at_risk[i] for g in groups), ZERO) for i in range(len(PAR_DAYS))),
    )


def allowance_held(cooperative: Cooperative, as_of: dt.date | None) -> Decimal:
    """The credit balance of the allowance (CKPN) account: now, or from its postings to a date."""
    account = Account.objects.filter(cooperative=cooperative, system_role="loan_allowance").first()
    if account is None:
        return ZERO
    if as_of is None:
        return -account.balance
    sums = Posting.objects.filter(account=account, business_date__lte=as_of).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return cents((sums["credit"] or ZERO) - (sums["debit"] or ZERO))


def quality_report(*, cooperative: Cooperative, as_of: dt.date | None = None) -> QualityReport:
    today = business_today(cooperative)
    day = check_report_date(cooperative, as_of or today)
    if day == today:
        return _live_report(cooperative, day)
    return _snapshot_report(cooperative, day)


def _totals(
    cooperative: Cooperative, as_of: dt.date, classes: tuple[ClassLine, ...], **rest: object
) -> QualityReport:
    outstanding = sum((c.outstanding for c in classes), ZERO)
    problem = sum((c.outstanding for c in classes if c.klass >= KURANG_LANCAR), ZERO)
    return QualityReport(
        as_of=as_of,
        regime=str(cooperative.collectibility_regime),
        classes=classes,
        loans=sum(c.loans for c in classes),
        outstanding=outstanding,
        required=sum((c.required for c in classes), ZERO),
        problem=problem,
        npl_percent=ratio(problem, outstanding),
        band=band_of(problem, outstanding),
        **rest,  # type: ignore[arg-type]
    )


def _live_report(cooperative: Cooperative, day: dt.date) -> QualityReport:
    groups = loans.quality_groups(cooperative=cooperative, by_product=True)
    by_class: dict[int, list[QualityGroup]] = {}
    by_product: dict[int | None, list[QualityGroup]] = {}
    for group in groups:
        by_class.setdefault(group.collectibility, []).append(group)
        by_product.setdefault(group.product_id, []).append(group)
    merged = {klass: _merge(found, klass) for klass, found in by_class.items()}
    classes = _class_lines(merged)
    total = sum((c.outstanding for c in classes), ZERO)
    par = tuple(
        ParLine(days, risk, ratio(risk, total))
        for days, risk in zip(
            PAR_DAYS,
            (sum((g.at_risk[i] for g in merged.values()), ZERO) for i in range(len(PAR_DAYS))),
            strict=True,
        )
    )
    return _totals(
        cooperative,
        day,
        classes,
        source="loans",
        snapshot_date=None,
        history_from=None,
        held=allowance_held(cooperative, None),
        par=par,
        products=_product_lines(cooperative, by_product),
    )


def _product_lines(
    cooperative: Cooperative, by_product: dict[int | None, list[QualityGroup]]
) -> tuple[ProductLine, ...]:
    names = {
        p.pk: (p.code, p.name)
        for p in LoanProduct.objects.filter(cooperative=cooperative).only("code", "name")
    }
    lines = []
    for product_id, found in by_product.items():
        code, name = names.get(product_id or 0, ("", ""))
        outstanding = sum((g.outstanding for g in found), ZERO)
        problem = sum((g.outstanding for g in found if g.collectibility >= KURANG_LANCAR), ZERO)
        par30 = sum((g.at_risk[PAR_DAYS.index(30)] for g in found), ZERO)
        lines.append(
            ProductLine(
                code=code,
                name=name,
                loans=sum(g.loans for g in found),
                outstanding=outstanding,
                problem=problem,
                npl_percent=ratio(problem, outstanding),
                band=band_of(problem, outstanding),
                par30_percent=ratio(par30, outstanding),
                required=sum((g.allowance for g in found), ZERO),
            )
        )
    return tuple(sorted(lines, key=lambda line: line.code))


def _snapshot_report(cooperative: Cooperative, day: dt.date) -> QualityReport:
    snapshots = QualitySnapshot.objects.filter(cooperative=cooperative)
    span = snapshots.aggregate(
        first=Min("business_date"), last=Max("business_date", filter=Q(business_date__lte=day))
    )
    held = allowance_held(cooperative, day)
    if span["last"] is None:
        return _totals(
            cooperative,
            day,
            _class_lines({}),
            source="none",
            snapshot_date=None,
            history_from=span["first"],
            held=held,
            par=(),
            products=(),
        )
    rows = list(snapshots.filter(business_date=span["last"]))
    groups = {
        row.collectibility: QualityGroup(
            collectibility=row.collectibility,
            loans=row.loans,
            outstanding=row.outstanding,
            uncovered=row.outstanding - row.collateral,
            at_risk=tuple(getattr(row, f"par{d}") or ZERO for d in PAR_DAYS),
        )
        for row in rows
    }
    # The snapshot's own allowance: what the day-end required that day.
    stored = {row.collectibility: row.allowance for row in rows}
    classes = tuple(
        replace(line, required=stored.get(line.klass, ZERO)) for line in _class_lines(groups)
    )
    total = sum((c.outstanding for c in classes), ZERO)
    par: tuple[ParLine, ...] = ()
    if all(row.par1 is not None for row in rows):
        risks = [sum((g.at_risk[i] for g in groups.values()), ZERO) for i in range(len(PAR_DAYS))]
        par = tuple(
            ParLine(days, risk, ratio(risk, total))
            for days, risk in zip(PAR_DAYS, risks, strict=True)
        )
    return _totals(
        cooperative,
        day,
        classes,
        source="snapshot",
        snapshot_date=span["last"],
        history_from=span["first"],
        held=held,
        par=par,
        products=(),
    )


# ---------------------------------------------------------------- the trend


@dataclass(frozen=True)
class TrendPoint:
    month_end: dt.date
    snapshot_date: dt.date | None  # the last day-end of that month; None: no snapshot
    outstanding: Decimal | None
    npl_percent: Decimal | None
    par30_percent: Decimal | None  # None also when the snapshot kept no PAR sums


def month_ends(today: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The last `months` month ends on or before today, oldest first."""
    last = month_bounds(today.year, today.month)[1]
    if last > today:
        last = today.replace(day=1) - dt.timedelta(days=1)
    ends = []
    for back in range(months - 1, -1, -1):
        first = add_months(last.replace(day=1), -back)
        ends.append(month_bounds(first.year, first.month)[1])
    return ends


def quality_trend(
    *, cooperative: Cooperative, months: int = TREND_MONTHS, today: dt.date | None = None
) -> list[TrendPoint]:
    """NPL ratio and PAR30 at each of the last `months` month ends, from the last day-end
    snapshot of each month (one query over the period's snapshots)."""
    ends = month_ends(today or business_today(cooperative), months)
    rows = QualitySnapshot.objects.filter(
        cooperative=cooperative,
        business_date__gte=ends[0].replace(day=1),
        business_date__lte=ends[-1],
    ).values_list("business_date", "collectibility", "outstanding", "par30")
    by_date: dict[dt.date, list[tuple[int, Decimal, Decimal | None]]] = {}
    for day, klass, outstanding, par30 in rows.iterator():
        by_date.setdefault(day, []).append((klass, outstanding, par30))
    last_of_month: dict[tuple[int, int], dt.date] = {}
    for day in by_date:
        key = (day.year, day.month)
        if day > last_of_month.get(key, dt.date.min):
            last_of_month[key] = day
    points = []
    for end in ends:
        day = last_of_month.get((end.year, end.month))
        if day is None:
            points.append(TrendPoint(end, None, None, None, None))
            continue
        found = by_date[day]
        total = sum((o for _k, o, _p in found), ZERO)
        problem = sum((o for k, o, _p in found if k >= KURANG_LANCAR), ZERO)
        kept = all(p is not None for _k, _o, p in found)
        par30 = sum((p or ZERO for _k, _o, p in found), ZERO)
        points.append(
            TrendPoint(
                month_end=end,
                snapshot_date=day,
                outstanding=total,
                npl_percent=ratio(problem, total),
                par30_percent=ratio(par30, total) if kept else None,
            )
        )
    return points
