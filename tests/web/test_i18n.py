"""The interface speaks Bahasa Indonesia first; English is one click away."""

import uuid

from django.test import Client
from django.urls import reverse

from tests.conftest import books_snapshot


def test_login_page_is_indonesian_by_default(db):
    page = Client().get(reverse("login")).content.decode()
    assert "Masuk" in page
    assert 'lang="id"' in page


def test_refusal_is_explained_in_indonesian(client, coop, teller, member, funded_sukarela):
    client.force_login(teller)
    before = books_snapshot(coop)
    url = reverse("savings:teller", kwargs={"code": coop.code}) + f"?member={member.pk}"
    response = client.post(
        url,
        {
            "action": "withdraw",
            "member": member.pk,
            "withdraw-account": funded_sukarela.pk,
            "withdraw-amount": "900.000",
            "withdraw-idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    assert "Saldo tidak mencukupi" in response.content.decode()
    assert "Rp" in response.content.decode()
    assert books_snapshot(coop) == before


def test_switching_to_english_and_back(client, coop, teller):
    client.force_login(teller)
    dashboard = reverse("dashboard", kwargs={"code": coop.code})
    client.post(reverse("set_language"), {"language": "en", "next": dashboard})
    assert "Log out" in client.get(dashboard).content.decode()
    client.post(reverse("set_language"), {"language": "id", "next": dashboard})
    assert "Keluar" in client.get(dashboard).content.decode()


def test_pages_stay_indonesian_for_a_browser_set_to_english(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("login")).content.decode()
    assert "Masuk" in page


def test_the_api_follows_accept_language(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.headers["Content-Language"] == "en"
