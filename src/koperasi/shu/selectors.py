"""Reads of the SHU app: the years of a cooperative and where each stands; a distribution's
report and its shares."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from koperasi.domain.money import ZERO
from koperasi.errors import NotFound
from koperasi.ledger import selectors as ledger
from koperasi.ledger.selectors import grouped_sums
from koperasi.members import selectors as members
from koperasi.shu.models import ShuDistribution, ShuShare, ShuYear
from koperasi.tenancy.models import Cooperative


@dataclass(frozen=True)
class YearState:
    year: int
    shu: ShuYear | None
    months_closed: bool


def years(*, cooperative: Cooperative, today: dt.date) -> list[YearState]:
    """Every year from the first entry's to last year, newest first."""
    first = ledger.first_entry_date(cooperative=cooperative)
    if first is None:
        return []
    closed = {s.year: s for s in ShuYear.objects.filter(cooperative=cooperative)}
    books = Cooperative.objects.values_list("books_closed_through", flat=True).get(
        pk=cooperative.pk
    )
    return [
        YearState(year, closed.get(year), books is not None and books >= dt.date(year, 12, 31))
        for year in range(today.year - 1, first.year - 1, -1)
    ]


# --- The distribution report -------------------------------------------------------------------


@dataclass(frozen=True)
class PaidGroup:
    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class DistributionReport:
    distribution: ShuDistribution
    funds: list[tuple[str, str, Decimal]]  # (account code, account name, credited)
    groups: list[PaidGroup]  # into savings, in cash, unpaid

    @property
    def unpaid(self) -> PaidGroup:
        return self.groups[-1]


def distribution_of(*, cooperative: Cooperative, year: int) -> ShuDistribution:
    found = (
        ShuDistribution.objects.select_related("shu_year", "entry")
        .filter(cooperative=cooperative, shu_year__year=year)
        .first()
    )
    if found is None:
        raise NotFound(_("The SHU of %(year)s has not been distributed.") % {"year": year})
    return found


def distribution_report(*, distribution: ShuDistribution) -> DistributionReport:
    """Where the year's SHU went (the distribution entry's credits, by account) and the shares
    by how they were paid: two grouped queries, whatever the number of members."""
    funds = [
        (p.account.code, p.account.name, p.credit)
        for p in distribution.entry.postings.select_related("account").order_by("account__code")
        if p.credit
    ]
    shares = ShuShare.objects.filter(distribution=distribution)
    counts = dict(
        shares.order_by().values("paid_via").annotate(n=Count("pk")).values_list("paid_via", "n")
    )
    totals = grouped_sums(shares, "paid_via", ["total"])  # exact on SQLite too
    labels = dict(ShuShare.PaidVia.choices)
    groups = [
        PaidGroup(
            str(labels[way]) if way else _("Not paid yet"),
            counts.get(way, 0),
            totals.get(way, (ZERO,))[0],
        )
        for way in (ShuShare.PaidVia.SAVINGS, ShuShare.PaidVia.CASH, "")
    ]
    return DistributionReport(distribution, funds, groups)


def shares(
    *, distribution: ShuDistribution, query: str = "", unpaid: bool = False
) -> QuerySet[ShuShare]:
    """The shares of a distribution in member order, with the member; `query` finds members
    as the member search does (name, number, NIK, phone, each on its index)."""
    rows = ShuShare.objects.filter(distribution=distribution).select_related("member")
    if unpaid:
        rows = rows.filter(paid_on__isnull=True)
    if query.strip():
        found = members.search_members(cooperative=distribution.cooperative, query=query)
        rows = rows.filter(member__in=found.values("pk"))
    return rows.order_by("member_id")


def share(*, cooperative: Cooperative, share_id: int) -> ShuShare:
    found = (
        ShuShare.objects.select_related(
            "member", "distribution__shu_year", "payment_entry", "paid_by"
        )
        .filter(cooperative=cooperative, pk=share_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found
