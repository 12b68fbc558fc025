"""Tenancy over the API: another cooperative's objects do not exist for you (404, books unchanged),
and a member's own login reads only that member's data."""

from decimal import Decimal

import pytest

from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import IdempotencyRecord
from tests.api.conftest import codes
from tests.conftest import PASSWORD, books_snapshot, make_member, sukarela_account


def fund(coop, account, amount="300000"):
    savings.deposit(
        cooperative=coop,
        actor=None,
        account_id=account.pk,
        amount=Decimal(amount),
        idempotency_key=f"fund-{account.pk}",
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def foreign(other_coop):
    """Ids of another cooperative's member and accounts."""
    member = make_member(other_coop)
    sukarela = fund(other_coop, sukarela_account(other_coop, member))
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    return {"member": member.pk, "sukarela": sukarela.pk, "wajib": wajib.pk}


@pytest.fixture
def member_login(coop, teller, member):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    member.refresh_from_db()
    return member.user


@pytest.fixture
def callers(api_as, coop, admin_user, member_login, funded_sukarela):
    """An administrator (every permission) and a member login of the first cooperative."""
    return {"admin": api_as(admin_user, coop), "member": api_as(member_login, coop)}


# Every endpoint that takes an object id, pointed at the other cooperative's objects.
CROSS_TENANT = [
    ("get", "/members/{member}", None),
    ("patch", "/members/{member}", {"name": "Dibajak"}),
    ("get", "/savings/accounts/{sukarela}", None),
    ("get", "/savings/accounts/{sukarela}/statement", None),
    ("get", "/savings/accounts/{sukarela}/statement?from=2020-01-01&to=2099-12-31", None),
    ("post", "/savings/accounts/{sukarela}/deposits", {"amount": "1000"}),
    ("post", "/savings/accounts/{wajib}/deposits", {"amount": "1000"}),
    ("post", "/savings/accounts/{sukarela}/withdrawals", {"amount": "1000"}),
    (
        "post",
        "/savings/transfers",
        {"from_account": "{sukarela}", "to_account": "{wajib}", "amount": "1000"},
    ),
    (
        "post",
        "/savings/transfers",
        {"from_account": "{own}", "to_account": "{wajib}", "amount": "1000"},
    ),
    (
        "post",
        "/savings/transfers",
        {"from_account": "{sukarela}", "to_account": "{own_wajib}", "amount": "1000"},
    ),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("who", ["admin", "member"])
@pytest.mark.parametrize(("method", "path", "body"), CROSS_TENANT)
def test_another_cooperatives_objects_are_404_and_untouched(
    callers, foreign, member, funded_sukarela, who, method, path, body
):
    ids = {
        **foreign,
        "own": funded_sukarela.pk,
        "own_wajib": SavingsAccount.objects.get(member=member, product__kind="wajib").pk,
    }
    api = callers[who]
    url = path.format(**ids)
    snapshot = books_snapshot()
    name = Member.objects.get(pk=foreign["member"]).name
    if method == "get":
        response = api.get(url)
    elif method == "patch":
        response = api.patch(url, body)
    else:
        response = api.post(url, {k: _fill(v, ids) for k, v in body.items()}, key="asing")
    assert response.status_code == 404, response.json()
    assert codes(response) == ["not_found"]
    assert books_snapshot() == snapshot
    assert Member.objects.get(pk=foreign["member"]).name == name
    assert not IdempotencyRecord.objects.exists()


def test_lists_never_show_another_cooperatives_rows(callers, foreign, other_coop):
    api = callers["admin"]
    assert api.get(f"/savings/accounts?member={foreign['member']}").json()["count"] == 0
    nik = Member.objects.get(pk=foreign["member"]).nik
    assert api.get(f"/members?q={nik}").json()["count"] == 0
    own_ids = {a["id"] for a in api.get("/savings/accounts?limit=200").json()["items"]}
    assert not own_ids & {foreign["sukarela"], foreign["wajib"]}
    entries = api.get("/ledger/entries?limit=200").json()["items"]
    assert all("Lain" not in e["memo"] for e in entries)
    assert api.get("/ledger/entries").json()["count"] == 2  # pokok and sukarela of coop A


def test_a_token_of_one_cooperative_is_not_a_token_of_the_other(api_as, coop, other_coop, teller):
    # The teller's token is bound to "kopdit"; being made staff of "lain" later changes nothing.
    from koperasi.tenancy import services as tenancy

    api = api_as(teller, coop)
    tenancy.add_staff(cooperative=other_coop, actor=None, user=teller, role="teller")
    outsider = make_member(other_coop)
    assert codes(api.get(f"/members/{outsider.pk}")) == ["not_found"]


# ---------------------------------------------------------------- a member's own login


def test_member_login_reads_only_its_own_data(callers, coop, teller, member, funded_sukarela):
    api = callers["member"]
    neighbour = make_member(coop, teller)
    neighbour_account = SavingsAccount.objects.filter(member=neighbour).first()

    assert api.get(f"/members/{member.pk}").json()["number"] == member.number
    assert codes(api.get(f"/members/{neighbour.pk}")) == ["not_found"]
    listing = api.get("/members").json()
    assert [m["id"] for m in listing["items"]] == [member.pk]

    accounts = api.get("/savings/accounts").json()
    assert accounts["count"] == 3
    assert {a["member"] for a in accounts["items"]} == {member.pk}
    assert api.get(f"/savings/accounts?member={neighbour.pk}").json()["count"] == 0
    assert api.get(f"/savings/accounts/{funded_sukarela.pk}").status_code == 200
    statement = api.get(f"/savings/accounts/{funded_sukarela.pk}/statement").json()
    assert statement["closing_balance"] == "500000.00"
    assert codes(api.get(f"/savings/accounts/{neighbour_account.pk}")) == ["not_found"]
    assert codes(api.get(f"/savings/accounts/{neighbour_account.pk}/statement")) == ["not_found"]


def test_member_login_cannot_write_or_see_the_books(callers, member, funded_sukarela):
    api = callers["member"]
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    snapshot = books_snapshot()
    responses = [
        api.post(f"/savings/accounts/{funded_sukarela.pk}/deposits", {"amount": "1"}, key="m1"),
        api.post(f"/savings/accounts/{funded_sukarela.pk}/withdrawals", {"amount": "1"}, key="m2"),
        api.post(
            "/savings/transfers",
            {"from_account": funded_sukarela.pk, "to_account": wajib.pk, "amount": "1"},
            key="m3",
        ),
        api.patch(f"/members/{member.pk}", {"name": "Saya Sendiri"}),
        api.post("/members", {"name": "Teman"}),
        api.get("/ledger/trial-balance"),
        api.get("/ledger/accounts"),
        api.get("/ledger/entries"),
    ]
    for response in responses:
        assert response.status_code == 404
        assert codes(response) == ["not_found"]
    assert books_snapshot() == snapshot
