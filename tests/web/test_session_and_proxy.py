"""A login lasts a working day at most (KOPERASI_SESSION_MINUTES), and behind a reverse proxy
(KOPERASI_PROXY_COUNT) login throttling locks the client's address, not the proxy's."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from koperasi.audit.client_address import client_address
from koperasi.audit.models import AuditLog
from tests.conftest import PASSWORD


def settings_value(name: str, **env: str) -> str:
    """A setting as a fresh process reads it from the environment."""
    drop = {"KOPERASI_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in drop} | env
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment | {"DJANGO_SETTINGS_MODULE": "koperasi.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_a_login_lasts_eight_hours_and_ends_with_the_browser(client, teller):
    response = client.post("/login/", {"username": "kasir", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get_expiry_age() == 8 * 60 * 60
    ends = client.session.get_expiry_date()
    assert ends <= timezone.now() + dt.timedelta(hours=8)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie


def test_an_expired_login_is_asked_to_log_in_again(client, coop, teller):
    client.post("/login/", {"username": "kasir", "password": PASSWORD})
    dashboard = f"/k/{coop.code}/"
    session = client.session
    session.set_expiry(timezone.now() - dt.timedelta(seconds=1))
    session.save()
    response = client.get(dashboard)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_session_length_is_a_setting():
    assert settings_value("SESSION_COOKIE_AGE", KOPERASI_SESSION_MINUTES="30") == "1800"
    assert settings_value("SESSION_EXPIRE_AT_BROWSER_CLOSE") == "True"
    assert settings_value("KOPERASI_PROXY_COUNT", KOPERASI_PROXY_COUNT="2") == "2"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.5", "10.0.0.1"),  # no proxy configured: the header is not trusted
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.1.1.1, 203.0.113.5", "203.0.113.5"),  # the client wrote the left one
        (2, "1.1.1.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),  # fewer hops than proxies: only the peer is known
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_counts_trusted_proxies_from_the_right(
    settings, proxies, forwarded, address
):
    settings.KOPERASI_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == address


def behind_proxy(address: str) -> Client:
    """A browser at `address` reaching the server through one proxy at 10.0.0.1."""
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)


def test_behind_a_proxy_a_lock_out_hits_one_address_not_everyone(teller, settings):
    settings.AXES_ENABLED = True
    settings.KOPERASI_PROXY_COUNT = 1
    guesser = behind_proxy("203.0.113.5")
    for _attempt in range(6):
        response = guesser.post("/login/", {"username": "kasir", "password": "salah"})
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # The real teller, behind the same proxy at another address, still logs in.
    response = behind_proxy("198.51.100.7").post(
        "/login/", {"username": "kasir", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_without_the_setting_the_proxy_address_is_the_one_locked(teller, settings):
    settings.AXES_ENABLED = True
    settings.KOPERASI_PROXY_COUNT = 0
    guesser = behind_proxy("203.0.113.5")
    for _attempt in range(6):
        guesser.post("/login/", {"username": "kasir", "password": "salah"})
    response = behind_proxy("198.51.100.7").post(
        "/login/", {"username": "kasir", "password": PASSWORD}
    )
    assert response.status_code == 429  # why the setting must be set behind a proxy


def test_the_audit_log_records_the_client_behind_the_proxy(coop, teller, settings):
    settings.KOPERASI_PROXY_COUNT = 1
    client = behind_proxy("203.0.113.5")
    client.force_login(teller)
    response = client.post(
        f"/k/{coop.code}/anggota/baru/",
        {
            "name": "Yohana Wea",
            "nik": "5310015507880003",
            "phone": "0812 3456 7890",
            "district": "Alok",
            "regency": "Sikka",
            "province": "Nusa Tenggara Timur",
            "idempotency_key": "daftar-yohana",
        },
    )
    assert response.status_code == 302
    assert AuditLog.objects.latest("pk").ip_address == "203.0.113.5"
