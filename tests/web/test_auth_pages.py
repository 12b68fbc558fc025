"""Login (with the demo box and the lock-out after repeated failures) and the landing redirect."""

from koperasi.members import services as members
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_coop, make_member, make_user


def test_login_page_renders_without_demo_logins_by_default(client, db, settings):
    settings.DEMO_MODE = False
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b"koperasi-demo" not in response.content
    assert b"pengawas" not in response.content


def test_login_page_lists_the_demo_logins_in_demo_mode(client, db, settings):
    settings.DEMO_MODE = True
    response = client.get("/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "koperasi-demo" in body
    for username in ("admin", "kasir", "akuntan", "pengawas", "A0001"):
        assert f"<code>{username}</code>" in body


def test_logging_in_lands_a_single_cooperative_teller_on_its_dashboard(client, coop, teller):
    response = client.post("/login/", {"username": "kasir", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"/k/{coop.code}/"
    assert client.get(response["Location"]).status_code == 200


def test_wrong_password_shows_the_form_again(client, teller):
    response = client.post("/login/", {"username": "kasir", "password": "salah"})
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert "_auth_user_id" not in client.session


def test_sixth_wrong_password_gets_the_locked_out_page(client, teller, settings):
    settings.AXES_ENABLED = True
    for _attempt in range(5):
        response = client.post("/login/", {"username": "kasir", "password": "salah"})
        assert response.status_code in (200, 429)
    response = client.post("/login/", {"username": "kasir", "password": "salah"})
    assert response.status_code == 429
    assert "web/locked_out.html" in [t.name for t in response.templates]
    assert "15" in response.content.decode()  # minutes to wait (AXES_COOLOFF_TIME = 0.25 h)
    # Even the right password is refused while locked.
    response = client.post("/login/", {"username": "kasir", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_home_sends_anonymous_visitors_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_sends_a_member_to_the_portal(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/saya/"


def test_home_lists_the_cooperatives_of_staff_in_several(client, coop, other_coop):
    user = make_user("ganda", coop, Role.ADMIN)
    tenancy.add_staff(cooperative=other_coop, actor=None, user=user, role=Role.TELLER)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert f"/k/{coop.code}/".encode() in response.content
    assert f"/k/{other_coop.code}/".encode() in response.content


def test_home_explains_when_an_account_has_no_access(client, db):
    client.force_login(make_user("orang-lain"))
    response = client.get("/")
    assert response.status_code == 200
    assert b"flash warning" in response.content


def test_staff_pages_need_a_login(client, coop):
    response = client.get(f"/k/{coop.code}/anggota/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_member_login_by_password_reaches_the_portal(client, db):
    coop = make_coop(code="kop2")
    person = make_member(coop)
    members.create_portal_login(
        cooperative=coop, actor=None, member=person, password=PASSWORD, username="A0001"
    )
    response = client.post("/login/", {"username": "A0001", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/saya/"
