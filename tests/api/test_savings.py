"""Savings over the API: accounts, statements, and money-moving calls with idempotency."""

import datetime as dt

import pytest

from koperasi.ledger.services import business_today
from koperasi.membership import services as membership
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from koperasi.tenancy.models import IdempotencyRecord
from tests.api.conftest import codes
from tests.conftest import books_snapshot, make_member, sukarela_account


@pytest.fixture
def api(api_as, coop, teller):
    return api_as(teller, coop)


def wajib_of(member):
    return SavingsAccount.objects.get(member=member, product__kind="wajib")


def pokok_of(member):
    return SavingsAccount.objects.get(member=member, product__kind="pokok")


# ---------------------------------------------------------------- reading


def test_accounts_list_shape_and_filters(api, coop, teller, member, funded_sukarela):
    other = make_member(coop, teller)
    body = api.get("/savings/accounts").json()
    assert set(body) == {"items", "count", "count_capped"}
    assert body["count"] == 5  # pokok+wajib for both, sukarela for one
    item = next(i for i in body["items"] if i["id"] == funded_sukarela.pk)
    assert item == item | {
        "number": funded_sukarela.number,
        "member": member.pk,
        "member_number": member.number,
        "member_name": member.name,
        "kind": "sukarela",
        "balance": "500000.00",
        "status": "open",
    }
    mine = api.get(f"/savings/accounts?member={member.pk}").json()
    assert mine["count"] == 3
    pokok = api.get("/savings/accounts?kind=pokok").json()
    assert {i["member"] for i in pokok["items"]} == {member.pk, other.pk}
    assert all(i["balance"] == "100000.00" for i in pokok["items"])
    assert codes(api.get("/savings/accounts?kind=emas")) == ["invalid_choice"]
    page = api.get("/savings/accounts?limit=2&offset=4").json()
    assert page["count"] == 5 and len(page["items"]) == 1


def test_accounts_list_does_not_query_per_account(api, coop, teller, django_assert_max_num_queries):
    for _ in range(4):
        make_member(coop, teller)
    with django_assert_max_num_queries(8):
        assert len(api.get("/savings/accounts").json()["items"]) == 8


def test_get_account(api, funded_sukarela):
    response = api.get(f"/savings/accounts/{funded_sukarela.pk}")
    assert response.status_code == 200
    assert response.json()["balance"] == "500000.00"
    assert codes(api.get("/savings/accounts/999999")) == ["not_found"]


def test_statement_has_opening_balance_and_running_balances(api, funded_sukarela):
    url = f"/savings/accounts/{funded_sukarela.pk}"
    api.post(f"{url}/deposits", {"amount": "25000.50"}, key="s-1")
    api.post(f"{url}/withdrawals", {"amount": 10000}, key="s-2")
    today = business_today(funded_sukarela.cooperative)
    body = api.get(f"{url}/statement?from={today}&to={today}").json()
    assert body["opening_balance"] == "0.00"
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in body["rows"]] == [
        ("deposit", "500000.00", "500000.00"),
        ("deposit", "25000.50", "525000.50"),
        ("withdrawal", "-10000.00", "515000.50"),
    ]
    assert body["closing_balance"] == "515000.50"
    assert body["account"]["id"] == funded_sukarela.pk
    later = api.get(f"{url}/statement?from={today + dt.timedelta(days=1)}").json()
    assert later["opening_balance"] == "515000.50"
    assert later["rows"] == []


def test_statement_refuses_bad_dates(api, funded_sukarela):
    url = f"/savings/accounts/{funded_sukarela.pk}/statement"
    response = api.get(f"{url}?from=31-12-2025")
    assert response.status_code == 422
    assert response.json()["detail"][0] == response.json()["detail"][0] | {
        "field": "from",
        "code": "invalid_date",
    }
    assert codes(api.get(f"{url}?from=2026-02-01&to=2026-01-01")) == ["invalid_range"]


# ---------------------------------------------------------------- moving money


def test_deposit_returns_the_transaction(api, coop, funded_sukarela):
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/deposits",
        {"amount": "50000.00", "note": "setoran"},
        key="dep-1",
    )
    assert response.status_code == 201
    body = response.json()
    txn = SavingsTransaction.objects.get(pk=body["id"])
    assert body == {
        "id": txn.pk,
        "account": funded_sukarela.pk,
        "account_number": funded_sukarela.number,
        "kind": "deposit",
        "amount": "50000.00",
        "balance_after": "550000.00",
        "business_date": str(txn.business_date),
        "receipt_number": txn.receipt_number,
        "journal_entry": txn.journal_entry_id,
        "note": "setoran",
    }
    assert txn.channel == "api"
    funded_sukarela.refresh_from_db()
    assert str(funded_sukarela.balance) == "550000.00"


