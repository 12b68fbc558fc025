"""The reports over the API (read-only): the financial statements and the trial balance as of
a date, and the health assessment. Every statement has one shape (`StatementOut`), as on the
page, the PDF and the XLSX."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from koperasi.common.api import ERRORS, IsoDate, Money, authorize
from koperasi.ledger import selectors as ledger
from koperasi.ledger import services as ledger_services
from koperasi.reports import flows, health
from koperasi.reports.portfolio_api import router as portfolio_router
from koperasi.reports.statements import Row, Statement, check_date, position
from koperasi.tenancy.permissions import VIEW_LEDGER

router = Router(tags=["reports"])
# The loan portfolio report (reports/portfolio_api.py) under the same /reports prefix.
router.add_router("", portfolio_router)

AsOf = Annotated[
    IsoDate | None, Query(None, description="YYYY-MM-DD; the business date when left out")
]
PeriodFrom = Annotated[
    IsoDate | None,
    Query(None, alias="from", description="YYYY-MM-DD; 1 January of as_of's year when left out"),
]


class StatementAccountOut(Schema):
    code: str
    name: str
    amounts: list[Money]


class StatementRowOut(Schema):
    label: str
    style: str = Field(description="heading, line, subtotal or total")
    line: str = Field(description="the statement line's code, empty for totals")
    amounts: list[Money | None] = Field(description="one per column; none for a heading")
    unmapped: bool
    accounts: list[StatementAccountOut]


class StatementOut(Schema):
    statement: str
    title: str
    columns: list[str]
    rows: list[StatementRowOut]
    warnings: list[str]


class ReportTrialBalanceRowOut(Schema):
    code: str
    name: str
    debit: Money
    credit: Money


class ReportTrialBalanceOut(Schema):
    as_of: dt.date
    rows: list[ReportTrialBalanceRowOut]
    total_debit: Money
    total_credit: Money
    balanced: bool


def _row(row: Row) -> dict[str, Any]:
    return {
        "label": str(row.label),
        "style": row.style,
        "line": row.code,
        "amounts": [None if row.style == "heading" else a for a in row.amounts],
        "unmapped": row.unmapped,
        "accounts": [
            {"code": a.code, "name": a.name, "amounts": list(a.amounts)} for a in row.accounts
        ],
    }


def _out(statement: Statement) -> dict[str, Any]:
    return {
        "statement": statement.key,
        "title": str(statement.title),
        "columns": list(statement.columns),
        "rows": [_row(row) for row in statement.rows],
        "warnings": [str(w) for w in statement.warnings],
    }


def _period(request: HttpRequest, as_of: dt.date | None, first: dt.date | None) -> Any:
    caller = authorize(request, VIEW_LEDGER)
    last = as_of or ledger_services.business_today(caller.cooperative)
    return caller.cooperative, (first or last.replace(month=1, day=1), last)


@router.get("/balance-sheet", response={200: StatementOut, **ERRORS})
def balance_sheet(
    request: HttpRequest,
    as_of: AsOf = None,
    compare_to: Annotated[IsoDate | None, Query(None, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    """Laporan posisi keuangan as of a date, with a comparison date beside it when given."""
    caller = authorize(request, VIEW_LEDGER)
    day = as_of or ledger_services.business_today(caller.cooperative)
    return _out(position(cooperative=caller.cooperative, as_of=day, compare_to=compare_to))


@router.get("/income-statement", response={200: StatementOut, **ERRORS})
def income_statement(
    request: HttpRequest, as_of: AsOf = None, date_from: PeriodFrom = None
) -> dict[str, Any]:
    """Laporan hasil usaha for the period (from 1 January to as_of unless `from` is given),
    with the surplus from members and from non-members."""
    coop, period = _period(request, as_of, date_from)
    return _out(flows.activity(cooperative=coop, period=period))


@router.get("/equity-changes", response={200: StatementOut, **ERRORS})
def equity_changes(
    request: HttpRequest, as_of: AsOf = None, date_from: PeriodFrom = None
) -> dict[str, Any]:
    """Laporan perubahan ekuitas for the period."""
    coop, period = _period(request, as_of, date_from)
    return _out(flows.equity_changes(cooperative=coop, period=period))


@router.get("/cash-flow", response={200: StatementOut, **ERRORS})
def cash_flow(
    request: HttpRequest, as_of: AsOf = None, date_from: PeriodFrom = None
) -> dict[str, Any]:
    """Laporan arus kas (indirect method) for the period."""
    coop, period = _period(request, as_of, date_from)
    return _out(flows.cash_flow(cooperative=coop, period=period))


@router.get("/trial-balance", response={200: ReportTrialBalanceOut, **ERRORS})
def trial_balance(request: HttpRequest, as_of: AsOf = None) -> dict[str, Any]:
    """Every postable account's balance as of a date (today's when left out)."""
    caller = authorize(request, VIEW_LEDGER)
    coop = caller.cooperative
    day = check_date(coop, as_of or ledger_services.business_today(coop))
    rows, total_debit, total_credit = ledger.trial_balance(cooperative=coop, as_of=day)
    return {
        "as_of": day,
        "rows": [
            {"code": r.account.code, "name": r.account.name, "debit": r.debit, "credit": r.credit}
            for r in rows
        ],
        "total_debit": total_debit,
        "total_credit": total_credit,
        "balanced": total_debit == total_credit,
    }


class HealthComponentOut(Schema):
    code: str
    aspect: str
    name: str
    numerator: Money
    denominator: Money
    ratio: Decimal | None = Field(description="percent, two places; none without a denominator")
    score: Decimal
    weight: Decimal
    weighted: Decimal
    verified: bool
    source: str


class PearlsOut(Schema):
    code: str
    name: str
    numerator: Money
    denominator: Money
    ratio: Decimal | None
    goal: str
    meets: bool | None


class HealthOut(Schema):
    as_of: dt.date
    total: Decimal
    category: str
    category_label: str
    components: list[HealthComponentOut]
    pearls: list[PearlsOut]
    notes: list[str]


@router.get("/health", response={200: HealthOut, **ERRORS})
def health_assessment(request: HttpRequest, as_of: AsOf = None) -> dict[str, Any]:
    """The health assessment (penilaian kesehatan) with its working, and the PEARLS ratios."""
    caller = authorize(request, VIEW_LEDGER)
    coop = caller.cooperative
    report = health.assessment(
        cooperative=coop, as_of=as_of or ledger_services.business_today(coop)
    )
    return {
        "as_of": report.as_of,
        "total": report.total,
        "category": report.category,
        "category_label": str(report.category_label),
        "components": [
            {
                **{f: getattr(c, f) for f in ("code", "numerator", "denominator", "ratio")},
                **{f: getattr(c, f) for f in ("score", "weight", "weighted", "verified")},
                "aspect": str(c.aspect),
                "name": str(c.name),
                "source": c.source,
            }
            for c in report.components
        ],
        "pearls": [
            {
                **{f: getattr(p, f) for f in ("code", "numerator", "denominator", "ratio")},
                "name": str(p.name),
                "goal": p.goal,
                "meets": p.meets,
            }
            for p in report.pearls
        ],
        "notes": list(report.notes),
    }
