"""The 403, 404 and 500 pages are ours, in Indonesian, with the user's menu (issue 12, point 11);
the favicon is served; the demo runs without Django's debug pages."""

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse

from koperasi import urls as site_urls
from tests.conftest import make_coop, make_member, make_user


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The site's own routes plus one that fails (for the 500 page).
urlpatterns = [path("rusak/", boom), *site_urls.urlpatterns]
handler403 = site_urls.handler403
handler404 = site_urls.handler404


def body(response) -> str:
    return response.content.decode()


def test_a_role_without_the_permission_gets_our_403_with_its_menu(client, coop, accountant):
    client.force_login(accountant)
    response = client.get(reverse("savings:teller", kwargs={"code": coop.code}))
    assert response.status_code == 403
    html = body(response)
    assert "Akses ditolak" in html
    assert "Forbidden" not in html
    assert 'data-menu="main"' in html
    assert f'href="{reverse("ledger:trial_balance", kwargs={"code": coop.code})}"' in html
    assert f'href="{reverse("savings:teller", kwargs={"code": coop.code})}"' not in html
    assert response.headers["Content-Language"] == "id"


def test_an_unknown_address_gets_our_404_in_indonesian(client, db):
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    html = body(response)
    assert "Halaman tidak ditemukan" in html
    assert "Not Found" not in html and "Page not found" not in html


def test_a_404_inside_the_cooperative_shows_the_staff_menu(client, coop, teller):
    client.force_login(teller)
    for url in (
        f"/k/{coop.code}/tidak-ada/",  # no such page
        reverse("members:detail", kwargs={"code": coop.code, "member_id": 999999}),  # no such row
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        html = body(response)
        assert "Halaman tidak ditemukan" in html
        assert f'href="{reverse("savings:teller", kwargs={"code": coop.code})}"' in html, url


def test_a_404_in_another_cooperative_is_the_same_as_for_one_that_does_not_exist(
    client, coop, teller
):
    make_coop(code="lain", name="KSP Lain Sekali")
    client.force_login(teller)
    theirs = body(client.get("/k/lain/tidak-ada/")).replace("/k/lain/", "/k/X/")
    nobody = body(client.get("/k/tidak-ada/tidak-ada/")).replace("/k/tidak-ada/", "/k/X/")
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert token.sub("", theirs) == token.sub("", nobody)
    assert "KSP Lain Sekali" not in theirs


def test_a_404_for_a_member_shows_the_portal_menu(client, coop, teller):
    member = make_member(coop, teller)
    member.user = make_user("anggota")
    member.save(update_fields=["user"])
    client.force_login(member.user)
    response = client.get("/saya/tidak-ada/")
    assert response.status_code == 404
    assert f'href="{reverse("portal_profile")}"' in body(response)


@pytest.mark.urls(__name__)
def test_a_server_error_gets_our_500_without_touching_the_database(db, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/rusak/")
    assert response.status_code == 500
    html = body(response)
    assert "Terjadi kesalahan" in html
    assert "Server Error" not in html


def test_the_500_page_renders_from_its_template_alone(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Terjadi kesalahan" in html and "/static/web/app.css" in html


def test_a_form_sent_without_its_csrf_token_gets_our_page(client, coop, teller):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teller)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    html = body(response)
    assert "Formulir tidak terkirim" in html
    assert "CSRF verification failed" not in html


def test_the_favicon_is_linked_and_served(client, db):
    page = body(client.get(reverse("login")))
    assert 'rel="icon" href="/static/web/favicon.svg"' in page
    for url in ("/favicon.ico", "/static/web/favicon.svg", "/static/web/favicon.ico"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"].startswith("image/"), url
