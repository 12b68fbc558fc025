"""The accountant's pages: chart, ledgers, trial balance, journal, manual entries, month close."""

import datetime as dt
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, ClosedPeriod, JournalEntry
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_user

D = Decimal


@pytest.fixture
def client(english_client):
    # These tests read the English wording of messages; Indonesian is checked in test_i18n.py.
    return english_client


def url(coop, name, **kwargs):
    return reverse(f"ledger:{name}", kwargs={"code": coop.code, **kwargs})


@pytest.fixture
def acc_client(client, accountant):
    client.force_login(accountant)
    return client


def post_expense(coop, actor, amount="150000", key=None, on=None):
    return ledger.post_manual_entry(
        cooperative=coop,
        actor=actor,
        lines=[("5202", D(amount), D(0)), ("1101", D(0), D(amount))],
        memo="Beli alat tulis",
        idempotency_key=key or str(uuid.uuid4()),
        business_date=on,
    )


def entry_data(lines, memo="Beli alat tulis", on=None, key=None):
    data = {
        "business_date": (on or dt.date.today()).isoformat(),
        "memo": memo,
        "idempotency_key": key or str(uuid.uuid4()),
    }
    for i, (code, debit, credit) in enumerate(lines, start=1):
        data[f"account_{i}"], data[f"debit_{i}"], data[f"credit_{i}"] = code, debit, credit
    return data


def today(coop):
    return ledger.business_today(coop)


# --- chart of accounts ------------------------------------------------------------------------


