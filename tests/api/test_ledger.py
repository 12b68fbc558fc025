"""The books over the API: trial balance, chart with balances, the journal."""

import pytest

from koperasi.ledger import selectors
from tests.api.conftest import codes
from tests.conftest import make_member


@pytest.fixture
def api(api_as, coop, accountant):
    return api_as(accountant, coop)


def test_trial_balance_matches_the_books(api, coop, funded_sukarela):
    response = api.get("/ledger/trial-balance")
    assert response.status_code == 200
    body = response.json()
    rows = {r["code"]: r for r in body["rows"]}
    # Pokok 100,000 + sukarela 500,000 paid in cash.
    assert rows["1101"] == {
        "code": "1101",
        "name": "Kas",
        "type": "asset",
        "debit": "600000.00",
        "credit": "0.00",
    }
    assert rows["2101"]["credit"] == "500000.00"
    assert body["total_debit"] == body["total_credit"] == "600000.00"
    assert body["balanced"] is True
    assert body["as_of"] is None


def test_trial_balance_as_of_a_past_date_is_empty(api, funded_sukarela):
    body = api.get("/ledger/trial-balance?as_of=2000-01-31").json()
    assert body["rows"] == []
    assert body["total_debit"] == "0.00"
    assert codes(api.get("/ledger/trial-balance?as_of=kemarin")) == ["invalid_date"]


def test_chart_of_accounts_with_balances(api, coop, funded_sukarela):
    response = api.get("/ledger/accounts")
    assert response.status_code == 200
    accounts = {a["code"]: a for a in response.json()}
    assert len(accounts) == selectors.accounts(cooperative=coop).count()
    assert accounts["1101"]["balance"] == "600000.00"
    assert accounts["1101"]["parent"] == "11"
    assert accounts["2101"]["balance"] == "-500000.00"
    assert accounts["2101"]["normal_balance"] == "500000.00"
    assert accounts["2101"]["is_control"] is True
    assert accounts["1"]["is_header"] is True


def test_entries_are_paginated_with_their_postings(
    api, coop, teller, django_assert_max_num_queries
):
    for _ in range(3):
        make_member(coop, teller)  # one pokok entry each
    with django_assert_max_num_queries(8):
        body = api.get("/ledger/entries?limit=2").json()
    assert body["count"] == 3
    assert len(body["items"]) == 2
    entry = body["items"][0]
    assert entry["number"].startswith("JU-")
    assert entry["source"] == "savings"
    assert entry["actor"] == "kasir"
    assert [(p["account_code"], p["debit"], p["credit"]) for p in entry["postings"]] == [
        ("1101", "100000.00", "0.00"),
        ("3101", "0.00", "100000.00"),
    ]
    rest = api.get("/ledger/entries?limit=2&offset=2").json()
    assert len(rest["items"]) == 1
    assert api.get("/ledger/entries?source=manual").json()["count"] == 0
    assert codes(api.get("/ledger/entries?from=2026-02-01&to=2026-01-01")) == ["invalid_range"]


def test_teller_has_no_ledger_access(api_as, coop, teller):
    api = api_as(teller, coop)
    for path in ("/ledger/trial-balance", "/ledger/accounts", "/ledger/entries"):
        response = api.get(path)
        assert response.status_code == 403
        assert codes(response) == ["forbidden"]


def test_supervisor_may_read_the_books(api_as, coop, supervisor):
    assert api_as(supervisor, coop).get("/ledger/trial-balance").status_code == 200
