"""Member-level documents: the savings statement PDF (staff and the member's own) and the
annual statement (page and PDF) with savings, interest, tax withheld and loan payments."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.loans import services as loans
from koperasi.members import services as members
from koperasi.reports.member_annual import annual_statement
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative, Role
from tests.closing.conftest import close_days, close_month, start_closing_after, today_is
from tests.closing.test_month_close import _two_products_of_150_000_each
from tests.conftest import PASSWORD, books_snapshot, make_member, make_user, sukarela_account
from tests.loans.conftest import disbursed_loan

D = Decimal
TODAY = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _fixed_today():
    with today_is(TODAY):
        yield


@pytest.fixture
def printed(monkeypatch):
    """The HTML of each PDF printed through `common.pdf`."""
    pages: list[str] = []

    def capture(html: str) -> bytes:
        pages.append(html)
        return b"%PDF-1.4\n%%EOF\n"

    monkeypatch.setattr("koperasi.common.pdf.html_to_pdf", capture)
    return pages


def portal_client(client, coop, member):
    user = members.create_portal_login(
        cooperative=coop, actor=None, member=member, password=PASSWORD
    )
    client.force_login(user)
    return client


# --- The savings statement PDF ----------------------------------------------------------------


def test_staff_print_the_statement_of_the_period(client, coop, teller, funded_sukarela, printed):
    client.force_login(teller)
    url = f"/k/{coop.code}/simpanan/rekening/{funded_sukarela.pk}/mutasi.pdf"
    response = client.get(url + "?date_from=2026-01-01&date_to=2026-06-30")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    html = printed[-1]
    assert coop.name in html and "counter(pages)" in html  # letterhead, page numbers
    assert funded_sukarela.number in html and "500.000" in html
    assert "01/01/2026" in html or "1 Januari 2026" in html


def test_the_member_prints_only_their_own_statement(
    client, coop, teller, member, funded_sukarela, printed
):
    other = make_member(coop, teller)
    others = sukarela_account(coop, other, teller)
    member_client = portal_client(client, coop, member)
    response = member_client.get(f"/saya/rekening/{funded_sukarela.pk}/mutasi.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert member.name in printed[-1] and other.name not in printed[-1]
    assert member_client.get(f"/saya/rekening/{others.pk}/mutasi.pdf").status_code == 404
    page = member_client.get(f"/saya/rekening/{funded_sukarela.pk}/")
    assert f"/saya/rekening/{funded_sukarela.pk}/mutasi.pdf" in page.content.decode()


def test_a_bad_period_is_a_400_not_a_pdf(client, coop, member, funded_sukarela, printed):
    member_client = portal_client(client, coop, member)
    url = f"/saya/rekening/{funded_sukarela.pk}/mutasi.pdf?date_from=2026-13-40"
    response = member_client.get(url)
    assert response.status_code == 400 and not printed


def test_another_cooperatives_account_is_not_found(client, coop, other_coop, funded_sukarela):
    client.force_login(make_user("kasir-lain", other_coop, Role.TELLER))
    url = f"/k/{other_coop.code}/simpanan/rekening/{funded_sukarela.pk}/mutasi.pdf"
    assert client.get(url).status_code == 404
    url = f"/k/{coop.code}/simpanan/rekening/{funded_sukarela.pk}/mutasi.pdf"
    assert client.get(url).status_code == 404


# --- The annual statement ---------------------------------------------------------------------


@pytest.fixture
def saver(coop, teller, member):
    """Two sukarela accounts of 15.000.000 each from 1/1/2026 (one with 400.000 from last
    year), January closed (interest with 10 % tax), and a withdrawal in February."""
    first, second = _two_products_of_150_000_each(coop, teller, member)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=first.pk,
        amount="400000",
        idempotency_key="last-year",
        business_date=dt.date(2025, 11, 3),
    )
    Cooperative.objects.filter(pk=coop.pk).update(books_closed_through=dt.date(2025, 12, 31))
    start_closing_after(coop, dt.date(2025, 12, 31))
    close_days(coop, dt.date(2026, 1, 31))
    close_month(coop, 2026, 1)
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=second.pk,
        amount="1000000",
        idempotency_key="feb",
        business_date=dt.date(2026, 2, 10),
    )
    return first, second


def test_savings_of_the_year_with_interest_and_tax(coop, member, saver):
    first, second = saver
    statement = annual_statement(cooperative=coop, member=member, year=2026)
    rows = {row.account.pk: row for row in statement.savings}
    a, b = rows[first.pk], rows[second.pk]
    assert (a.opening, a.deposits, a.withdrawals) == (D("400000"), D("15000000"), D("0"))
    # 15.400.000 × 12 % × 30/360 = 154.000; the member's 304.000 is above 240.000: 10 %.
    assert (a.interest, a.tax) == (D("154000"), D("15400"))
    assert (b.opening, b.withdrawals, b.interest, b.tax) == (
        0,
        D("1000000"),
        D("150000"),
        D("15000"),
    )
    for row in (a, b):
        row.account.refresh_from_db()
        assert row.closing == row.account.balance
    totals = statement.savings_total()
    assert totals["interest"] == D("304000") and totals["tax"] == D("30400")
    last_year = annual_statement(cooperative=coop, member=member, year=2025)
    assert {row.account.pk: row.closing for row in last_year.savings}[first.pk] == D("400000")


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    """Disbursed on 1/12/2025, two instalments paid in 2026."""
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller, on=dt.date(2025, 12, 1)
    )
    for n, day in enumerate((dt.date(2026, 1, 2), dt.date(2026, 2, 2)), start=1):
        loans.repay(
            cooperative=coop,
            actor=teller,
            loan_id=loan.pk,
            amount=loan.instalments.get(no=n, version=1).payment,
            idempotency_key=f"repay-{n}",
            business_date_=day,
        )
    loan.refresh_from_db()
    return loan


def test_loans_of_the_year_principal_interest_and_penalties(coop, borrower, loan):
    statement = annual_statement(cooperative=coop, member=borrower, year=2026)
    (row,) = statement.loans
    paid = loan.transactions.filter(kind="repayment")
    assert row.principal_start == loan.principal and row.disbursed == 0
    assert row.principal_paid == -sum(t.principal for t in paid) > 0
    assert row.interest_paid == sum(t.interest for t in paid) > 0
    assert row.penalty_paid == 0
    assert row.principal_end == loan.outstanding_principal
    (before,) = annual_statement(cooperative=coop, member=borrower, year=2025).loans
    assert (before.principal_start, before.disbursed) == (0, loan.principal)
    assert before.principal_end == loan.principal and before.interest_paid == 0


def test_staff_page_and_pdf(client, coop, teller, borrower, loan, printed):
    client.force_login(teller)
    url = f"/k/{coop.code}/anggota/{borrower.pk}/laporan-tahunan/"
    response = client.get(url + "?year=2026")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/k/{coop.code}/pinjaman/{loan.pk}/kartu.pdf" in body  # the loan card
    assert loan.number in body and "laporan.pdf?year=2026" in body
    pdf = client.get(url + "laporan.pdf?year=2026")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    html = printed[-1]
    assert "LAPORAN TAHUNAN" in html and borrower.nik in html and coop.name in html
    detail = client.get(f"/k/{coop.code}/anggota/{borrower.pk}/").content.decode()
    assert url in detail


@pytest.mark.parametrize(
    ("year", "message"),
    [("2027", "Tidak ada laporan untuk tahun 2027"), ("1999", "1999"), ("x", "empat angka")],
)
def test_a_bad_year_is_a_clear_400(client, coop, teller, borrower, loan, year, message):
    client.force_login(teller)
    before = books_snapshot(coop)
    for suffix in ("", "laporan.pdf"):
        url = f"/k/{coop.code}/anggota/{borrower.pk}/laporan-tahunan/{suffix}?year={year}"
        response = client.get(url)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert books_snapshot(coop) == before


def test_another_cooperatives_member_is_not_found(client, coop, other_coop, borrower):
    client.force_login(make_user("kasir-lain", other_coop, Role.TELLER))
    for code in (other_coop.code, coop.code):
        url = f"/k/{code}/anggota/{borrower.pk}/laporan-tahunan/"
        assert client.get(url).status_code == 404
        assert client.get(url + "laporan.pdf").status_code == 404
    client.force_login(make_user("kasir-sini", coop, Role.TELLER))
    assert client.get(f"/k/{coop.code}/anggota/999999/laporan-tahunan/").status_code == 404


def test_the_member_sees_only_their_own_annual_statement(
    client, coop, teller, borrower, loan, printed
):
    other = make_member(coop, teller)
    others = sukarela_account(coop, other, teller)
    member_client = portal_client(client, coop, borrower)
    response = member_client.get("/saya/laporan-tahunan/?year=2026")
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["statement"].member == borrower
    assert loan.number in body and f"/saya/pinjaman/{loan.pk}/" in body
    assert others.number not in body and other.name not in body
    assert member_client.get("/saya/laporan-tahunan/laporan.pdf?year=2026").status_code == 200
    assert borrower.name in printed[-1] and other.name not in printed[-1]
    # The address names no member: an id in the query is ignored, never obeyed.
    response = member_client.get(f"/saya/laporan-tahunan/?year=2026&member={other.pk}")
    assert response.context["statement"].member == borrower
    assert member_client.get("/saya/laporan-tahunan/?year=2030").status_code == 400
    assert "Laporan tahunan" in member_client.get("/saya/").content.decode()  # the portal menu


def test_staff_without_a_member_login_get_no_portal_statement(client, coop, teller):
    client.force_login(teller)
    assert client.get("/saya/laporan-tahunan/").status_code == 404


def test_the_statement_takes_a_fixed_number_of_queries(
    coop, borrower, loan, django_assert_max_num_queries
):
    # Accounts, balances before the year, movements of the year; the same for loans.
    with django_assert_max_num_queries(6):
        statement = annual_statement(cooperative=coop, member=borrower, year=2026)
        assert statement.loans and statement.savings
