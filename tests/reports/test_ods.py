"""The ministry's ODS data set: figures from the books and the registers, page, XLSX, CSV."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from koperasi.common.csvfile import CsvFile, safe_text
from koperasi.ledger import services as ledger
from koperasi.ledger.selectors import trial_balance
from koperasi.members.models import Member
from koperasi.reports.ods import capital, ods_data, ods_rows
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user, sukarela_account
from tests.loans.conftest import disbursed_loan

TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def accountant_client(client, coop):
    client.force_login(make_user("akuntan-ods", coop, Role.ACCOUNTANT))
    return client


def ods_url(coop, suffix="", year=None):
    url = f"/k/{coop.code}/laporan/ods/{suffix}"
    return url if year is None else f"{url}?year={year}"


@pytest.fixture
def registers(coop, teller, borrower, product, officer, manager):
    """Members of both sexes, one who left, a board member and a supervisor, deposits and a
    loan, some of it last year."""
    today = ledger.business_today(coop)
    last_year = today.year - 1
    women = [make_member(coop, teller, sex="P") for _ in range(2)]
    man = make_member(coop, teller, sex="L", name='=HYPERLINK("http://x","klik")')
    Member.objects.filter(pk=man.pk).update(office=Member.Office.BOARD)
    Member.objects.filter(pk=women[0].pk).update(office=Member.Office.SUPERVISOR)
    Member.objects.filter(pk__in=[m.pk for m in women]).update(joined_on=today)
    gone = make_member(coop, teller, sex="L")
    Member.objects.filter(pk=gone.pk).update(
        status=Member.Status.RESIGNED, joined_on=dt.date(2024, 1, 5), exited_on=today
    )
    Member.objects.filter(pk__in=[man.pk, borrower.pk]).update(joined_on=dt.date(last_year, 1, 10))
    account = sukarela_account(coop, women[1], teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("300000"),
        idempotency_key="ods-dep-2025",
        business_date=dt.date(last_year, 11, 3),
    )
    wrong = savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("70000"),
        idempotency_key="ods-dep-wrong",
    )
    savings.reverse_transaction(
        cooperative=coop,
        actor=make_user("manajer-ods", coop, Role.MANAGER),
        transaction_id=wrong.pk,
        reason="salah rekening",
        idempotency_key="ods-rev",
    )
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller, on=ledger.business_today(coop)
    )
    return {
        "women": women,
        "man": man,
        "gone": gone,
        "loan": loan,
        "account": account,
        "year": today.year,
    }


def test_the_data_set_counts_members_staff_and_volume(coop, registers):
    today = ledger.business_today(coop)
    data = ods_data(cooperative=coop, year=today.year, today=today)
    assert (data.members_male, data.members_female) == (2, 2)  # the man and the borrower
    assert data.joined == 2  # the two women
    assert data.left == 1
    assert data.board == [registers["man"].name]
    assert data.supervisors == [registers["women"][0].name]
    assert dict(data.staff)["Teller"] == 1 and data.staff_total >= 4
    assert data.loans_count == 1 and data.loans_amount == registers["loan"].principal
    # The reversed deposit is not counted; last year's deposit is last year's.
    deposits_this_year = [
        t
        for t in registers["account"].transactions.filter(kind="deposit")
        if t.business_date.year == today.year and not hasattr(t, "reversed_by")
    ]
    assert data.deposits_amount >= sum(t.amount for t in deposits_this_year)
    assert data.rat_date is None
    last = ods_data(cooperative=coop, year=today.year - 1, today=today)
    assert last.loans_count == 0
    assert last.deposits_count == 1 and last.deposits_amount == Decimal("300000.00")


def test_capital_and_shu_come_from_the_books(coop, registers):
    today = ledger.business_today(coop)
    data = ods_data(cooperative=coop, year=today.year, today=today)
    assert data.capital.assets == data.capital.own + data.capital.liabilities
    rows, _d, _c = trial_balance(cooperative=coop, as_of=today)
    income = sum(r.credit - r.debit for r in rows if r.account.type == "income")
    expense = sum(r.debit - r.credit for r in rows if r.account.type == "expense")
    before = capital(cooperative=coop, as_of=dt.date(today.year - 1, 12, 31))
    assert data.shu == income - expense - before.surplus
    assert data.shu > 0  # the loan's administration fee
    equity = sum(r.credit - r.debit for r in rows if r.account.type == "equity")
    assert data.capital.equity == equity


def test_page_shows_the_data_set_with_downloads(accountant_client, coop, registers):
    response = accountant_client.get(ods_url(coop, year=registers["year"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Modal sendiri" in body and "belum tercatat" in body
    assert f"ods.xlsx?year={registers['year']}" in body and "ods.csv?year=" in body
    assert len(response.context["rows"]) == len(ods_rows(response.context["data"]))


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("2999", "Tidak ada laporan untuk tahun 2999"),
        ("1990", "Tidak ada laporan untuk tahun 1990"),
        ("dua-ribu", "empat angka"),
        ("２０２６", "empat angka"),
    ],
)
@pytest.mark.parametrize("suffix", ["", "ods.xlsx", "ods.csv"])
def test_a_year_outside_the_cooperatives_life_is_a_clear_400(
    accountant_client, coop, registers, year, message, suffix
):
    before = books_snapshot(coop)
    response = accountant_client.get(ods_url(coop, suffix, year))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert books_snapshot(coop) == before


def test_other_cooperatives_and_roles_without_the_ledger_are_refused(
    client, coop, other_coop, registers
):
    client.force_login(make_user("akuntan-lain", other_coop, Role.ACCOUNTANT))
    assert client.get(ods_url(coop, year=registers["year"])).status_code == 404
    client.force_login(make_user("petugas-ods", coop, Role.LOAN_OFFICER))
    assert client.get(ods_url(coop, year=registers["year"])).status_code == 403
    assert client.get(ods_url(coop, "ods.csv", registers["year"])).status_code == 403


def test_xlsx_has_numbers_as_numbers_and_names_as_text(accountant_client, coop, registers):
    response = accountant_client.get(ods_url(coop, "ods.xlsx", registers["year"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[1]: row[2] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert isinstance(values["Modal luar"], int | float | Decimal)
    assert values["Anggota aktif akhir tahun: jumlah"] == 4
    assert values["Pengurus"] == registers["man"].name  # shown as typed, a string cell
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=5) for c in row}
    assert cells[registers["man"].name] == "s"


def test_csv_is_utf8_with_bom_and_protects_against_formulas(accountant_client, coop, registers):
    response = accountant_client.get(ods_url(coop, "ods.csv", registers["year"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    values = {row[1]: row[2] for row in rows[1:]}
    assert values["Pengurus"] == "'" + registers["man"].name
    assert values["Anggota aktif akhir tahun: jumlah"] == "4"
    assert Decimal(values["Modal luar"]) > 0


def test_the_csv_writer_protects_every_formula_start():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(text) == "'" + text
    assert safe_text("Maria") == "Maria"
    out = CsvFile()
    out.row("-cmd", Decimal("-1500.50"), -3, dt.date(2026, 1, 2), None)
    assert out.content().decode("utf-8-sig").strip() == "'-cmd,-1500.50,-3,2026-01-02,"
    with pytest.raises(TypeError):
        out.row(1.5)


def test_the_data_set_before_any_entry_is_empty_but_valid(coop):
    data = ods_data(cooperative=coop, year=TODAY.year, today=TODAY)
    assert data.members_total == 0 and data.shu == 0 and data.capital.assets == 0
