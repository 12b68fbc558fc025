"""The savings reports' pages: on screen, XLSX with real numbers, PDF with letterhead and page
numbers; bad periods answer 400 in Indonesian; another cooperative's staff get 404."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_coop, make_member, make_user
from tests.reports.savings_world import _fixed_today, savings_world_fixture  # noqa: F401

REPORTS = (
    "savings_products",
    "savings_members",
    "savings_movements",
    "wajib_arrears",
    "savings_interest",
)


def url(coop, name):
    return reverse(f"reports:{name}", kwargs={"code": coop.code})


@pytest.fixture
def client(savings_world):
    client = Client()
    client.force_login(make_user("pengawas", savings_world["coop"], Role.SUPERVISOR))
    return client


@pytest.mark.parametrize("name", REPORTS)
def test_each_report_on_screen_xlsx_and_pdf(client, savings_world, name):
    coop = savings_world["coop"]
    page = client.get(url(coop, name))
    assert page.status_code == 200
    html = page.content.decode()
    assert "format=xlsx" in html and "format=pdf" in html
    xlsx = client.get(url(coop, name), {"format": "xlsx"})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == coop.name
    numbers = [v for row in rows[4:] for v in row if isinstance(v, int | float | Decimal)]
    assert numbers, "amounts and counts are numbers, not text"
    pdf = client.get(url(coop, name), {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_figures_on_screen(client, savings_world):
    coop = savings_world["coop"]
    html = client.get(url(coop, "wajib_arrears"), {"as_of": "2026-03-15"}).content.decode()
    assert html.index("Maria Goreti") < html.index("Yosef Bala")
    assert "150.000" in html and "02/2026" in html
    html = client.get(url(coop, "savings_members"), {"q": "Maria"}).content.decode()
    assert "Maria Goreti" in html and "Yosef Bala" not in html
    html = client.get(url(coop, "savings_interest")).content.decode()
    assert "01/2026" in html and "02/2026" in html
    assert reverse("closing:withholding", args=[coop.code, 2026, 1]) in html


@pytest.mark.parametrize(
    "name,params,text",
    [
        ("savings_movements", {"date_to": "2026-04-01"}, "masa depan"),
        ("savings_movements", {"date_from": "2001-01-01"}, "sebelum pembukuan koperasi"),
        ("savings_movements", {"date_from": "2026-03-01", "date_to": "2026-02-01"}, ""),
        ("savings_movements", {"date_from": "bukan-tanggal"}, "tanggal"),
        ("savings_interest", {"date_to": "2999-12-31"}, "masa depan"),
        ("wajib_arrears", {"as_of": "2026-03-16"}, "masa depan"),
        ("wajib_arrears", {"as_of": "2026-02-30"}, "tanggal"),
        ("wajib_arrears", {"as_of": "1999-01-01", "format": "xlsx"}, "sebelum pembukuan"),
    ],
)
def test_bad_periods_answer_400(client, savings_world, name, params, text):
    before = books_snapshot(savings_world["coop"])
    response = client.get(url(savings_world["coop"], name), params)
    assert response.status_code == 400
    assert text in response.content.decode().lower()
    assert books_snapshot(savings_world["coop"]) == before


def test_another_cooperatives_staff_get_404(savings_world):
    stranger = make_user("orang-lain", make_coop(code="lain", name="KSP Lain"), Role.MANAGER)
    client = Client()
    client.force_login(stranger)
    for name in REPORTS:
        assert client.get(url(savings_world["coop"], name)).status_code == 404


def test_lists_do_not_query_per_row(client, savings_world, django_assert_max_num_queries):
    coop, teller = savings_world["coop"], savings_world["teller"]
    for _ in range(6):
        make_member(coop, teller)
    for name in ("savings_members", "wajib_arrears", "savings_products"):
        client.get(url(coop, name))
        with django_assert_max_num_queries(15):
            assert client.get(url(coop, name)).status_code == 200