def test_withdrawal_and_transfer(api, member, funded_sukarela):
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/withdrawals", {"amount": "100000"}, key="wd-1"
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "-100000.00"
    assert response.json()["balance_after"] == "400000.00"

    wajib = wajib_of(member)
    response = api.post(
        "/savings/transfers",
        {"from_account": funded_sukarela.pk, "to_account": wajib.pk, "amount": "50000"},
        key="tf-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["from_transaction"]["amount"] == "-50000.00"
    assert body["from_transaction"]["balance_after"] == "350000.00"
    assert body["to_transaction"]["account"] == wajib.pk
    assert body["to_transaction"]["amount"] == "50000.00"
    assert body["from_transaction"]["journal_entry"] == body["to_transaction"]["journal_entry"]


def test_repeating_a_deposit_with_the_same_key_replays_it(api, funded_sukarela):
    url = f"/savings/accounts/{funded_sukarela.pk}/deposits"
    first = api.post(url, {"amount": "50000.00", "note": "a"}, key="sama")
    snapshot = books_snapshot()
    again = api.post(url, {"amount": "50000.00", "note": "a"}, key="sama")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert books_snapshot() == snapshot
    assert SavingsTransaction.objects.filter(account=funded_sukarela).count() == 2
    # Still the first answer after the balance has moved on.
    api.post(url, {"amount": "1000"}, key="lain")
    assert api.post(url, {"amount": "50000.00", "note": "a"}, key="sama").json() == first.json()


def test_same_key_with_a_different_request_is_409(api, funded_sukarela):
    url = f"/savings/accounts/{funded_sukarela.pk}"
    api.post(f"{url}/deposits", {"amount": "50000.00"}, key="k-1")
    snapshot = books_snapshot()
    for path, body in (
        ("deposits", {"amount": "60000.00"}),
        ("deposits", {"amount": "50000.00", "note": "beda"}),
        ("withdrawals", {"amount": "50000.00"}),
    ):
        response = api.post(f"{url}/{path}", body, key="k-1")
        assert response.status_code == 409
        assert codes(response) == ["idempotency_key_reused"]
    assert books_snapshot() == snapshot


@pytest.mark.parametrize("path", ["deposits", "withdrawals"])
def test_missing_idempotency_key_is_400(api, funded_sukarela, path):
    snapshot = books_snapshot()
    response = api.post(f"/savings/accounts/{funded_sukarela.pk}/{path}", {"amount": "1000"})
    assert response.status_code == 400
    assert codes(response) == ["idempotency_key_required"]
    response = api.post(
        "/savings/transfers",
        {
            "from_account": funded_sukarela.pk,
            "to_account": funded_sukarela.pk + 1,
            "amount": "1000",
        },
    )
    assert codes(response) == ["idempotency_key_required"]
    assert books_snapshot() == snapshot


def test_an_overlong_idempotency_key_is_refused(api, funded_sukarela):
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/deposits", {"amount": "1000"}, key="x" * 101
    )
    assert response.status_code == 400
    assert codes(response) == ["invalid"]


BAD_AMOUNTS = [
    ("0", "not_positive"),
    ("-1", "not_positive"),
    ("1.001", "too_precise"),
    ("abc", "invalid"),
    ("", "required"),
    (1.5, "invalid"),
    (50000.0, "invalid"),
    (None, "invalid"),
    (True, "invalid"),
    ("1e5", "invalid"),
    ("1" * 30, "too_large"),
    ("missing", "required"),
]


@pytest.mark.parametrize(("amount", "code"), BAD_AMOUNTS)
@pytest.mark.parametrize("path", ["deposits", "withdrawals"])
def test_bad_amounts_are_refused_and_change_nothing(api, funded_sukarela, path, amount, code):
    body = {} if amount == "missing" else {"amount": amount}
    snapshot = books_snapshot()
    response = api.post(f"/savings/accounts/{funded_sukarela.pk}/{path}", body, key="bad")
    assert codes(response) == [code]
    assert response.json()["detail"][0]["field"] == "amount"
    assert books_snapshot() == snapshot
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_request_does_not_use_up_its_key(api, funded_sukarela):
    url = f"/savings/accounts/{funded_sukarela.pk}/deposits"
    assert api.post(url, {"amount": "0"}, key="ulang").status_code == 400
    response = api.post(url, {"amount": "1000"}, key="ulang")
    assert response.status_code == 201


