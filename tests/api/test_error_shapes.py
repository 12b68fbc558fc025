"""Issue 12 point 8: everything under /api/ answers JSON in the standard shape
(`{"detail": [{"field", "code", "message"}]}`), in the caller's language (Accept-Language,
Indonesian by default): unknown addresses with any method, a method an address does not take
(405 with Allow), CSRF (never asked for), bodies that are malformed, too deep, too large or not
JSON, and a server fault (500)."""

import json

import pytest
from django.test import Client

from koperasi.savings import selectors as savings_selectors
from tests.api.conftest import Api, codes, token_for
from tests.conftest import PASSWORD, books_snapshot

METHODS = ("get", "post", "put", "patch", "delete", "options")


def error(response, status: int) -> dict:
    """The one error item of a JSON error answer with this status."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    (item,) = response.json()["detail"]
    assert set(item) == {"field", "code", "message"} and item["message"], item
    return item


def both_languages(send) -> tuple[dict, dict]:
    """The error item in Indonesian (no Accept-Language) and in English."""
    return send({}), send({"HTTP_ACCEPT_LANGUAGE": "en"})


@pytest.fixture
def csrf_client(teller):
    """A browser-like client: logged in to the web pages, and held to CSRF checks."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(teller)
    return client


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "path", ["/api/v1/tidak-ada", "/api/v2/members", "/api/", "/api/v1/members/"]
)
def test_unknown_addresses_answer_json_404_for_every_method(csrf_client, method, path):
    def send(headers):
        if method == "get":
            response = csrf_client.get(path, **headers)
        else:
            response = getattr(csrf_client, method)(
                path, data="{}", content_type="application/json", **headers
            )
        return error(response, 404)

    indonesian, english = both_languages(send)
    assert indonesian["code"] == english["code"] == "not_found"
    assert english["message"] == "Not found."
    assert indonesian["message"] == "Tidak ditemukan."


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/members", {"GET", "POST"}),
        ("put", "/api/v1/members/1", {"GET", "PATCH"}),
        ("get", "/api/v1/auth/token", {"POST"}),
        ("delete", "/api/v1/loans/simulate", {"POST"}),
    ],
)
def test_a_method_an_address_does_not_take_is_json_405_with_allow(
    csrf_client, coop, teller, method, path, allowed
):
    token = token_for(teller, coop)

    def send(headers):
        response = getattr(csrf_client, method)(
            path, HTTP_AUTHORIZATION=f"Bearer {token}", **headers
        )
        assert {m.strip() for m in response["Allow"].split(",")} == allowed
        return error(response, 405)

    indonesian, english = both_languages(send)
    assert indonesian["code"] == english["code"] == "method_not_allowed"
    assert method.upper() in english["message"]
    assert english["message"].startswith("This address does not take")
    assert indonesian["message"] != english["message"]


def test_csrf_never_applies_to_the_token_api(csrf_client, coop, teller, funded_sukarela):
    # A logged-in browser session without a CSRF token: the API answers as it would anyone.
    refused = csrf_client.post(
        "/api/v1/auth/token",
        data={"username": "kasir", "password": "salah"},
        content_type="application/json",
    )
    assert error(refused, 401)["code"] == "invalid_credentials"
    issued = csrf_client.post(
        "/api/v1/auth/token",
        data={"username": "kasir", "password": PASSWORD},
        content_type="application/json",
    )
    assert issued.status_code == 200, issued.content
    token = issued.json()["token"]
    deposit = csrf_client.post(
        f"/api/v1/savings/accounts/{funded_sukarela.pk}/deposits",
        data={"amount": "1000"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="csrf-1",
    )
    assert deposit.status_code == 201, deposit.content
    revoked = csrf_client.post("/api/v1/auth/revoke", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert revoked.status_code == 204


@pytest.fixture
def deposit(client, coop, teller, funded_sukarela):
    """deposit(raw body, content type, **headers) → the response of a deposit request."""
    api = Api(client, token_for(teller, coop))
    url = f"/api/v1/savings/accounts/{funded_sukarela.pk}/deposits"

    def send(body, content_type="application/json", **headers):
        return client.post(
            url,
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
            HTTP_IDEMPOTENCY_KEY="shape-1",
            **headers,
        )

    return send


def test_an_over_deep_body_is_refused_in_the_callers_language(deposit):
    snapshot = books_snapshot()
    for body in ("[" * 100_000 + "]" * 100_000, '{"amount": ' + "[" * 40 + "]" * 40 + "}"):
        indonesian, english = both_languages(lambda h, b=body: error(deposit(b, **h), 400))
        assert indonesian["code"] == english["code"] == "too_deep"
        assert english["message"] == "The JSON body is nested too deeply."
        assert indonesian["message"] != english["message"]
    assert books_snapshot() == snapshot


@pytest.mark.parametrize(
    "body", ['{"amount": "1000"', b'{"amount": "\xff"}', "amount=1000", "NaN]"]
)
def test_a_malformed_body_is_400_in_the_callers_language(deposit, body):
    snapshot = books_snapshot()
    indonesian, english = both_languages(lambda h: error(deposit(body, **h), 400))
    assert indonesian["code"] == english["code"] == "malformed_json"
    assert english["message"] == "The request body is not valid JSON."
    assert indonesian["message"] != english["message"]
    assert books_snapshot() == snapshot


def test_an_oversized_body_is_413_in_the_callers_language(deposit, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"amount": "1000", "note": "x" * 2000})
    snapshot = books_snapshot()
    indonesian, english = both_languages(lambda h: error(deposit(body, **h), 413))
    assert indonesian["code"] == english["code"] == "too_large"
    assert english["message"] == "The request body is too large."
    assert indonesian["message"] != english["message"]
    assert books_snapshot() == snapshot


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "application/xml",
    ],
)
def test_a_body_not_sent_as_json_is_415(deposit, content_type):
    snapshot = books_snapshot()
    body = json.dumps({"amount": "1000"})
    indonesian, english = both_languages(lambda h: error(deposit(body, content_type, **h), 415))
    assert indonesian["code"] == english["code"] == "unsupported_media_type"
    assert "application/json" in english["message"]
    assert indonesian["message"] != english["message"]
    assert books_snapshot() == snapshot
    # The same body sent as JSON (with a charset) is taken.
    assert deposit(body, "application/json; charset=utf-8").status_code == 201


@pytest.mark.parametrize("debug", [False, True])
def test_a_server_fault_is_a_json_500_without_a_traceback(
    coop, teller, funded_sukarela, monkeypatch, settings, debug
):
    settings.DEBUG = debug

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(savings_selectors, "account", broken)
    client = Client(raise_request_exception=False)
    token = token_for(teller, coop)

    def send(headers):
        response = client.get(
            f"/api/v1/savings/accounts/{funded_sukarela.pk}",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            **headers,
        )
        assert b"secret internals" not in response.content
        assert b"Traceback" not in response.content
        return error(response, 500)

    indonesian, english = both_languages(send)
    assert indonesian["code"] == english["code"] == "server_error"
    assert english["message"].startswith("Something went wrong on the server.")
    assert indonesian["message"] != english["message"]


def test_an_unknown_field_and_a_missing_one_come_in_the_callers_language(deposit):
    indonesian = deposit('{"jumlah": 1}')
    english = deposit('{"jumlah": 1}', HTTP_ACCEPT_LANGUAGE="en")
    assert codes(indonesian) == codes(english) == ["required", "unknown_field"]
    for ours, theirs in zip(indonesian.json()["detail"], english.json()["detail"], strict=True):
        assert ours["message"] != theirs["message"]
