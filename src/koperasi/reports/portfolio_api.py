"""The loan portfolio's quality report over the API: GET /reports/portfolio?as_of=YYYY-MM-DD."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from koperasi.common.api import ERRORS, IsoDate, Money, authorize
from koperasi.reports import portfolio
from koperasi.tenancy.permissions import VIEW_LOANS

router = Router(tags=["reports"])

# A percentage with two decimals ("4.25" is 4.25 %); null when there is nothing to divide by.
Percent = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", examples=["4.25"])] | None


def _percent(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


class PortfolioClassOut(Schema):
    collectibility: int = Field(description="1 Lancar … 5 Macet")
    name: str
    loans: int
    outstanding: Money
    collateral: Money = Field(description="Collateral deducted before the rate (not for Lancar)")
    rate: str = Field(description="The allowance rate in percent")
    allowance_required: Money


class PortfolioParOut(Schema):
    days: int = Field(description="Loans at least this many days past due")
    outstanding: Money
    percent: Percent


class PortfolioProductOut(Schema):
    code: str
    name: str
    loans: int
    outstanding: Money
    problem_loans: Money
    npl_percent: Percent
    health_band: str
    par30_percent: Percent
    allowance_required: Money


class PortfolioQualityOut(Schema):
    as_of: dt.date
    source: str = Field(
        description="loans: computed from today's loans; snapshot: the day-end snapshot of "
        "snapshot_date; none: no snapshot on or before as_of (history starts on history_from)"
    )
    snapshot_date: dt.date | None
    history_from: dt.date | None
    regime: str
    loans: int
    outstanding: Money
    classes: list[PortfolioClassOut]
    allowance_required: Money
    allowance_held: Money = Field(description="Credit balance of the CKPN account")
    allowance_shortfall: Money = Field(description="Required − held")
    par: list[PortfolioParOut] = Field(description="Empty when the snapshot kept no PAR sums")
    problem_loans: Money = Field(description="Kurang Lancar + Diragukan + Macet")
    npl_percent: Percent
    health_band: str = Field(description="Sehat, Cukup Sehat, Kurang Sehat or Tidak Sehat")
    products: list[PortfolioProductOut] = Field(description="Today's report only")


@router.get("/portfolio", response={200: PortfolioQualityOut, **ERRORS})
def portfolio_quality(
    request: HttpRequest,
    as_of: Annotated[
        IsoDate | None, Query(None, description="YYYY-MM-DD; today if left out")
    ] = None,
) -> dict[str, Any]:
    """Loans by kolektibilitas class with the allowance required and held, portfolio at risk
    (PAR 1/30/60/90), the problem-loan ratio and its health band, by product (today)."""
    caller = authorize(request, VIEW_LOANS)
    report = portfolio.quality_report(cooperative=caller.cooperative, as_of=as_of)
    return {
        "as_of": report.as_of,
        "source": report.source,
        "snapshot_date": report.snapshot_date,
        "history_from": report.history_from,
        "regime": report.regime,
        "loans": report.loans,
        "outstanding": report.outstanding,
        "classes": [
            {
                "collectibility": c.klass,
                "name": c.name,
                "loans": c.loans,
                "outstanding": c.outstanding,
                "collateral": c.collateral,
                "rate": f"{c.rate.normalize():f}",
                "allowance_required": c.required,
            }
            for c in report.classes
        ],
        "allowance_required": report.required,
        "allowance_held": report.held,
        "allowance_shortfall": report.shortfall,
        "par": [
            {"days": p.days, "outstanding": p.outstanding, "percent": _percent(p.percent)}
            for p in report.par
        ],
        "problem_loans": report.problem,
        "npl_percent": _percent(report.npl_percent),
        "health_band": report.band,
        "products": [
            {
                "code": p.code,
                "name": p.name,
                "loans": p.loans,
                "outstanding": p.outstanding,
                "problem_loans": p.problem,
                "npl_percent": _percent(p.npl_percent),
                "health_band": p.band,
                "par30_percent": _percent(p.par30_percent),
                "allowance_required": p.required,
            }
            for p in report.products
        ],
    }
