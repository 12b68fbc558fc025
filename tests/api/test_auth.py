"""Tokens: issue, use, revoke; wrong or revoked tokens; login throttling; the OpenAPI document."""

from koperasi.members import services as members
from koperasi.tenancy.models import ApiToken, Role
from tests.api.conftest import Api, codes
from tests.conftest import PASSWORD, make_coop, make_member, make_user


def login(anon: Api, username: str, password: str = PASSWORD, **extra):
    return anon.post("/auth/token", {"username": username, "password": password, **extra})


def test_token_is_issued_for_right_credentials_and_opens_the_api(anon, client, coop, teller):
    response = login(anon, "kasir")
    assert response.status_code == 200
    body = response.json()
    assert body["cooperative"] == "kopdit"
    assert body["token"].startswith("kd_")
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=body["token"]).exists()
    assert Api(client, body["token"]).get("/members").status_code == 200


def test_wrong_password_and_unknown_user_get_401(anon, coop, teller):
    for username, password in (("kasir", "salah"), ("siapa", PASSWORD)):
        response = login(anon, username, password)
        assert response.status_code == 401
        assert codes(response) == ["invalid_credentials"]


def test_missing_fields_are_reported(anon, db):
    response = anon.post("/auth/token", {"username": "kasir"})
    assert codes(response) == ["required"]
    assert response.json()["detail"][0]["field"] == "password"


def test_repeated_failures_lock_the_login_with_a_clear_json_answer(anon, coop, teller):
    statuses = [login(anon, "kasir", "salah").status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4
    assert statuses[4] == 429
    # Locked: even the right password is refused now, in JSON, never a 500.
    response = login(anon, "kasir")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert codes(response) == ["locked_out"]


def test_no_token_bad_token_and_wrong_scheme_get_401(anon, client, coop, teller):
    assert codes(anon.get("/members")) == ["not_authenticated"]
    assert anon.get("/members").status_code == 401
    assert codes(Api(client, "kd_bukan-token").get("/members")) == ["not_authenticated"]
    response = client.get("/api/v1/members", HTTP_AUTHORIZATION="Basic a2FzaXI6eA==")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_token_no_longer_works(anon, client, coop, teller):
    token = login(anon, "kasir").json()["token"]
    api = Api(client, token)
    assert api.post("/auth/revoke").status_code == 204
    response = api.get("/members")
    assert response.status_code == 401
    assert codes(response) == ["not_authenticated"]
    assert api.post("/auth/revoke").status_code == 401


def test_staff_of_several_cooperatives_names_one(anon, client, coop, other_coop):
    user = make_user("ganda", coop, Role.TELLER)
    from koperasi.tenancy import services as tenancy

    tenancy.add_staff(cooperative=other_coop, actor=None, user=user, role=Role.TELLER)
    make_member(other_coop)

    response = login(anon, "ganda")
    assert codes(response) == ["cooperative_required"]
    assert codes(login(anon, "ganda", cooperative="tidak-ada")) == ["invalid_cooperative"]

    response = login(anon, "ganda", cooperative="lain")
    assert response.status_code == 200
    listing = Api(client, response.json()["token"]).get("/members").json()
    assert listing["count"] == 1  # the member of "lain", not of "kopdit"


def test_a_user_without_cooperative_gets_no_token(anon, db):
    make_user("yatim")
    response = login(anon, "yatim")
    assert response.status_code == 403
    assert codes(response) == ["no_cooperative"]


def test_a_member_login_gets_a_token_for_their_cooperative(anon, coop, member, teller):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    response = login(anon, member.user.username)
    assert response.status_code == 200
    assert response.json()["cooperative"] == "kopdit"


def test_a_deactivated_user_cannot_use_an_old_token(api_as, coop, teller):
    api = api_as(teller, coop)
    teller.is_active = False
    teller.save()
    assert api.get("/members").status_code == 401


def test_staff_removed_from_the_cooperative_get_404_with_an_old_token(api_as, coop, teller):
    api = api_as(teller, coop)
    teller.staff_memberships.update(is_active=False)
    response = api.get("/members")
    assert response.status_code == 404
    assert codes(response) == ["not_found"]


def test_openapi_document_lists_every_path(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/auth/token",
        "/api/v1/auth/revoke",
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/savings/accounts",
        "/api/v1/savings/accounts/{account_id}",
        "/api/v1/savings/accounts/{account_id}/statement",
        "/api/v1/savings/accounts/{account_id}/deposits",
        "/api/v1/savings/accounts/{account_id}/withdrawals",
        "/api/v1/savings/transfers",
        "/api/v1/ledger/trial-balance",
        "/api/v1/ledger/accounts",
        "/api/v1/ledger/entries",
    } <= paths
    deposit = schema["paths"]["/api/v1/savings/accounts/{account_id}/deposits"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in deposit["parameters"])
    assert "BearerAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_without_a_cdn(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"cdn." not in response.content


def test_an_unknown_cooperative_code_still_answers_json(anon, db):
    make_coop(code="ketiga", name="KSP Ketiga")
    assert login(anon, "tidak-ada", cooperative="ketiga").status_code == 401