def test_overdraw_is_refused(api, funded_sukarela):
    snapshot = books_snapshot()
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/withdrawals", {"amount": "500000.01"}, key="od"
    )
    assert codes(response) == ["insufficient_balance"]
    assert books_snapshot() == snapshot


@pytest.mark.parametrize("kind", ["pokok", "wajib"])
def test_pokok_and_wajib_are_locked(api, member, kind):
    account = SavingsAccount.objects.get(member=member, product__kind=kind)
    snapshot = books_snapshot()
    response = api.post(f"/savings/accounts/{account.pk}/withdrawals", {"amount": "1"}, key="x")
    assert codes(response) == ["savings_locked"]
    assert books_snapshot() == snapshot


def test_transfer_refusals_change_nothing(api, coop, teller, member, funded_sukarela):
    stranger = sukarela_account(coop, make_member(coop, teller), teller)
    snapshot = books_snapshot()
    cases = [
        ({"to_account": stranger.pk, "amount": "1000"}, "different_member"),
        ({"to_account": funded_sukarela.pk, "amount": "1000"}, "same_account"),
        ({"to_account": wajib_of(member).pk, "amount": "999999"}, "insufficient_balance"),
        ({"to_account": pokok_of(member).pk, "amount": "1000"}, "pokok_exceeded"),
        ({"to_account": wajib_of(member).pk, "amount": 10.5}, "invalid"),
    ]
    for n, (body, code) in enumerate(cases):
        response = api.post(
            "/savings/transfers", {"from_account": funded_sukarela.pk, **body}, key=f"t{n}"
        )
        assert codes(response) == [code], body
    assert books_snapshot() == snapshot


def test_deposit_for_an_applicant_or_a_closed_account_is_refused(api, coop, teller, member):
    applicant = make_member(coop, teller, active=False)
    snapshot = books_snapshot()
    response = api.post(
        f"/savings/accounts/{wajib_of(applicant).pk}/deposits", {"amount": "50000"}, key="in-1"
    )
    assert codes(response) == ["member_inactive"]
    assert books_snapshot() == snapshot

    membership.exit_member(
        cooperative=coop,
        actor=teller,
        member=member,
        status="resigned",
        reason="pindah",
        idempotency_key="keluar",
    )
    snapshot = books_snapshot()
    response = api.post(
        f"/savings/accounts/{wajib_of(member).pk}/deposits", {"amount": "50000"}, key="in-2"
    )
    assert codes(response) == ["account_closed"]
    assert books_snapshot() == snapshot


def test_malformed_json_is_400(api, funded_sukarela):
    snapshot = books_snapshot()
    url = f"/savings/accounts/{funded_sukarela.pk}/deposits"
    for raw in ('{"amount": "1000"', "\xff", "[1, 2]", '"1000"'):
        response = api.post(url, raw=raw, key="mal")
        assert 400 <= response.status_code < 500
        codes(response)
    response = api.post(url, raw='{"amount": ', key="mal")
    assert response.status_code == 400
    assert codes(response) == ["malformed_json"]
    assert books_snapshot() == snapshot


def test_oversized_body_is_413(api, funded_sukarela, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    snapshot = books_snapshot()
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/deposits",
        {"amount": "1000", "note": "x" * 2000},
        key="big",
    )
    assert response.status_code == 413
    assert codes(response) == ["too_large"]
    assert books_snapshot() == snapshot


def test_read_only_roles_cannot_move_money(api_as, coop, supervisor, funded_sukarela):
    api = api_as(supervisor, coop)
    assert api.get(f"/savings/accounts/{funded_sukarela.pk}").status_code == 200
    snapshot = books_snapshot()
    response = api.post(
        f"/savings/accounts/{funded_sukarela.pk}/deposits", {"amount": "1000"}, key="sup"
    )
    assert response.status_code == 403
    assert codes(response) == ["forbidden"]
    assert books_snapshot() == snapshot
    assert not IdempotencyRecord.objects.exists()


def test_money_moves_match_the_books(api, coop, funded_sukarela):
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.savings.selectors import savings_violations

    url = f"/savings/accounts/{funded_sukarela.pk}"
    for n in range(3):
        api.post(f"{url}/deposits", {"amount": f"{n + 1}000.25"}, key=f"d{n}")
        api.post(f"{url}/withdrawals", {"amount": "500"}, key=f"w{n}")
    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []
