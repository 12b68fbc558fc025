"""The quality report against a hand-computed book: classes, allowance, PAR boundaries, NPL."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.errors import ServiceError
from koperasi.loans.models import QualitySnapshot
from koperasi.reports import portfolio
from tests.reports.conftest import build_book

D = Decimal


def test_classes_and_allowance_by_hand(book):
    report = portfolio.quality_report(cooperative=book.coop)
    assert report.source == "loans"
    assert report.loans == 6
    assert report.outstanding == D("21000000")
    by_class = {c.klass: c for c in report.classes}
    assert (by_class[1].loans, by_class[1].outstanding) == (1, D("1000000"))
    assert (by_class[2].loans, by_class[2].outstanding) == (4, D("14000000"))
    assert (by_class[3].loans, by_class[3].outstanding) == (1, D("6000000"))
    assert by_class[4].loans == by_class[5].loans == 0
    # 0.5 % of 1.000.000; 3 % of 14.000.000; 10 % of (6.000.000 − 2.000.000 collateral)
    assert by_class[1].required == D("5000")
    assert by_class[2].required == D("420000")
    assert by_class[3].collateral == D("2000000")
    assert by_class[3].required == D("400000")
    assert report.required == D("825000")
    assert report.held == D("0")  # no day-end has booked the allowance yet
    assert report.shortfall == D("825000")


def test_par_boundaries_at_exactly_30_60_90_days(book):
    report = portfolio.quality_report(cooperative=book.coop)
    par = {p.days: (p.outstanding, p.percent) for p in report.par}
    assert par[1] == (D("20000000"), D("95.24"))  # every loan but the one on time
    assert par[30] == (D("18000000"), D("85.71"))  # 30 days counts, 29 does not
    assert par[60] == (D("15000000"), D("71.43"))  # 60, 90, 91
    assert par[90] == (D("11000000"), D("52.38"))  # 90, 91


def test_npl_ratio_and_band(book):
    report = portfolio.quality_report(cooperative=book.coop)
    assert report.problem == D("6000000")
    assert report.npl_percent == D("28.57")
    assert report.band == "Tidak Sehat"
    (line,) = report.products
    assert (line.code, line.loans, line.outstanding) == ("UJI", 6, D("21000000"))
    assert line.npl_percent == D("28.57")
    assert line.required == D("825000")


@pytest.mark.parametrize(
    ("problem", "band"),
    [("5", "Sehat"), ("5.01", "Cukup Sehat"), ("10", "Cukup Sehat"), ("15", "Kurang Sehat"),
     ("15.01", "Tidak Sehat")],
)  # fmt: skip
def test_health_bands_at_their_edges(problem, band):
    assert portfolio.band_of(D(problem), D("100")) == band


def test_the_day_end_keeps_par_in_its_snapshot_and_a_past_date_reads_it(book):
    from koperasi.bulk import Batch
    from koperasi.loans.services.close_steps import adjust_allowance

    adjust_allowance(Batch(book.coop, book.today, "loan_allowance", 0, 0, None))
    kept = {s.collectibility: s for s in QualitySnapshot.objects.filter(cooperative=book.coop)}
    assert kept[2].par30 == D("12000000") and kept[3].par90 == D("6000000")
    assert sum(s.allowance for s in kept.values()) == D("825000")
    # A report of that day (moved back one day here) reads the snapshot.
    QualitySnapshot.objects.filter(cooperative=book.coop).update(
        business_date=book.today - dt.timedelta(days=1)
    )
    report = portfolio.quality_report(
        cooperative=book.coop, as_of=book.today - dt.timedelta(days=1)
    )
    assert report.source == "snapshot"
    assert report.required == D("825000")
    # The CKPN entry was booked today: held as of yesterday is nothing, today the total.
    assert report.held == D("0")
    assert portfolio.quality_report(cooperative=book.coop).held == D("825000")
    assert [p.percent for p in report.par] == [D("95.24"), D("85.71"), D("71.43"), D("52.38")]
    assert report.npl_percent == D("28.57")
    assert report.products == ()


def test_a_past_date_without_snapshot_says_what_is_kept(book):
    report = portfolio.quality_report(cooperative=book.coop, as_of=dt.date(2021, 5, 1))
    assert report.source == "none" and not report.available
    assert report.history_from is None


@pytest.mark.parametrize(
    ("day", "code"),
    [(dt.timedelta(days=1), "date_in_future"), (None, "before_cooperative")],
)
def test_dates_in_the_future_or_before_the_cooperative_are_refused(book, day, code):
    as_of = book.today + day if day else dt.date(2019, 12, 31)
    with pytest.raises(ServiceError) as refused:
        portfolio.quality_report(cooperative=book.coop, as_of=as_of)
    assert refused.value.code == code and refused.value.status == 400


def test_two_cooperatives_see_only_their_own_loans(db):
    first = build_book("satu")
    second = build_book("dua")
    from koperasi.loans.models import Loan

    Loan.objects.filter(cooperative=second.coop).update(collectibility=5, days_past_due=400)
    one = portfolio.quality_report(cooperative=first.coop)
    two = portfolio.quality_report(cooperative=second.coop)
    assert one.outstanding == two.outstanding == D("21000000")
    assert one.npl_percent == D("28.57") and two.npl_percent == D("100.00")


def test_trend_reads_the_last_snapshot_of_each_month(book):
    def snap(day, klass, outstanding, par30):
        QualitySnapshot.objects.create(
            cooperative=book.coop,
            business_date=day,
            collectibility=klass,
            loans=1,
            outstanding=D(outstanding),
            collateral=D(0),
            allowance=D(0),
            par30=None if par30 is None else D(par30),
            par1=None if par30 is None else D(par30),
        )

    ends = portfolio.month_ends(book.today)
    assert len(ends) == 24 and ends[-1] <= book.today
    last = ends[-1]
    snap(last - dt.timedelta(days=3), 1, "1000", "0")  # an earlier day of the month: ignored
    snap(last, 1, "900", "100")
    snap(last, 3, "100", "100")
    older = ends[-2]
    snap(older, 1, "500", None)  # before PAR was kept
    points = portfolio.quality_trend(cooperative=book.coop, today=book.today)
    assert [p.month_end for p in points] == ends
    assert points[-1].npl_percent == D("10.00") and points[-1].par30_percent == D("20.00")
    assert points[-2].npl_percent == D("0.00") and points[-2].par30_percent is None
    assert points[0].snapshot_date is None and points[0].npl_percent is None
