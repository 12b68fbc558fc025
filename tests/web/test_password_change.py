"""Changing one's own password (issue 12 point 16), for staff and members: the current password
is required, Django's validators apply, this session stays logged in, and every API token of
the login is revoked; a wrong current password is a 400 with the reason and changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from koperasi.members import services as members
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import ApiToken
from tests.conftest import PASSWORD

URL = "/akun/kata-sandi/"
NEW = "kopi-flores-baru-2026!"
User = get_user_model()


def change(client, current=PASSWORD, new=NEW, again=None):
    data = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return client.post(URL, data)


def tokens_alive(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


@pytest.fixture
def member_user(coop, teller, member):
    return members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )


def logs_in(username, password):
    return Client().post("/login/", {"username": username, "password": password}).status_code == 302


@pytest.mark.parametrize("who", ["staff", "member"])
def test_a_person_changes_their_own_password(client, coop, teller, member_user, who):
    user = teller if who == "staff" else member_user
    tenancy.issue_token(cooperative=coop, user=user)
    assert tokens_alive(user) == 1
    other_device = Client()
    other_device.force_login(user)
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200 and 'name="current_password"' in page.content.decode()

    response = change(client)
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "Kata sandi Anda telah diubah." in followed.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get(URL).status_code == 200  # this session is still logged in
    assert other_device.get(URL).status_code == 302  # other sessions end (to the login page)
    assert tokens_alive(user) == 0  # every API token is revoked
    assert logs_in(user.username, NEW) and not logs_in(user.username, PASSWORD)


def test_the_page_is_linked_from_the_menu(client, coop, teller):
    client.force_login(teller)
    page = client.get(f"/k/{coop.code}/")
    assert URL in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current": "salah-sekali-123"},
            "current_password",
            "Kata sandi Anda sekarang tidak benar.",
        ),
        ({"new": "12345678"}, "new_password", "terlalu umum"),
        ({"new": "pendek"}, "new_password", "terlalu pendek"),
        ({"again": "lain-lagi-2026!"}, "new_password_again", "Kedua kata sandi baru tidak sama."),
    ],
)
def test_a_refused_change_is_a_400_with_the_reason_and_changes_nothing(
    client, coop, teller, data, field, message
):
    tenancy.issue_token(cooperative=coop, user=teller)
    client.force_login(teller)
    before = User.objects.get(pk=teller.pk).password
    response = change(client, **data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.get(pk=teller.pk).password == before
    assert tokens_alive(teller) == 1


def test_the_anonymous_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert change(client).status_code == 302
