"""The SHU over the API: the proposal of a closed year (staff) and a member's own SHU."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router, Schema

from koperasi.common.api import ERRORS, Limit, Money, Offset, QueryInt, authorize
from koperasi.errors import NotFound
from koperasi.shu import figures
from koperasi.tenancy.permissions import VIEW_LEDGER

router = Router(tags=["shu"])

# ASCII digits only, as every whole number in an address (common.api).
Year = Annotated[QueryInt, Path(..., ge=1900, le=2999, description="a closed financial year")]


class ShuPoolOut(Schema):
    fund: str
    percent: Decimal
    amount: Money


class ShuMemberShareOut(Schema):
    member_number: str
    jasa_modal: Money
    jasa_usaha: Money
    total: Money


class ShuSimulationOut(Schema):
    year: int
    surplus: Money
    member_part: Money
    non_member_part: Money
    pools: list[ShuPoolOut]
    total_savings: Money
    total_transactions: Money
    remainder: Money
    members: list[ShuMemberShareOut]
    count: int


class ShuWorkingOut(Schema):
    figure: Money
    total: Money
    pool: Money
    share: Money


class MyShuOut(Schema):
    year: int
    jasa_modal: ShuWorkingOut
    jasa_usaha: ShuWorkingOut
    total: Money
    distributed: bool
    paid_on: dt.date | None
    paid_via: str  # "savings", "cash", or "" while unpaid


@router.get("/{year}/simulation", response={200: ShuSimulationOut, **ERRORS})
def simulation(
    request: HttpRequest, year: Year, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """The SHU of a closed year shared by the cooperative's rules (nothing is written); the
    members' shares in member order, paged."""
    caller = authorize(request, VIEW_LEDGER)
    sim = figures.simulate(cooperative=caller.cooperative, year=year)
    shares = sim.result.members
    shown = shares[offset : offset + limit]
    numbers = sim.numbers(shown)
    return {
        "year": sim.year.year,
        "surplus": sim.year.surplus,
        "member_part": sim.year.member_part,
        "non_member_part": sim.year.non_member_part,
        "pools": [
            {"fund": p.fund, "percent": p.percent, "amount": p.amount} for p in sim.result.pools
        ],
        "total_savings": sim.result.total_savings,
        "total_transactions": sim.result.total_transactions,
        "remainder": sim.result.remainder,
        "members": [
            {
                "member_number": numbers.get(s.id, s.id),
                "jasa_modal": s.jasa_modal,
                "jasa_usaha": s.jasa_usaha,
                "total": s.total,
            }
            for s in shown
        ],
        "count": len(shares),
    }


def _working(w: Any) -> dict[str, Any]:
    return {"figure": w.figure, "total": w.total, "pool": w.pool, "share": w.share}


@router.get("/{year}/me", response={200: MyShuOut, **ERRORS})
def my_shu(request: HttpRequest, year: Year) -> dict[str, Any]:
    """The calling member's SHU of a closed year with its working (a member's own token)."""
    caller = authorize(request, VIEW_LEDGER, member_ok=True)
    if caller.member is None:
        raise NotFound()
    for item in figures.my_shu(cooperative=caller.cooperative, member=caller.member):
        if item.year.year == year:
            return {
                "year": year,
                "jasa_modal": _working(item.jasa_modal),
                "jasa_usaha": _working(item.jasa_usaha),
                "total": item.total,
                "distributed": item.share is not None,
                "paid_on": item.share.paid_on if item.share else None,
                "paid_via": item.share.paid_via if item.share else "",
            }
    raise NotFound()