def test_chart_lists_accounts_with_normal_balances(acc_client, coop, funded_sukarela):
    response = acc_client.get(url(coop, "accounts"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Aset Lancar</strong>" in body
    # Sukarela is a liability: its credit balance shows as a positive normal balance.
    assert "Rp 500.000" in body
    depths = {a.code: d for a, d in response.context["rows"]}
    assert (depths["1"], depths["11"], depths["1101"], depths["2101"]) == (0, 1, 2, 1)


def test_accountant_adds_an_account(acc_client, coop):
    data = {"code": "1104", "name": "Kas Kecil", "parent": "11"}
    response = acc_client.post(url(coop, "accounts"), data)
    assert response.status_code == 302
    added = Account.objects.get(cooperative=coop, code="1104")
    assert (added.type, added.parent.code) == ("asset", "11")
    again = acc_client.post(url(coop, "accounts"), data)
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    bad = acc_client.post(url(coop, "accounts"), {**data, "code": "11A"})
    assert bad.status_code == 400
    assert "digits only" in bad.content.decode()


def test_supervisor_cannot_add_an_account(client, coop, supervisor):
    client.force_login(supervisor)
    assert client.get(url(coop, "accounts")).status_code == 200
    response = client.post(url(coop, "accounts"), {"code": "1104", "name": "X", "parent": "11"})
    assert response.status_code == 403
    assert not Account.objects.filter(cooperative=coop, code="1104").exists()


# --- account ledger ---------------------------------------------------------------------------


def test_account_ledger_has_opening_and_running_balance(acc_client, coop, accountant):
    first = post_expense(coop, accountant, "100000")
    post_expense(coop, accountant, "50000.50")
    response = acc_client.get(url(coop, "account", account_code="5202"))
    assert response.status_code == 200
    running = [line.running_balance for line in response.context["lines"]]
    assert running == [D("100000.00"), D("150000.50")]
    body = response.content.decode()
    assert first.number in body and url(coop, "entry", entry_id=first.pk) in body
    later = acc_client.get(
        url(coop, "account", account_code="5202"),
        {"date_from": (today(coop) + dt.timedelta(days=1)).isoformat()},
    )
    assert later.context["opening"] == D("150000.50") and later.context["lines"] == []


def test_unknown_account_is_404(acc_client, coop):
    assert acc_client.get(url(coop, "account", account_code="9999")).status_code == 404


# --- trial balance ----------------------------------------------------------------------------


def test_trial_balance_totals_are_equal(acc_client, coop, accountant, funded_sukarela):
    post_expense(coop, accountant)
    response = acc_client.get(url(coop, "trial_balance"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["total_debit"] == ctx["total_credit"] == D("600000.00")
    assert ctx["balanced"]
    body = response.content.decode()
    assert 'data-balanced="yes"' in body
    assert body.count("Rp 600.000") == 2
    past = acc_client.get(url(coop, "trial_balance"), {"as_of": "2000-01-31"})
    assert past.context["rows"] == [] and past.context["balanced"]


def test_trial_balance_xlsx(acc_client, coop, accountant, funded_sukarela):
    post_expense(coop, accountant, "150000.25")
    response = acc_client.get(url(coop, "trial_balance_xlsx"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] and str(r[0]).isdigit()]
    assert {r[0] for r in rows} == {"1101", "2101", "3101", "5202"}
    total = list(sheet.iter_rows(values_only=True))[-1]
    assert total[2] == total[3] == pytest.approx(600000.0)
    assert sheet.cell(row=sheet.max_row, column=3).number_format == "#,##0.00"


# --- journal ----------------------------------------------------------------------------------


def test_journal_list_has_constant_queries(acc_client, coop, accountant):
    def queries_for_list():
        with CaptureQueriesContext(connection) as ctx:
            response = acc_client.get(url(coop, "journal"))
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["entries"])

    for _ in range(5):
        post_expense(coop, accountant)
    few, shown_few = queries_for_list()
    for _ in range(25):
        post_expense(coop, accountant)
    many, shown_many = queries_for_list()
    assert (shown_few, shown_many) == (5, 30)
    assert few == many


def test_journal_pages_and_filters_without_count(acc_client, coop, accountant, funded_sukarela):
    for _ in range(51):
        post_expense(coop, accountant, "1000")
    with CaptureQueriesContext(connection) as ctx:
        first = acc_client.get(url(coop, "journal"))
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    assert len(first.context["entries"]) == 50 and first.context["next_query"]
    second = acc_client.get(f"{url(coop, 'journal')}?{first.context['next_query']}")
    # 51 manual entries, the pokok deposit and the sukarela deposit.
    assert len(second.context["entries"]) == 3 and not second.context["next_query"]
    savings_only = acc_client.get(url(coop, "journal"), {"source": "savings"})
    assert {e.source for e in savings_only.context["entries"]} == {"savings"}
    assert len(savings_only.context["entries"]) == 2
    assert first.context["entries"][0].total == D("1000.00")


def test_entry_detail_and_reversal_links_both_ways(acc_client, coop, accountant):
    original = post_expense(coop, accountant)
    page = acc_client.get(url(coop, "entry", entry_id=original.pk))
    body = page.content.decode()
    assert page.status_code == 200 and page.context["can_reverse"]
    assert "5202" in body and "150.000" in body and "Beli alat tulis" in body
    before = books_snapshot(coop)
    refused = acc_client.post(
        url(coop, "reverse_entry", entry_id=original.pk),
        {"reason": "", "idempotency_key": str(uuid.uuid4())},
    )
    assert refused.status_code == 400 and books_snapshot(coop) == before
    response = acc_client.post(
        url(coop, "reverse_entry", entry_id=original.pk),
        {"reason": "Salah akun", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    reversal = JournalEntry.objects.get(reversal_of=original)
    assert response["Location"] == url(coop, "entry", entry_id=reversal.pk)
    assert Account.objects.get(cooperative=coop, code="5202").balance == D("0.00")
    reversal_page = acc_client.get(response["Location"]).content.decode()
    assert url(coop, "entry", entry_id=original.pk) in reversal_page
    original_page = acc_client.get(url(coop, "entry", entry_id=original.pk))
    assert url(coop, "entry", entry_id=reversal.pk) in original_page.content.decode()
    assert not original_page.context["can_reverse"]


def test_savings_entries_are_not_reversed_from_the_journal(
    client, coop, admin_user, funded_sukarela
):
    client.force_login(admin_user)
    entry = funded_sukarela.transactions.get().journal_entry
    page = client.get(url(coop, "entry", entry_id=entry.pk))
    assert not page.context["can_reverse"]
    before = books_snapshot(coop)
    response = client.post(
        url(coop, "reverse_entry", entry_id=entry.pk),
        {"reason": "coba", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert books_snapshot(coop) == before


# --- manual entries ---------------------------------------------------------------------------


def test_manual_entry_happy_path(acc_client, coop):
    page = acc_client.get(url(coop, "new_entry"))
    assert page.status_code == 200
    data = entry_data([("5202", "1.250.000", ""), ("1101", "", "1.250.000")], on=today(coop))
    response = acc_client.post(url(coop, "new_entry"), data)
    assert response.status_code == 302
    entry = JournalEntry.objects.get(cooperative=coop, source="manual")
    assert response["Location"] == url(coop, "entry", entry_id=entry.pk)
    assert Account.objects.get(cooperative=coop, code="5202").balance == D("1250000.00")
    # The same form posted again (double click) posts nothing more.
    before = books_snapshot(coop)
    assert acc_client.post(url(coop, "new_entry"), data).status_code == 302
    assert books_snapshot(coop) == before


@pytest.mark.parametrize(
    "lines, message",
    [
        ([("5202", "100.000", ""), ("1101", "", "90.000")], "must be equal"),
        ([("5202", "100.000", "")], "at least two lines"),
        ([("5202", "abc", ""), ("1101", "", "100.000")], "Enter the amount like 50000"),
        ([("5202", "100.000", "100.000"), ("1101", "", "")], "not both"),
        ([("", "100.000", ""), ("1101", "", "100.000")], "Choose an account"),
        ([("2101", "100.000", ""), ("1101", "", "100.000")], "kept by its sub-ledger"),
        ([("11", "100.000", ""), ("1101", "", "100.000")], "cannot take postings"),
        ([("9999", "100.000", ""), ("1101", "", "100.000")], "Unknown account code"),
    ],
)
def test_bad_manual_entries_change_nothing(acc_client, coop, funded_sukarela, lines, message):
    before = books_snapshot(coop)
    response = acc_client.post(url(coop, "new_entry"), entry_data(lines, on=today(coop)))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert books_snapshot(coop) == before


def test_control_and_header_accounts_are_not_offered(acc_client, coop):
    choices = acc_client.get(url(coop, "new_entry")).context["form"].fields["account_1"]
    codes = {code for code, _label in choices.widget.choices if code}
    assert "5202" in codes and "1101" in codes
    assert not codes & {"2101", "2102", "3101", "3102", "1201", "1", "11"}


def test_teller_and_supervisor_cannot_post_manual_entries(client, coop, teller, supervisor):
    data = entry_data([("5202", "1000", ""), ("1101", "", "1000")])
    before = books_snapshot(coop)
    for user in (teller, supervisor):
        client.force_login(user)
        assert client.post(url(coop, "new_entry"), data).status_code == 403
    assert books_snapshot(coop) == before


# --- month close ------------------------------------------------------------------------------


def test_close_month_then_backdated_entry_is_refused(acc_client, coop):
    last_month = add_months(today(coop).replace(day=1), -1)
    page = acc_client.get(url(coop, "close"))
    assert page.status_code == 200
    assert page.context["form"].initial == {"year": last_month.year, "month": last_month.month}
    response = acc_client.post(
        url(coop, "close"), {"year": last_month.year, "month": last_month.month}
    )
    assert response.status_code == 302
    assert ClosedPeriod.objects.filter(cooperative=coop, month=last_month.month).exists()
    listed = acc_client.get(url(coop, "close")).content.decode()
    assert f"{last_month.month:02d}/{last_month.year}" in listed

    before = books_snapshot(coop)
    data = entry_data([("5202", "10.000", ""), ("1101", "", "10.000")], on=last_month)
    refused = acc_client.post(url(coop, "new_entry"), data)
    assert refused.status_code == 400
    assert "closed" in refused.content.decode()
    assert books_snapshot(coop) == before


def test_close_errors_are_shown(acc_client, coop):
    now = today(coop)
    response = acc_client.post(url(coop, "close"), {"year": now.year, "month": now.month})
    assert response.status_code == 400
    assert "only after its last day" in response.content.decode()
    bad = acc_client.post(url(coop, "close"), {"year": "abc", "month": "13"})
    assert bad.status_code == 400
    assert not ClosedPeriod.objects.filter(cooperative=coop).exists()


def test_teller_cannot_close(client, coop, teller):
    client.force_login(teller)
    last_month = add_months(today(coop).replace(day=1), -1)
    response = client.post(url(coop, "close"), {"year": last_month.year, "month": last_month.month})
    assert response.status_code == 403
    assert not ClosedPeriod.objects.filter(cooperative=coop).exists()


# --- tenancy ----------------------------------------------------------------------------------


def test_other_cooperatives_staff_get_404(client, coop, other_coop, accountant):
    entry = post_expense(coop, accountant)
    stranger = make_user("akuntan-lain", other_coop, Role.ADMIN)
    client.force_login(stranger)
    pages = [
        ("accounts", {}),
        ("account", {"account_code": "1101"}),
        ("trial_balance", {}),
        ("trial_balance_xlsx", {}),
        ("journal", {}),
        ("entry", {"entry_id": entry.pk}),
        ("new_entry", {}),
        ("close", {}),
    ]
    for name, kwargs in pages:
        assert client.get(url(coop, name, **kwargs)).status_code == 404, name
    # Their own code with our entry's id: not found either, and nothing is reversed.
    assert client.get(url(other_coop, "entry", entry_id=entry.pk)).status_code == 404
    before = books_snapshot()
    response = client.post(
        url(other_coop, "reverse_entry", entry_id=entry.pk),
        {"reason": "x", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    response = client.post(
        url(coop, "new_entry"), entry_data([("5202", "1000", ""), ("1101", "", "1000")])
    )
    assert response.status_code == 404
    assert books_snapshot() == before


def test_teller_has_no_ledger_pages(client, coop, teller):
    client.force_login(teller)
    assert client.get(url(coop, "journal")).status_code == 403
