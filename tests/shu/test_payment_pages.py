"""The distributed SHU's pages: the distribution from the proposal page, the report (funds,
shares by payment, every member's share; PDF, XLSX), payments in cash at the teller with a
receipt and into savings, each refused with a clear message and nothing changed when it cannot
be, and only for the roles that may."""

import datetime as dt
import io
import re

import openpyxl
import pytest

from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.shu import figures
from koperasi.shu.models import ShuDistribution, ShuShare
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_coop, make_user
from tests.web.language_check import english_words


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


@pytest.fixture
def distributed(closed, client):
    coop, year, admin = closed
    if figures.closed_year(coop, year).surplus <= 0:
        pytest.skip("the demo's year made no surplus")
    client.force_login(admin)
    page = client.get(f"/k/{coop.code}/shu/{year}/usulan/")
    answer = client.post(
        f"/k/{coop.code}/shu/{year}/bagikan/",
        {
            "idempotency_key": _key(page.content.decode()),
            "approved_on": dt.date(year + 1, 3, 15).isoformat(),
            "approval_reference": "Keputusan RAT No. 3",
            # pay_into_savings left unticked: the shares stay payable
        },
    )
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{year}/pembagian/")
    return coop, year, admin, ShuDistribution.objects.get(cooperative=coop)


def test_the_report_shows_where_the_shu_went_and_every_share(distributed, client):
    coop, year, _admin, distribution = distributed
    url = f"/k/{coop.code}/shu/{year}/pembagian/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "data-funds" in html and "Belum dibayar" in html
    assert english_words(html, (coop.name,)) == []
    first = ShuShare.objects.filter(distribution=distribution).order_by("member_id").first()
    assert f'data-share="{first.member.number}"' in html
    found = client.get(url, {"q": first.member.number}).content.decode()
    assert found.count("data-share=") >= 1 and f'data-share="{first.member.number}"' in found
    assert client.get(url, {"q": "zzzz-nobody"}).content.decode().count("data-share=") == 0
    xlsx = client.get(f"/k/{coop.code}/shu/{year}/pembagian.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == ShuShare.objects.filter(distribution=distribution).count()
    assert all(isinstance(r[4], (int, float)) for r in rows)  # real numbers, not text
    pdf = client.get(f"/k/{coop.code}/shu/{year}/pembagian.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = make_coop(code="lain", name="KSP Lain")
    stranger = make_user("admin-lain", other, Role.ADMIN)
    client.force_login(stranger)
    assert client.get(f"/k/{coop.code}/shu/{year}/pembagian/").status_code in (403, 404)
    assert client.get(f"/k/{other.code}/shu/{year}/pembagian/").status_code == 404


def test_a_teller_pays_a_share_in_cash_with_a_receipt_once(distributed, client):
    coop, year, _admin, distribution = distributed
    teller = make_user("teller-shu", coop, Role.TELLER)
    client.force_login(teller)
    url = f"/k/{coop.code}/shu/{year}/pembagian/"
    html = client.get(url).content.decode()
    assert "Bayar tunai" in html and "ke-simpanan" not in html  # a teller pays cash only
    share = ShuShare.objects.filter(distribution=distribution).order_by("member_id").first()
    key = _key(html)
    paid = client.post(f"{url}{share.member_id}/tunai/", {"idempotency_key": key})
    assert paid.status_code == 302
    receipt = client.get(paid["Location"])
    text = receipt.content.decode()
    assert receipt.status_code == 200 and share.member.name in text and "rupiah" in text.lower()
    assert english_words(text, (coop.name, share.member.name, teller.username)) == []
    pdf = client.get(paid["Location"].rstrip("/") + ".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    before = books_snapshot(coop)
    again = client.post(f"{url}{share.member_id}/tunai/", {"idempotency_key": key})
    assert again.status_code == 302 and books_snapshot(coop) == before  # a retry: same payment
    refused = client.post(f"{url}{share.member_id}/tunai/", {"idempotency_key": _key(html)[:-1]})
    assert refused.status_code == 400  # a broken key: the form has expired
    fresh = _key(client.get(url).content.decode())
    twice = client.post(f"{url}{share.member_id}/tunai/", {"idempotency_key": fresh})
    assert twice.status_code == 409 and "sudah dibayarkan" in twice.content.decode()
    assert books_snapshot(coop) == before
    assert client.post(f"{url}ke-simpanan/", {"idempotency_key": fresh}).status_code == 403


def test_the_board_pays_the_rest_into_savings_and_the_member_sees_it(distributed, client):
    coop, year, admin, distribution = distributed
    url = f"/k/{coop.code}/shu/{year}/pembagian/"
    html = client.get(url).content.decode()
    paid = client.post(f"{url}ke-simpanan/", {"idempotency_key": _key(html)})
    assert paid.status_code == 302
    unpaid = ShuShare.objects.filter(distribution=distribution, paid_on__isnull=True)
    assert ShuShare.objects.filter(distribution=distribution, paid_via="savings").exists()
    before = books_snapshot(coop)
    nothing = client.post(f"{url}ke-simpanan/", {"idempotency_key": _key(html)[:-2] + "00"})
    if unpaid.exists():  # members without a sukarela account are left
        assert nothing.status_code == 409
    assert nothing.status_code in (302, 409) and books_snapshot(coop) == before
    share = ShuShare.objects.filter(distribution=distribution, paid_via="savings").first()
    member = Member.objects.get(pk=share.member_id)
    login = member.user or members.create_portal_login(
        cooperative=coop, actor=None, member=member, password="ubi-jalar-sikka-5", username="m-sv"
    )
    client.force_login(login)
    portal = client.get("/saya/shu/").content.decode()
    assert "Dibayar: Ke simpanan sukarela" in portal
    assert english_words(portal, (member.name, coop.name)) == []


def test_the_member_api_says_how_the_share_was_paid(distributed, client):
    from koperasi.shu import services
    from koperasi.tenancy import services as tenancy

    coop, year, admin, distribution = distributed
    share = ShuShare.objects.filter(distribution=distribution).order_by("member_id").first()
    services.pay_in_cash(
        cooperative=coop, actor=admin, year=year, member_id=share.member_id, idempotency_key="api"
    )
    member = Member.objects.get(pk=share.member_id)
    login = member.user or members.create_portal_login(
        cooperative=coop, actor=None, member=member, password="ubi-jalar-sikka-5", username="m-shu"
    )
    token = tenancy.issue_token(cooperative=coop, user=login)
    body = client.get(f"/api/v1/shu/{year}/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["distributed"] is True and body["paid_via"] == "cash"
    assert body["total"] == f"{share.total:.2f}" and body["paid_on"]
