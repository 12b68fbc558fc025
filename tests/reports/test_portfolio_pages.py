"""The portfolio pages, their XLSX and PDF, the API, and what bad input gets."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from koperasi.audit.models import AuditLog
from koperasi.loans.models import CollectionNote
from koperasi.tenancy.models import Role
from koperasi.tenancy.services.tokens import issue_token
from tests.conftest import make_user
from tests.reports.conftest import build_book

REPORTS = ("quality", "arrears", "flows", "officers", "maturity")


def url(book, name, suffix=""):
    return reverse(f"reports:portfolio_{name}{suffix}", kwargs={"code": book.coop.code})


@pytest.fixture
def manager_client(client, book):
    client.force_login(book.manager)
    return client


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_on_screen_as_xlsx_and_as_pdf(manager_client, book, name):
    page = manager_client.get(url(book, name))
    assert page.status_code == 200
    sheet = manager_client.get(url(book, name, "_xlsx"))
    assert sheet.status_code == 200
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == book.coop.name
    assert any(isinstance(v, int | float) and not isinstance(v, bool) for r in rows for v in r)
    pdf = manager_client.get(url(book, name, "_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_quality_xlsx_amounts_are_numbers(manager_client, book):
    response = manager_client.get(url(book, "quality", "_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0].value: row for row in sheet.iter_rows()}
    total = cells["Total"] if "Total" in cells else cells["Jumlah"]
    assert total[2].value == 21000000 and total[2].data_type == "n"
    assert total[5].value == 825000


def test_quality_page_shows_the_figures(manager_client, book):
    html = manager_client.get(url(book, "quality")).content.decode()
    assert 'id="npl-ratio">28,57%' in html
    assert "Tidak Sehat" in html
    assert 'data-par="30">85,71%' in html


@pytest.mark.parametrize(
    ("name", "params", "field_text"),
    [
        ("quality", {"as_of": "2026-13-40"}, "tanggal"),
        ("quality", {"as_of": "2099-01-01"}, "2099"),
        ("quality", {"as_of": "2019-12-31"}, "01/01/2020"),
        ("arrears", {"klass": "9"}, "1 sampai 5"),
        ("arrears", {"dpd": "abc"}, "bilangan"),
        ("arrears", {"dpd": "0"}, "1"),
        ("flows", {"date_from": "2026-12-01", "date_to": "2026-01-01"}, "tanggal akhir"),
        ("officers", {"date_to": "2099-01-01"}, "2099"),
        ("flows", {"date_from": "kemarin"}, "tanggal"),
    ],
)
def test_bad_filters_are_refused_with_a_message(manager_client, book, name, params, field_text):
    for suffix in ("", "_xlsx", "_pdf"):
        response = manager_client.get(url(book, name, suffix), params)
        assert response.status_code == 400, (suffix, params)
        body = response.content.decode()
        assert "field-error" in body and field_text in body


def test_another_cooperatives_officer_is_refused(manager_client, book):
    other = build_book("lain")
    response = manager_client.get(url(book, "arrears"), {"officer": other.officer.pk})
    assert response.status_code == 400
    assert "petugas pinjaman koperasi ini" in response.content.decode()
    mine = manager_client.get(url(book, "arrears"), {"officer": book.officer.pk})
    assert mine.status_code == 200


def test_another_cooperatives_staff_get_404(client, book):
    other = build_book("lain")
    client.force_login(other.manager)
    assert client.get(url(book, "quality")).status_code == 404


def test_the_arrears_page_reads_a_fixed_number_of_queries(
    manager_client, book, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from koperasi.loans.models import Loan
    from tests.conftest import make_member
    from tests.loans.conftest import disbursed_loan

    def count(name):
        manager_client.get(url(book, name))
        with CaptureQueriesContext(connection) as seen:
            assert manager_client.get(url(book, name)).status_code == 200
        return len(seen.captured_queries)

    CollectionNote.objects.create(
        cooperative=book.coop, loan=book.loans[1], contacted_on=book.today, kind="call", note="x"
    )
    before = {name: count(name) for name in REPORTS}
    for i in range(4):
        member = make_member(book.coop, book.teller)
        member.joined_on = dt.date(2024, 1, 10)
        member.save(update_fields=["joined_on"])
        loan = disbursed_loan(
            book.coop, member, book.product, book.officer, book.manager, book.teller,
            on=book.today, principal="1500000",
        )  # fmt: skip
        Loan.objects.filter(pk=loan.pk).update(days_past_due=40 + i, collectibility=2)
        CollectionNote.objects.create(
            cooperative=book.coop, loan=loan, contacted_on=book.today, kind="call", note="x"
        )
    for name in REPORTS:
        with django_assert_max_num_queries(before[name]):
            assert manager_client.get(url(book, name)).status_code == 200


def test_collection_note_from_the_loan_page(client, book):
    client.force_login(book.officer)
    loan = book.loans[3]
    target = reverse("lending:collection_note", kwargs={"code": book.coop.code, "loan_id": loan.pk})
    data = {
        "collection-contacted_on": book.today.isoformat(),
        "collection-kind": "whatsapp",
        "collection-note": "Dikirim pengingat",
        "collection-promise_date": (book.today + dt.timedelta(days=5)).isoformat(),
        "collection-promise_amount": "150.000",
    }
    response = client.post(target, data)
    assert response.status_code == 302
    note = CollectionNote.objects.get(loan=loan)
    assert (note.kind, note.promise_amount, note.actor) == (
        "whatsapp",
        Decimal("150000"),
        book.officer,
    )
    assert AuditLog.objects.filter(action="loans.collection_note", object_id=str(loan.pk)).exists()
    page = client.get(reverse("lending:loan", kwargs={"code": book.coop.code, "loan_id": loan.pk}))
    assert "Dikirim pengingat" in page.content.decode()
    arrears = client.get(url(book, "arrears"))
    assert "Dikirim pengingat" in arrears.content.decode()

    refused = client.post(target, {**data, "collection-contacted_on": "2099-01-01"})
    assert refused.status_code == 400
    assert CollectionNote.objects.filter(loan=loan).count() == 1


def test_collection_note_on_another_cooperatives_loan_is_404(client, book):
    other = build_book("lain")
    client.force_login(book.officer)
    target = reverse(
        "lending:collection_note", kwargs={"code": book.coop.code, "loan_id": other.loans[2].pk}
    )
    response = client.post(
        target,
        {"collection-contacted_on": book.today.isoformat(), "collection-kind": "call",
         "collection-note": "x"},
    )  # fmt: skip
    assert response.status_code == 404
    assert CollectionNote.objects.count() == 0


def test_a_teller_may_read_but_not_note(client, book):
    teller = make_user("kasir-2", book.coop, Role.TELLER)
    client.force_login(teller)
    assert client.get(url(book, "quality")).status_code == 200
    target = reverse(
        "lending:collection_note", kwargs={"code": book.coop.code, "loan_id": book.loans[0].pk}
    )
    assert client.post(target, {}).status_code == 403


# ---------------------------------------------------------------- the API


def api_get(client, token, params=None):
    return client.get(
        "/api/v1/reports/portfolio", params or {}, headers={"Authorization": f"Bearer {token}"}
    )


def test_api_quality_report(client, book):
    token = issue_token(cooperative=book.coop, user=book.manager)
    body = api_get(client, token).json()
    assert body["source"] == "loans" and body["outstanding"] == "21000000.00"
    assert body["allowance_required"] == "825000.00" and body["allowance_held"] == "0.00"
    assert body["npl_percent"] == "28.57" and body["health_band"] == "Tidak Sehat"
    assert [p["percent"] for p in body["par"]] == ["95.24", "85.71", "71.43", "52.38"]
    assert body["classes"][2] == {
        "collectibility": 3, "name": "Kurang Lancar", "loans": 1, "outstanding": "6000000.00",
        "collateral": "2000000.00", "rate": "10", "allowance_required": "400000.00",
    }  # fmt: skip
    assert body["products"][0]["code"] == "UJI"


@pytest.mark.parametrize(
    ("as_of", "status", "code"),
    [
        ("2026-02-30", 422, "invalid_date"),
        ("06-12-2026", 422, "invalid_date"),
        ("2099-01-01", 400, "date_in_future"),
        ("2019-12-31", 400, "before_cooperative"),
    ],
)
def test_api_bad_dates(client, book, as_of, status, code):
    token = issue_token(cooperative=book.coop, user=book.manager)
    response = api_get(client, token, {"as_of": as_of})
    assert response.status_code == status
    assert response.json()["detail"][0]["code"] == code


def test_api_reads_only_the_tokens_cooperative(client, book):
    other = build_book("lain")
    from koperasi.loans.models import Loan

    Loan.objects.filter(cooperative=other.coop).update(collectibility=5)
    token = issue_token(cooperative=book.coop, user=book.manager)
    assert api_get(client, token).json()["npl_percent"] == "28.57"
