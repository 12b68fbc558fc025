"""The cash desk's pages: my cash, submitting a count, approving it, the office report, the
day book and the count sheet; bad input answers 4xx in Indonesian and changes nothing."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from koperasi.cashdesk import services
from koperasi.cashdesk.models import CashCount
from koperasi.ledger.models import JournalEntry
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_coop, make_user

D = Decimal


def url(coop, name, **kwargs):
    return reverse(f"cashdesk:{name}", kwargs={"code": coop.code, **kwargs})


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def key(html):
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def count_form(teller, day, **fields):
    data = {
        "idempotency_key": "2f1e4c1a-6a43-4c53-9a52-1d6f3c1b0a01",
        "teller": teller.pk,
        "business_date": day.isoformat(),
        "counted": "",
        "note": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def submitted(coop, teller, cash_day, today):
    return services.submit_count(
        cooperative=coop,
        actor=teller,
        teller_id=teller.pk,
        business_date=today,
        counted=D("770000"),
        idempotency_key="hitung",
    )


def test_my_cash_shows_the_day_and_the_count_form(coop, teller, cash_day):
    html = logged_in(teller).get(url(coop, "mine")).content.decode()
    assert "780.000" in html and "300.000" in html  # closing, opening
    assert 'name="pieces_100000"' in html and key(html)
    assert "Saldo kas awal" in html or "Kas awal" in html


def test_the_teller_page_links_to_my_cash(coop, teller):
    html = logged_in(teller).get(reverse("savings:teller", kwargs={"code": coop.code})).content
    assert url(coop, "mine").encode() in html


def test_a_count_by_pieces_is_submitted(coop, teller, cash_day, today):
    client = logged_in(teller)
    data = count_form(teller, today, pieces_100000="7", pieces_50000="1", pieces_20000="1")
    response = client.post(url(coop, "submit"), data)
    count = CashCount.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        coop, "count", count_id=count.pk
    )
    assert (count.counted, count.difference) == (D("770000"), D("-10000"))
    again = client.post(url(coop, "submit"), data)  # a double click
    assert again.status_code == 302 and CashCount.objects.count() == 1
    html = client.get(url(coop, "count", count_id=count.pk)).content.decode()
    assert count.number in html and "10.000" in html
    assert 'action="' + url(coop, "approve", count_id=count.pk) not in html  # not their own


@pytest.mark.parametrize(
    "fields,status,text",
    [
        ({"pieces_1000": "-3"}, 400, "0"),
        ({"counted": "-5000"}, 400, ""),
        ({"counted": "abc"}, 400, "1.250.000"),
        ({"pieces_500": "2.5"}, 400, ""),
        ({}, 400, "Masukkan kas"),
    ],
)
def test_malformed_counts_answer_400(coop, teller, cash_day, today, fields, status, text):
    before = books_snapshot(coop)
    response = logged_in(teller).post(url(coop, "submit"), count_form(teller, today, **fields))
    assert response.status_code == status
    assert text in response.content.decode()
    assert books_snapshot(coop) == before and not CashCount.objects.exists()


def test_a_count_for_another_teller_is_refused(coop, teller, cash_day, today):
    manager = make_user("manajer", coop, Role.MANAGER)
    response = logged_in(manager).post(url(coop, "submit"), count_form(teller, today, counted="5"))
    assert response.status_code == 403
    assert "hanya menghitung kasnya sendiri" in response.content.decode()
    assert not CashCount.objects.exists()


@pytest.mark.parametrize(
    "day,code,text",
    [
        ("2999-01-01", 400, "masa depan"),
        ("2001-01-01", 400, "sebelum pembukuan koperasi"),
        ("kemarin", 400, "tanggal"),
    ],
)
def test_bad_dates_answer_400(coop, teller, cash_day, day, code, text):
    for name, user in (("mine", teller),):
        response = logged_in(user).get(url(coop, name), {"tanggal": day})
        assert response.status_code == code
        assert text in response.content.decode().lower()
    before = books_snapshot(coop)
    response = logged_in(teller).post(
        url(coop, "submit"),
        {**count_form(teller, dt.date.today()), "business_date": day, "counted": "5"},
    )
    assert response.status_code == 400
    assert books_snapshot(coop) == before and not CashCount.objects.exists()


def test_approval_posts_once_and_only_by_someone_else(coop, teller, submitted):
    manager = make_user("manajer", coop, Role.MANAGER)
    client = logged_in(manager)
    page = client.get(url(coop, "count", count_id=submitted.pk)).content.decode()
    approve_form = page.split(url(coop, "approve", count_id=submitted.pk), 1)[1]
    data = {"idempotency_key": key(approve_form)}  # the key the form was rendered with
    entries = JournalEntry.objects.count()
    first = client.post(url(coop, "approve", count_id=submitted.pk), data)
    retry = client.post(url(coop, "approve", count_id=submitted.pk), data)
    assert first.status_code == retry.status_code == 302
    assert JournalEntry.objects.count() == entries + 1
    other = client.post(
        url(coop, "approve", count_id=submitted.pk),
        {"idempotency_key": "0b5d2bb8-3e0e-46c6-8a4e-5d3b9b0c2f77"},
    )
    assert other.status_code == 409 and "sudah disetujui" in other.content.decode()
    assert JournalEntry.objects.count() == entries + 1


def test_approval_refusals(coop, other_coop, teller, submitted, supervisor):
    manager = make_user("manajer", coop, Role.MANAGER)
    own = services.submit_count(
        cooperative=coop,
        actor=manager,
        teller_id=manager.pk,
        business_date=submitted.business_date,
        counted=D("1"),
        idempotency_key="milik-manajer",
    )
    data = {"idempotency_key": "6b0b6f60-2d0c-4d2b-8a51-0e6d2d2d0b11"}
    before = books_snapshot(coop)
    response = logged_in(manager).post(url(coop, "approve", count_id=own.pk), data)
    assert response.status_code == 403 and "orang lain" in response.content.decode()
    assert (
        logged_in(teller).post(url(coop, "approve", count_id=submitted.pk), data).status_code == 403
    )
    assert (
        logged_in(supervisor).post(url(coop, "approve", count_id=submitted.pk), data).status_code
        == 403
    )
    stranger = make_user("manajer-lain", other_coop, Role.MANAGER)
    response = logged_in(stranger).post(
        reverse("cashdesk:approve", kwargs={"code": other_coop.code, "count_id": submitted.pk}),
        data,
    )
    assert response.status_code == 404
    bad_key = logged_in(manager).post(
        url(coop, "approve", count_id=submitted.pk), {"idempotency_key": "x"}
    )
    assert bad_key.status_code == 400
    assert books_snapshot(coop) == before
    assert CashCount.objects.get(pk=submitted.pk).status == "submitted"


def test_reject_then_count_again(coop, teller, submitted, today):
    manager = make_user("manajer", coop, Role.MANAGER)
    response = logged_in(manager).post(
        url(coop, "reject", count_id=submitted.pk),
        {"idempotency_key": "6b0b6f60-2d0c-4d2b-8a51-0e6d2d2d0b12", "reason": "Salah hitung"},
    )
    assert response.status_code == 302
    html = logged_in(teller).get(url(coop, "mine")).content.decode()
    assert "Salah hitung" in html and 'name="pieces_100000"' in html


def test_who_reads_a_count(coop, teller, submitted, supervisor):
    other_teller = make_user("kasir2", coop, Role.TELLER)
    assert logged_in(supervisor).get(url(coop, "count", count_id=submitted.pk)).status_code == 200
    assert logged_in(other_teller).get(url(coop, "count", count_id=submitted.pk)).status_code == 404
    pdf = logged_in(teller).get(url(coop, "count_pdf", count_id=submitted.pk))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_office_report_and_its_xlsx(coop, teller, submitted, supervisor, today):
    client = logged_in(supervisor)
    html = client.get(url(coop, "office")).content.decode()
    assert "kasir" in html and "780.000" in html and "Menunggu persetujuan" in html
    response = client.get(url(coop, "office"), {"tanggal": today.isoformat(), "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    teller_row = next(r for r in rows if r[0] == "kasir")
    assert teller_row[4] == D("780000") and teller_row[6] == D("-10000")
    assert logged_in(teller).get(url(coop, "office")).status_code == 403


def test_teller_report_of_a_stranger_is_404(coop, other_coop, supervisor, cash_day):
    stranger = make_user("orang-lain", other_coop, Role.TELLER)
    response = logged_in(supervisor).get(url(coop, "teller", user_id=stranger.pk))
    assert response.status_code == 404


def test_day_book_pages_and_filters(
    coop, teller, cash_day, supervisor, today, django_assert_max_num_queries
):
    client = logged_in(supervisor)
    client.get(url(coop, "day_book"))
    with django_assert_max_num_queries(20):
        html = client.get(url(coop, "day_book"), {"tanggal": today.isoformat()}).content.decode()
    assert html.count("JU-") >= 3 and "Simpanan" in html
    filtered = client.get(
        url(coop, "day_book"), {"tanggal": today.isoformat(), "teller": teller.pk}
    )
    assert filtered.status_code == 200
    bad = client.get(url(coop, "day_book"), {"tanggal": today.isoformat(), "teller": "99999"})
    assert bad.status_code == 400
    assert client.get(url(coop, "day_book"), {"tanggal": "2999-01-01"}).status_code == 400


def test_office_page_queries_do_not_grow_with_tellers(
    coop, supervisor, cash_day, django_assert_max_num_queries
):
    for n in range(5):
        make_user(f"kasir-extra-{n}", coop, Role.TELLER)
    client = logged_in(supervisor)
    client.get(url(coop, "office"))
    with django_assert_max_num_queries(20):
        assert client.get(url(coop, "office")).status_code == 200


def test_pages_of_another_cooperative_are_404(coop, teller, cash_day):
    other = make_coop(code="jauh", name="KSP Jauh")
    assert logged_in(teller).get(url(other, "mine")).status_code == 404
