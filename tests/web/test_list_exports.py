"""Every list page downloads as XLSX with its filters: user text as text (a NIK keeps its
digits), amounts as numbers, at most LIST_ROW_LIMIT rows, another cooperative's rows never."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from koperasi.common import xlsx
from koperasi.common.xlsx import MONEY_FORMAT
from koperasi.savings import services as savings
from tests.conftest import make_member, make_user, sukarela_account
from tests.web.test_xlsx_exports import LINK

D = Decimal


def rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows())


@pytest.fixture
def books(coop, teller, other_coop):
    hostile = make_member(coop, teller, name=LINK)
    account = sukarela_account(coop, hostile, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=D("1250000.50"),
        idempotency_key="list-dep",
        note="=1+1",
    )
    stranger = make_member(other_coop, None, name="Orang Lain")
    sukarela_account(other_coop, stranger)
    return hostile, account


def test_members_with_the_search_filter(client, coop, admin_user, books):
    hostile, _account = books
    client.force_login(admin_user)
    url = reverse("members:list_xlsx", kwargs={"code": coop.code})
    table = rows(client.get(url, {"q": hostile.number}))
    assert len(table) == 2  # the header and the one member searched for
    number, name, nik = table[1][:3]
    assert name.value == LINK and name.data_type == "s"
    assert nik.value == hostile.nik and nik.data_type == "s"
    everyone = rows(client.get(url))
    assert "Orang Lain" not in {row[1].value for row in everyone}


def test_savings_accounts_have_numeric_balances(client, coop, admin_user, books):
    _hostile, account = books
    client.force_login(admin_user)
    table = rows(client.get(reverse("savings:accounts_xlsx", kwargs={"code": coop.code})))
    row = next(r for r in table if r[0].value == account.number)
    assert row[-1].value == D("1250000.50") or D(str(row[-1].value)) == D("1250000.50")
    assert row[-1].number_format == MONEY_FORMAT and row[-1].data_type == "n"


def test_journal_has_a_row_per_line(client, coop, admin_user, books):
    client.force_login(admin_user)
    table = rows(client.get(reverse("ledger:journal_xlsx", kwargs={"code": coop.code})))
    debits = [r[6].value for r in table[1:] if r[6].value]
    credits = [r[7].value for r in table[1:] if r[7].value]
    assert sum(map(D, map(str, debits))) == sum(map(D, map(str, credits))) > 0


def test_audit_log_and_portfolio_download(client, coop, admin_user, books):
    client.force_login(admin_user)
    audit = rows(client.get(reverse("audit_log_xlsx", kwargs={"code": coop.code})))
    assert len(audit) > 1 and all(r[3].data_type in ("s", "n") for r in audit[1:])
    portfolio = rows(client.get(reverse("lending:portfolio_xlsx", kwargs={"code": coop.code})))
    assert len(portfolio) == 1  # the header: no loan yet


def test_a_long_list_is_cut_with_a_note(client, coop, admin_user, teller, books, monkeypatch):
    make_member(coop, teller)
    monkeypatch.setattr(xlsx, "LIST_ROW_LIMIT", 1)
    client.force_login(admin_user)
    table = rows(client.get(reverse("members:list_xlsx", kwargs={"code": coop.code})))
    assert len(table) == 3 and "1" in table[2][0].value


def test_a_role_without_the_page_gets_403_and_a_stranger_404(client, coop, books):
    client.force_login(make_user("kasir-x", coop, "teller"))
    assert client.get(reverse("ledger:journal_xlsx", kwargs={"code": coop.code})).status_code == 403
    client.force_login(make_user("luar", None))
    assert client.get(reverse("members:list_xlsx", kwargs={"code": coop.code})).status_code == 404
