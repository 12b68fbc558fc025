"""Issue 12 point 1: every refused login at POST /auth/token counts toward the lockout (django-axes,
5 per user name and address, as the web login), whatever is wrong with the request; a body that
cannot be read is a JSON 400 (or 413/415/422) in the standard shape that still counts."""

import json

import pytest
from axes.models import AccessAttempt

from tests.api.conftest import codes
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"
LIMIT = 5  # settings.AXES_FAILURE_LIMIT
BOUNDARY = "----grens"


def _multipart(fields: dict[str, str]) -> str:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


# Refused attempts that name the user "kasir" in a way that can be read, each as the attacker
# would send it: (what it is, content type, body).
NAMING_KASIR = [
    ("wrong password", "application/json", json.dumps({"username": "kasir", "password": "x"})),
    (
        "multipart without a boundary",
        "multipart/form-data",
        json.dumps({"username": "kasir", "password": "salah-lagi"}),
    ),
    (
        "multipart with a boundary",
        f"multipart/form-data; boundary={BOUNDARY}",
        _multipart({"username": "kasir", "password": "salah"}),
    ),
    ("a form", "application/x-www-form-urlencoded", "username=kasir&password=salah"),
    # Even the right password is refused when it is not sent as JSON, and counts.
    ("JSON as text", "text/plain", json.dumps({"username": "kasir", "password": PASSWORD})),
    ("no password", "application/json", json.dumps({"username": "kasir"})),
    (
        "a password with NUL",
        "application/json",
        json.dumps({"username": "kasir", "password": "a\x00b"}),
    ),
    ("a number as password", "application/json", '{"username": "kasir", "password": 12345}'),
]


@pytest.mark.parametrize(
    ("what", "content_type", "body"), NAMING_KASIR, ids=[c[0] for c in NAMING_KASIR]
)
def test_refused_attempts_of_any_shape_lock_the_login(client, teller, what, content_type, body):
    for attempt in range(1, LIMIT + 1):
        response = client.post(URL, data=body, content_type=content_type)
        assert response["Content-Type"].startswith("application/json"), (what, response.content)
        if attempt < LIMIT:
            assert response.status_code in (400, 401, 415, 422), (what, response.status_code)
            codes(response)  # the standard {"detail": [...]} shape
        else:
            assert response.status_code == 429, (what, response.json())
    # Locked: the right password, sent the right way, is refused too.
    response = client.post(
        URL, data={"username": "kasir", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert codes(response) == ["locked_out"]
    assert AccessAttempt.objects.get(username="kasir").failures_since_start >= LIMIT


# Bodies in which no user name can be read still count, against "no user name" from the address.
UNREADABLE = [
    ("malformed JSON", "application/json", '{"username": "kasir", "password": '),
    ("not UTF-8", "application/json", b'{"username": "\xff"}'),
    ("empty", "application/json", ""),
    ("a list", "application/json", '["kasir", "salah"]'),
    ("too deep", "application/json", "[" * 5000 + "]" * 5000),
    ("multipart without a boundary, not JSON", "multipart/form-data", "username=kasir"),
]


@pytest.mark.parametrize(
    ("what", "content_type", "body"), UNREADABLE, ids=[c[0] for c in UNREADABLE]
)
def test_unreadable_bodies_are_json_4xx_and_count(client, teller, what, content_type, body):
    statuses = []
    for _attempt in range(LIMIT):
        response = client.post(URL, data=body, content_type=content_type)
        assert response["Content-Type"].startswith("application/json"), (what, response.content)
        codes(response)
        statuses.append(response.status_code)
    assert all(s in (400, 415, 422) for s in statuses[:-1]), (what, statuses)
    assert statuses[-1] == 429, (what, statuses)
    assert AccessAttempt.objects.get(username=None).failures_since_start == LIMIT


def test_a_body_too_large_is_413_and_counts(client, teller, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "kasir", "password": "x" * 2000})
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 413
    assert codes(response) == ["too_large"]
    assert AccessAttempt.objects.get(username=None).failures_since_start == 1


def test_a_malformed_body_says_so_in_the_callers_language(client, teller):
    body = '{"username": "kasir"'
    indonesian = client.post(URL, data=body, content_type="application/json")
    english = client.post(
        URL, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert codes(indonesian) == codes(english) == ["malformed_json"]
    assert english.json()["detail"][0]["message"] == "The request body is not valid JSON."
    assert indonesian.json()["detail"][0]["message"] != english.json()["detail"][0]["message"]


def test_a_right_password_after_a_few_failures_still_gets_a_token(client, teller):
    for _attempt in range(LIMIT - 1):
        client.post(URL, data="username=kasir&password=x", content_type="multipart/form-data")
    response = client.post(
        URL, data={"username": "kasir", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["token"].startswith("kd_")
