"""Input a database cannot hold is refused up front with a 4xx, never a 500 (both databases)."""

import pytest

from koperasi.members.models import Member
from tests.api.conftest import codes
from tests.conftest import books_snapshot

HUGE = "99999999999999999999"


@pytest.fixture
def api(api_as, coop, admin_user):
    return api_as(admin_user, coop)


@pytest.mark.parametrize(
    "path",
    [
        f"/members/{HUGE}",
        f"/members?offset={HUGE}",
        f"/members?limit={HUGE}",
        "/members/0",
        "/members?q=a%00b",
        f"/savings/accounts/{HUGE}",
        f"/savings/accounts/{HUGE}/statement",
        f"/savings/accounts?member={HUGE}",
        "/savings/accounts?member=-1",
        "/savings/accounts/1/statement?from=2026-13-01",
        "/ledger/entries?source=a%00",
        f"/ledger/entries?offset={HUGE}",
        "/ledger/trial-balance?as_of=99999-01-01",
    ],
)
def test_out_of_range_reads_are_4xx(api, path):
    codes(api.get(path))


def test_out_of_range_writes_are_4xx_and_change_nothing(api, funded_sukarela):
    snapshot = books_snapshot()
    account = funded_sukarela.pk
    responses = [
        api.post(f"/savings/accounts/{HUGE}/deposits", {"amount": "1"}, key="h1"),
        api.post(f"/savings/accounts/{account}/deposits", {"amount": "1", "note": "a\x00"}, "h2"),
        api.post(f"/savings/accounts/{account}/deposits", {"amount": "1"}, key="a\x00b"),
        api.post(
            "/savings/transfers",
            {"from_account": account, "to_account": int(HUGE), "amount": "1"},
            key="h3",
        ),
        api.post(
            "/savings/transfers",
            {"from_account": account, "to_account": "x", "amount": "1"},
            key="h4",
        ),
        api.post(f"/savings/accounts/{account}/deposits", {"amount": "9" * 5000}, key="h5"),
    ]
    for response in responses:
        codes(response)
    assert books_snapshot() == snapshot


def test_member_text_with_nul_is_refused(api, member):
    before = Member.objects.count()
    response = api.post("/members", {"name": "a\x00b"})
    assert codes(response) == ["invalid"]
    assert response.json()["detail"][0]["field"] == "name"
    assert codes(api.patch(f"/members/{member.pk}", {"address": "\x00"})) == ["invalid"]
    assert Member.objects.count() == before


def test_login_with_nul_is_refused(anon, db):
    codes(anon.post("/auth/token", {"username": "a\x00", "password": "x"}))


def test_unknown_api_address_answers_json_404(client):
    response = client.get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response.json()["detail"][0]["code"] == "not_found"
