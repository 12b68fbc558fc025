"""The savings reports' figures, against the movements and accounts they summarise."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from koperasi.reports import savings_reports as reports
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from tests.conftest import make_coop
from tests.reports.savings_world import _fixed_today, savings_world_fixture  # noqa: F401

D = Decimal
Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 15))


def test_balances_by_product(savings_world):
    coop = savings_world["coop"]
    rows, total = reports.balances_by_product(cooperative=coop)
    by_code = {r.code: r for r in rows}
    assert (by_code["SP"].accounts, by_code["SP"].total) == (2, D("200000"))
    assert (by_code["SW"].accounts, by_code["SW"].total) == (2, D("50000"))
    assert by_code["SS"].accounts == by_code["SS"].open_accounts == 2
    expected = SavingsAccount.objects.filter(cooperative=coop).aggregate(t=Sum("balance"))["t"]
    assert total == expected and by_code["SS"].total > D("121000000")


def test_balances_by_member_page_and_search(savings_world):
    coop, maria = savings_world["coop"], savings_world["maria"]
    first = reports.balances_by_member(cooperative=coop, size=1)
    assert first.has_next and first.rows[0].member == maria
    row = first.rows[0]
    assert row.by_kind["pokok"] == D("100000") and row.by_kind["wajib"] == 0
    assert row.total == sum(
        SavingsAccount.objects.filter(member=maria).values_list("balance", flat=True), D("0")
    )
    second = reports.balances_by_member(cooperative=coop, size=1, raw_page="2")
    assert not second.has_next and second.rows[0].member == savings_world["yosef"]
    found = reports.balances_by_member(cooperative=coop, query="Yosef")
    assert [r.member for r in found.rows] == [savings_world["yosef"]]
    assert len(list(reports.all_member_balances(cooperative=coop, limit=1))) == 1


def test_movements_by_month(savings_world):
    coop = savings_world["coop"]
    rows = reports.movements_by_month(cooperative=coop, date_from=Q1[0], date_to=Q1[1])
    by_key = {(r.month, r.product, r.kind): r for r in rows}
    deposits = by_key[(dt.date(2026, 1, 1), "Simpanan Sukarela", "deposit")]
    assert (deposits.count, deposits.total) == (2, D("121000000"))
    assert by_key[(dt.date(2026, 2, 1), "Simpanan Wajib", "deposit")].total == D("50000")
    assert by_key[(dt.date(2026, 1, 1), "Simpanan Sukarela", "tax")].count == 1
    movements = SavingsTransaction.objects.filter(cooperative=coop)
    assert sum(r.total for r in rows) == movements.aggregate(t=Sum("amount"))["t"]
    assert sum(r.count for r in rows) == movements.count()
    only_feb = reports.movements_by_month(
        cooperative=coop, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28)
    )
    assert {r.month for r in only_feb} == {dt.date(2026, 2, 1)}


def test_wajib_arrears_oldest_first(savings_world):
    coop, maria, yosef = savings_world["coop"], savings_world["maria"], savings_world["yosef"]
    page = reports.wajib_arrears(cooperative=coop, as_of=dt.date(2026, 3, 15))
    got = [(r.member_id, r.months, r.oldest, r.amount) for r in page.rows]
    assert got == [
        (maria.pk, 2, dt.date(2026, 2, 1), D("100000")),
        (yosef.pk, 1, dt.date(2026, 3, 1), D("50000")),
    ]
    summary = reports.wajib_arrears_summary(cooperative=coop, as_of=dt.date(2026, 3, 15))
    assert (summary.members, summary.months, summary.amount) == (2, 3, D("150000"))
    february = reports.wajib_arrears(cooperative=coop, as_of=dt.date(2026, 2, 20))
    assert [(r.member_id, r.months) for r in february.rows] == [(maria.pk, 1)]
    one = reports.wajib_arrears(cooperative=coop, as_of=dt.date(2026, 3, 15), size=1)
    assert one.has_next and [r.member_id for r in one.rows] == [maria.pk]
    assert (
        reports.wajib_arrears_summary(cooperative=make_coop(code="kosong"), as_of=Q1[1]).members
        == 0
    )


def test_interest_and_tax_by_month(savings_world):
    coop = savings_world["coop"]
    rows = reports.interest_by_month(cooperative=coop, date_from=Q1[0], date_to=Q1[1])
    assert [r.month_end for r in rows] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    for row in rows:
        month = SavingsTransaction.objects.filter(cooperative=coop, business_date=row.month_end)
        gross = month.filter(kind="interest").aggregate(t=Sum("amount"))["t"]
        tax = -month.filter(kind="tax").aggregate(t=Sum("amount"))["t"]
        assert (row.gross, row.tax, row.net) == (gross, tax, gross - tax)
        assert (row.accounts, row.taxed_accounts) == (2, 1)
        assert row.tax > 0
