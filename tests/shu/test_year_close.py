"""Closing a year from its page: the SHU with the members' and non-members' parts, refusals."""

import datetime as dt
from decimal import Decimal

from koperasi.ledger import services as ledger
from koperasi.shu.models import ShuYear
from tests.conftest import books_snapshot, make_user
from tests.reports.test_statements import books  # noqa: F401  (fixture)

D = Decimal


def test_the_page_closes_a_ready_year_once(books, client, admin_user):  # noqa: F811
    client.force_login(admin_user)
    url = f"/k/{books.code}/shu/tutup-tahun/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-year="2025"' in page.content
    refused = client.post(url, {"year": "2025"})  # its months are still open
    assert refused.status_code == 400 and not ShuYear.objects.exists()
    for month in range(1, 13):
        ledger.close_month(cooperative=books, actor=None, year=2025, month=month)
    assert client.post(url, {"year": "2025"}).status_code == 302
    shu = ShuYear.objects.get(cooperative=books, year=2025)
    # 2025: interest from members 900,000 less salaries 300,000; nothing from non-members.
    assert (shu.surplus, shu.member_part, shu.non_member_part) == (
        D("600000.00"),
        D("600000.00"),
        D("0.00"),
    )
    before = books_snapshot(books)
    again = client.post(url, {"year": "2025"})
    assert again.status_code == 409
    assert books_snapshot(books) == before
    assert client.post(url, {"year": "dua"}).status_code == 400


def test_a_supervisor_sees_but_cannot_close(books, client):  # noqa: F811
    client.force_login(make_user("pengawas-y", books, "supervisor"))
    url = f"/k/{books.code}/shu/tutup-tahun/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"year": "2025"}).status_code == 403
    assert ledger.business_today(books) >= dt.date(2026, 1, 1)
