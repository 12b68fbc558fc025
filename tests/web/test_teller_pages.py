"""Teller screen, account page, statement export and accounts list, through the test client."""

import io
import re
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user, sukarela_account

D = Decimal


@pytest.fixture
def client(english_client):
    # These tests read the English wording of messages; Indonesian is checked in test_i18n.py.
    return english_client


def teller_url(coop, member=None):
    url = reverse("savings:teller", kwargs={"code": coop.code})
    return f"{url}?member={member.pk}" if member is not None else url


def deposit_data(member, account, amount, key=None, note=""):
    return {
        "action": "deposit",
        "member": member.pk,
        "deposit-account": account.pk,
        "deposit-amount": amount,
        "deposit-note": note,
        "deposit-idempotency_key": key or str(uuid.uuid4()),
    }


def withdraw_data(member, account, amount, key=None):
    return {
        "action": "withdraw",
        "member": member.pk,
        "withdraw-account": account.pk,
        "withdraw-amount": amount,
        "withdraw-note": "",
        "withdraw-idempotency_key": key or str(uuid.uuid4()),
    }


@pytest.fixture
def teller_client(client, teller):
    client.force_login(teller)
    return client


def test_search_finds_member_and_htmx_returns_the_fragment(teller_client, coop, member):
    response = teller_client.get(teller_url(coop), {"q": member.name})
    assert response.status_code == 200
    assert member.number in response.content.decode()
    fragment = teller_client.get(teller_url(coop), {"q": member.number}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body and member.name in body


def test_member_screen_shows_accounts_and_keys(teller_client, coop, member, funded_sukarela):
    response = teller_client.get(teller_url(coop, member))
    body = response.content.decode()
    assert response.status_code == 200
    assert funded_sukarela.number in body
    assert "Rp 500.000" in body
    keys = re.findall(
        r'name="(?:deposit|withdraw|transfer)-idempotency_key" value="([0-9a-f-]{36})"', body
    )
    assert len(set(keys)) == 3


def test_withdraw_form_offers_only_sukarela_and_berjangka(
    teller_client, coop, member, funded_sukarela
):
    response = teller_client.get(teller_url(coop, member))
    form = response.context["forms"]["withdraw"]
    offered = {value for value, _label in form.fields["account"].choices if value}
    assert offered == {funded_sukarela.pk}


def test_deposit_redirects_to_receipt_with_terbilang(teller_client, coop, member, funded_sukarela):
    response = teller_client.post(
        teller_url(coop, member), deposit_data(member, funded_sukarela, "1.250.000", note="Tabung")
    )
    assert response.status_code == 302
    txn = SavingsTransaction.objects.latest("id")
    assert response["Location"] == reverse(
        "savings:receipt", kwargs={"code": coop.code, "txn_id": txn.pk}
    )
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("1750000.00")
    receipt = teller_client.get(response["Location"])
    body = receipt.content.decode()
    assert receipt.status_code == 200
    assert "Rp 1.250.000" in body
    assert "Satu juta dua ratus lima puluh ribu rupiah" in body
    assert txn.receipt_number in body
    assert "Rp 1.750.000" in body  # balance after


def test_amount_with_sen_is_accepted(teller_client, coop, member, funded_sukarela):
    response = teller_client.post(
        teller_url(coop, member), deposit_data(member, funded_sukarela, "1.000,50")
    )
    assert response.status_code == 302
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("501000.50")


def test_double_submit_with_the_same_key_posts_once(teller_client, coop, member, funded_sukarela):
    data = deposit_data(member, funded_sukarela, "100000")
    first = teller_client.post(teller_url(coop, member), data)
    before = books_snapshot(coop)
    second = teller_client.post(teller_url(coop, member), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert books_snapshot(coop) == before
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("600000.00")


def test_withdrawal_over_balance_is_refused_and_changes_nothing(
    teller_client, coop, member, funded_sukarela
):
    before = books_snapshot(coop)
    response = teller_client.post(
        teller_url(coop, member), withdraw_data(member, funded_sukarela, "500.001")
    )
    assert response.status_code == 400
    assert "Insufficient balance" in response.content.decode()
    assert books_snapshot(coop) == before


def test_withdrawal_from_wajib_is_refused_by_the_service(teller_client, coop, member):
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    savings.deposit(
        cooperative=coop, actor=None, account_id=wajib.pk, amount="50000", idempotency_key="w"
    )
    before = books_snapshot(coop)
    response = teller_client.post(teller_url(coop, member), withdraw_data(member, wajib, "10000"))
    assert response.status_code == 400
    assert "can be withdrawn only when membership ends" in response.content.decode()
    assert books_snapshot(coop) == before


@pytest.mark.parametrize(
    "amount, message",
    [
        ("abc", "Enter the amount like 50000, 1.250.000 or 1.250.000,50"),
        ("0", "greater than zero"),
        ("1.000,001", "At most two digits of sen"),
        ("1250.000", "Enter the amount like 50000"),  # neither grouped thousands nor sen
        ("", "required"),
    ],
)
def test_bad_amounts_are_refused(teller_client, coop, member, funded_sukarela, amount, message):
    before = books_snapshot(coop)
    response = teller_client.post(
        teller_url(coop, member), deposit_data(member, funded_sukarela, amount)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert books_snapshot(coop) == before


def test_an_error_keeps_the_rendered_key(teller_client, coop, member, funded_sukarela):
    key = str(uuid.uuid4())
    response = teller_client.post(
        teller_url(coop, member), deposit_data(member, funded_sukarela, "abc", key=key)
    )
    assert response.status_code == 400
    assert key in response.content.decode()


def test_transfer_between_own_accounts(teller_client, coop, member, funded_sukarela):
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    response = teller_client.post(
        teller_url(coop, member),
        {
            "action": "transfer",
            "member": member.pk,
            "transfer-from_account": funded_sukarela.pk,
            "transfer-to_account": wajib.pk,
            "transfer-amount": "50.000",
            "transfer-idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    wajib.refresh_from_db()
    funded_sukarela.refresh_from_db()
    assert (wajib.balance, funded_sukarela.balance) == (D("50000.00"), D("450000.00"))


def test_another_members_account_is_not_a_valid_choice(teller_client, coop, member, teller):
    other = make_member(coop, teller)
    other_account = sukarela_account(coop, other, teller)
    before = books_snapshot(coop)
    response = teller_client.post(
        teller_url(coop, member), deposit_data(member, other_account, "10000")
    )
    assert response.status_code == 400
    assert books_snapshot(coop) == before


def test_open_sukarela_account(teller_client, coop, member):
    product = coop.savingsproduct_set.get(kind="sukarela")
    response = teller_client.post(
        teller_url(coop, member),
        {"action": "open", "member": member.pk, "open-product": product.pk},
    )
    assert response.status_code == 302
    assert SavingsAccount.objects.filter(member=member, product=product).exists()
    again = teller_client.post(
        teller_url(coop, member),
        {"action": "open", "member": member.pk, "open-product": product.pk},
    )
    assert again.status_code == 400
    assert "already has an account" in again.content.decode()


def test_supervisor_cannot_deposit(client, coop, supervisor, member, funded_sukarela):
    client.force_login(supervisor)
    before = books_snapshot(coop)
    response = client.post(teller_url(coop, member), deposit_data(member, funded_sukarela, "1000"))
    assert response.status_code == 403
    assert books_snapshot(coop) == before


def test_other_cooperatives_staff_get_404(client, coop, other_coop, member, funded_sukarela):
    stranger = make_user("orang-lain", other_coop, Role.ADMIN)
    client.force_login(stranger)
    txn = funded_sukarela.transactions.first()
    before = books_snapshot()
    own = {"code": coop.code}
    urls = [
        teller_url(coop),
        teller_url(coop, member),
        reverse("savings:receipt", kwargs={**own, "txn_id": txn.pk}),
        reverse("savings:receipt_pdf", kwargs={**own, "txn_id": txn.pk}),
        reverse("savings:account", kwargs={**own, "account_id": funded_sukarela.pk}),
        reverse("savings:statement_xlsx", kwargs={**own, "account_id": funded_sukarela.pk}),
        reverse("savings:accounts", kwargs=own),
    ]
    # With their own cooperative's code, the other cooperative's objects are not found either.
    theirs = {"code": other_coop.code}
    urls += [
        f"{reverse('savings:teller', kwargs=theirs)}?member={member.pk}",
        reverse("savings:receipt", kwargs={**theirs, "txn_id": txn.pk}),
        reverse("savings:receipt_pdf", kwargs={**theirs, "txn_id": txn.pk}),
        reverse("savings:account", kwargs={**theirs, "account_id": funded_sukarela.pk}),
        reverse("savings:statement_xlsx", kwargs={**theirs, "account_id": funded_sukarela.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    # Posting to the other cooperative's member or account finds nothing and writes nothing.
    for url in (
        teller_url(coop, member),
        f"{reverse('savings:teller', kwargs=theirs)}?member={member.pk}",
    ):
        response = client.post(url, deposit_data(member, funded_sukarela, "1000"))
        assert response.status_code == 404
    reverse_url = reverse("savings:reverse", kwargs={**theirs, "txn_id": txn.pk})
    response = client.post(reverse_url, {"reason": "x", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 404
    assert books_snapshot() == before


def test_account_page_shows_statement_with_running_balance(
    teller_client, coop, member, funded_sukarela, teller
):
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="125000",
        idempotency_key="w1",
    )
    url = reverse("savings:account", kwargs={"code": coop.code, "account_id": funded_sukarela.pk})
    response = teller_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "500.000" in body and "125.000" in body and "375.000" in body
    assert len(response.context["rows"]) == 2
    # A teller is not a manager: no reverse button.
    assert not response.context["can_reverse"]
    assert "Reverse this movement" not in body


def test_statement_date_filter_gives_opening_balance(teller_client, coop, funded_sukarela):
    url = reverse("savings:account", kwargs={"code": coop.code, "account_id": funded_sukarela.pk})
    later = funded_sukarela.transactions.first().business_date.replace(year=2999)
    response = teller_client.get(url, {"date_from": later.isoformat()})
    assert response.status_code == 200
    assert response.context["opening"] == D("500000.00")
    assert response.context["rows"] == []


def test_statement_xlsx_has_the_rows_as_numbers(teller_client, coop, funded_sukarela, teller):
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="100000.50",
        idempotency_key="w2",
    )
    url = reverse(
        "savings:statement_xlsx", kwargs={"code": coop.code, "account_id": funded_sukarela.pk}
    )
    response = teller_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    data = [r for r in rows if r and isinstance(r[1], str) and r[1].startswith("KW-")]
    assert len(data) == 2
    assert data[0][5] == 500000 and data[0][6] == 500000
    assert data[1][4] == pytest.approx(100000.50) and data[1][6] == pytest.approx(399999.50)
    money_cell = next(c for c in sheet["G"] if c.row > 7)
    assert money_cell.number_format == "#,##0.00"


def test_manager_reverses_a_movement(client, coop, member, funded_sukarela):
    manager = make_user("manajer", coop, Role.MANAGER)
    client.force_login(manager)
    txn = funded_sukarela.transactions.get()
    url = reverse("savings:account", kwargs={"code": coop.code, "account_id": funded_sukarela.pk})
    page = client.get(url)
    assert page.context["can_reverse"]
    assert "Reverse this movement" in page.content.decode()
    reverse_url = reverse("savings:reverse", kwargs={"code": coop.code, "txn_id": txn.pk})
    data = {"reason": "Salah input", "idempotency_key": str(uuid.uuid4())}
    # A missing reason is refused and changes nothing.
    before = books_snapshot(coop)
    assert client.post(reverse_url, {**data, "reason": ""}).status_code == 400
    assert books_snapshot(coop) == before
    response = client.post(reverse_url, data)
    assert response.status_code == 302
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("0.00")
    # The same key again posts nothing more; a new key is refused as already reversed.
    after = books_snapshot(coop)
    assert client.post(reverse_url, data).status_code == 302
    again = client.post(reverse_url, {**data, "idempotency_key": str(uuid.uuid4())})
    assert again.status_code == 400
    assert "already been reversed" in again.content.decode()
    assert books_snapshot(coop) == after


def test_teller_may_not_reverse(teller_client, coop, funded_sukarela):
    txn = funded_sukarela.transactions.get()
    before = books_snapshot(coop)
    url = reverse("savings:reverse", kwargs={"code": coop.code, "txn_id": txn.pk})
    response = teller_client.post(url, {"reason": "x", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 403
    assert books_snapshot(coop) == before


def test_accounts_list_pages_without_count(
    teller_client, coop, teller, django_assert_max_num_queries
):
    for _ in range(3):
        make_member(coop, teller)
    url = reverse("savings:accounts", kwargs={"code": coop.code})
    with django_assert_max_num_queries(8) as ctx:
        response = teller_client.get(url)
    assert response.status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    assert (
        len(response.context["accounts"]) == SavingsAccount.objects.filter(cooperative=coop).count()
    )
    assert response.context["next_query"] == ""
    by_kind = teller_client.get(url, {"kind": "pokok"})
    assert {a.product.kind for a in by_kind.context["accounts"]} == {"pokok"}


def test_accounts_list_next_and_previous_page(teller_client, coop, teller):
    for _ in range(26):
        make_member(coop, teller, active=False)  # 52 accounts: pokok + wajib each
    url = reverse("savings:accounts", kwargs={"code": coop.code})
    first = teller_client.get(url)
    assert len(first.context["accounts"]) == 50 and first.context["next_query"]
    second = teller_client.get(f"{url}?{first.context['next_query']}")
    assert len(second.context["accounts"]) == 2
    assert second.context["next_query"] == "" and second.context["prev_query"]
    back = teller_client.get(f"{url}?{second.context['prev_query']}")
    assert [a.pk for a in back.context["accounts"]] == [a.pk for a in first.context["accounts"]]


def test_post_without_a_member_is_refused(teller_client, coop, member, funded_sukarela):
    before = books_snapshot(coop)
    data = deposit_data(member, funded_sukarela, "1000")
    del data["member"]
    assert teller_client.post(teller_url(coop), data).status_code == 400
    assert books_snapshot(coop) == before
