"""Issue 12 point 3: a new password revokes the login's API tokens (an administrator's reset and
a person's own change, through `tenancy.services.set_password`); tokens expire after
settings.API_TOKEN_TTL_DAYS (KOPERASI_TOKEN_DAYS, default 90) with a clear 401; their last use
is recorded by a service, not by the selector that reads them; the token list shows them."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from koperasi.audit.models import AuditLog
from koperasi.errors import InvalidInput
from koperasi.members import services as members
from koperasi.tenancy import selectors
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import ApiToken, Role, StaffMembership
from tests.api.conftest import Api, codes, token_for
from tests.conftest import PASSWORD, make_user

STRONG = "kopi-flores-2026!"
LAST_USED_GRAIN = dt.timedelta(minutes=5)  # last_used_at is refreshed at most this often


def works(client, token: str) -> bool:
    response = Api(client, token).get("/members")
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


# ---------------------------------------------------------------- a new password


def test_an_administrators_reset_on_the_staff_page_revokes_the_tokens(
    client, coop, admin_user, teller
):
    tokens = [token_for(teller, coop), token_for(teller, coop)]
    own = token_for(admin_user, coop)
    browser = Client()
    browser.force_login(admin_user)
    membership = StaffMembership.objects.get(user=teller, cooperative=coop)
    url = reverse(
        "settings:staff_password", kwargs={"code": coop.code, "membership_id": membership.pk}
    )
    assert browser.post(url, {"password": STRONG}).status_code == 302
    for token in tokens:
        assert not works(client, token)
    assert works(client, own)  # only the teller's
    entry = AuditLog.objects.get(action="auth.tokens_revoke_all")
    assert entry.data == {
        "user": teller.pk,
        "username": teller.username,
        "reason": "password_reset",
        "count": 2,
    }
    # The new password gets a new token.
    response = Api(client).post("/auth/token", {"username": "kasir", "password": STRONG})
    assert response.status_code == 200
    assert works(client, response.json()["token"])


def test_a_persons_own_change_revokes_their_tokens_in_every_cooperative(
    client, coop, other_coop, teller
):
    tenancy.add_staff(cooperative=other_coop, actor=None, user=teller, role=Role.TELLER)
    ours, theirs = token_for(teller, coop), token_for(teller, other_coop)
    someone_else = token_for(make_user("lain", coop, Role.TELLER), coop)

    revoked = tenancy.set_password(user=teller, password=STRONG, actor=teller)

    assert revoked == 2
    assert not works(client, ours) and not works(client, theirs)
    assert works(client, someone_else)
    teller.refresh_from_db()
    assert teller.check_password(STRONG)
    assert {e.cooperative_id for e in AuditLog.objects.filter(action="auth.tokens_revoke_all")} == {
        coop.pk,
        other_coop.pk,
    }
    # The change itself is in the audit log of each cooperative the login works in.
    changes = AuditLog.objects.filter(action="auth.password_change")
    assert {(e.cooperative_id, e.actor_id, e.summary) for e in changes} == {
        (coop.pk, teller.pk, "kasir"),
        (other_coop.pk, teller.pk, "kasir"),
    }


def test_a_members_own_change_revokes_their_tokens(client, coop, teller, member):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    member.refresh_from_db()
    token = token_for(member.user, coop)
    assert works(client, token)
    tenancy.set_password(user=member.user, password=STRONG, actor=member.user)
    assert not works(client, token)
    change = AuditLog.objects.get(action="auth.password_change")
    assert (change.cooperative_id, change.actor_id) == (coop.pk, member.user.pk)


def test_a_weak_password_changes_nothing(client, coop, teller):
    token = token_for(teller, coop)
    with pytest.raises(InvalidInput) as refused:
        tenancy.set_password(user=teller, password="12345678", actor=teller)
    assert refused.value.code == "weak_password" and refused.value.field == "password"
    teller.refresh_from_db()
    assert teller.check_password(PASSWORD)
    assert works(client, token)
    assert not AuditLog.objects.filter(action="auth.password_change").exists()


# ---------------------------------------------------------------- expiry


def test_a_token_expires_after_the_configured_days(client, coop, teller, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    before = timezone.now()
    response = Api(client).post("/auth/token", {"username": "kasir", "password": PASSWORD})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert before + dt.timedelta(days=7) <= token.expires_at <= timezone.now() + dt.timedelta(7)
    issued = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert abs(issued - token.expires_at) < dt.timedelta(milliseconds=1)


def test_an_expired_token_is_refused_with_a_clear_401(client, coop, teller):
    raw = token_for(teller, coop)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    api = Api(client, raw)
    for response in (
        api.get("/members"),
        # The simulator, where a token is optional.
        api.post(
            "/loans/simulate",
            {
                "principal": "1000000",
                "rate": "1",
                "rate_period": "month",
                "months": 12,
                "method": "flat",
            },
        ),
        api.post("/auth/revoke"),
    ):
        assert response.status_code == 401
        assert codes(response) == ["token_expired"]
        assert response["WWW-Authenticate"] == "Bearer"
    english = api.get("/members", HTTP_ACCEPT_LANGUAGE="en").json()["detail"][0]["message"]
    assert english == "This token has expired. Get a new one at POST /api/v1/auth/token."
    assert api.get("/members").json()["detail"][0]["message"] != english


def test_the_lifetime_comes_from_koperasi_token_days():
    code = "from django.conf import settings; print(settings.API_TOKEN_TTL_DAYS)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "koperasi.settings"}

    def days(value: str | None) -> str:
        run_env = {k: v for k, v in env.items() if k != "KOPERASI_TOKEN_DAYS"}
        if value is not None:
            run_env["KOPERASI_TOKEN_DAYS"] = value
        script = f"import django; django.setup(); {code}"
        done = subprocess.run(
            [sys.executable, "-c", script], env=run_env, capture_output=True, text=True
        )
        return done.stdout.strip()

    assert days(None) == "90"
    assert days("30") == "30"


# ---------------------------------------------------------------- last use


def test_reading_a_token_writes_nothing_and_its_use_is_recorded_coarsely(
    client, coop, teller, django_assert_num_queries
):
    raw = token_for(teller, coop)
    assert selectors.token_owner(raw) is not None
    assert ApiToken.objects.get().last_used_at is None  # the selector only reads

    assert works(client, raw)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert works(client, raw)
    assert ApiToken.objects.get().last_used_at == first  # within the grain: no write
    ApiToken.objects.update(last_used_at=first - LAST_USED_GRAIN - dt.timedelta(seconds=1))
    assert works(client, raw)
    assert ApiToken.objects.get().last_used_at > first


# ---------------------------------------------------------------- the token lists


@pytest.fixture
def manager_browser(coop, admin_user):
    browser = Client()
    browser.force_login(admin_user)
    return browser


def test_a_manager_sees_and_revokes_the_cooperatives_tokens(
    client, manager_browser, coop, other_coop, teller
):
    raw = token_for(teller, coop)
    Api(client, raw).get("/members")  # used once
    foreign = token_for(make_user("orang.asing", other_coop, Role.TELLER), other_coop)
    token = ApiToken.objects.get(cooperative=coop)
    page = manager_browser.get(reverse("settings:tokens", kwargs={"code": coop.code}))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"token-{token.pk}" in text and token.prefix in text and "kasir" in text
    assert timezone.localtime(token.expires_at).strftime("%d/%m/%Y %H:%M") in text
    assert timezone.localtime(token.created_at).strftime("%d/%m/%Y %H:%M") in text
    assert timezone.localtime(token.last_used_at).strftime("%d/%m/%Y %H:%M") in text
    assert "orang.asing" not in text  # another cooperative's

    foreign_id = ApiToken.objects.get(cooperative=other_coop).pk
    revoke = "settings:token_revoke"
    url = reverse(revoke, kwargs={"code": coop.code, "token_id": foreign_id})
    assert manager_browser.post(url).status_code == 404
    assert works(client, foreign)
    url = reverse(revoke, kwargs={"code": coop.code, "token_id": token.pk})
    assert manager_browser.get(url).status_code == 405
    assert manager_browser.post(url).status_code == 302
    assert not works(client, raw)
    page = manager_browser.get(reverse("settings:tokens", kwargs={"code": coop.code}))
    assert f"token-{token.pk}" not in page.content.decode()


def test_the_token_list_is_for_managers_only(coop, teller):
    browser = Client()
    browser.force_login(teller)
    response = browser.get(reverse("settings:tokens", kwargs={"code": coop.code}))
    assert response.status_code == 403


def test_a_member_sees_and_revokes_their_own_tokens(client, coop, teller, member):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    member.refresh_from_db()
    raw = token_for(member.user, coop)
    staff_token = token_for(teller, coop)
    browser = Client()
    browser.force_login(member.user)
    page = browser.get(reverse("portal_profile")).content.decode()
    token = ApiToken.objects.get(user=member.user)
    assert f"token-{token.pk}" in page and token.prefix in page
    assert "kasir" not in page
    theirs = ApiToken.objects.get(user=teller).pk
    url = reverse("portal_token_revoke", kwargs={"token_id": theirs})
    assert browser.post(url).status_code == 404
    assert works(client, staff_token)
    url = reverse("portal_token_revoke", kwargs={"token_id": token.pk})
    assert browser.post(url).status_code == 302
    assert not works(client, raw)
