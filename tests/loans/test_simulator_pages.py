"""The loan simulator pages: public per cooperative (/koperasi/<code>/) and in the portal."""

from decimal import Decimal

import pytest

from koperasi.members import services as members
from tests.conftest import PASSWORD, books_snapshot, make_coop

PUBLIC = "/koperasi/kopdit/"
PORTAL = "/saya/simulasi-pinjaman/"
EXAMPLE = {
    "principal": "10.000.000",
    "rate": "1,5",
    "rate_period": "month",
    "months": "12",
    "method": "anuitas",
    "rounding": "none",
}


@pytest.fixture
def member_client(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    return client


def test_public_page_shows_the_cooperative_and_an_empty_form(client, coop):
    coop.address = "Jl. Ahmad Yani 1, Maumere"
    coop.save(update_fields=["address"])
    response = client.get(PUBLIC)
    body = response.content.decode()
    assert response.status_code == 200
    assert coop.name in body and "Jl. Ahmad Yani 1, Maumere" in body
    assert 'name="principal"' in body and 'method="get"' in body
    assert response.context["schedule"] is None


def test_public_page_computes_the_worked_example(client, coop):
    before = books_snapshot(coop)
    response = client.get(PUBLIC, EXAMPLE)
    body = response.content.decode()
    assert response.status_code == 200
    schedule = response.context["schedule"]
    assert schedule.instalments[0].payment == Decimal("916799.93")
    assert schedule.total_interest == Decimal("1001599.15")
    assert 'class="table-wrap"' in body
    assert "916.799,93" in body  # angka in the table
    assert "Rp 1.001.599,15" in body  # total interest
    assert "Rp 11.001.599,15" in body  # total to repay
    assert books_snapshot(coop) == before


def test_rounding_and_missing_rounding(client, coop):
    rounded = client.get(PUBLIC, {**EXAMPLE, "rounding": "1000"})
    assert rounded.context["schedule"].instalments[0].payment == Decimal("917000.00")
    link = {k: v for k, v in EXAMPLE.items() if k != "rounding"}
    assert client.get(PUBLIC, link).status_code == 200  # no rounding when left out


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"principal": "abc"}, "principal"),
        ({"principal": "10,000,000"}, "principal"),
        ({"principal": ""}, "principal"),
        ({"rate": "satu"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"months": "0"}, "months"),
        ({"months": "601"}, "months"),
        ({"method": "bunga"}, "method"),
        ({"rate_period": "week"}, "rate_period"),
    ],
)
def test_bad_input_is_400_with_the_message(client, coop, change, field):
    response = client.get(PUBLIC, {**EXAMPLE, **change})
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert str(form.errors[field][0]) in response.content.decode()
    assert response.context["schedule"] is None


def test_rate_above_the_cooperatives_cap_is_a_form_error(client, coop):
    coop.loan_rate_cap = Decimal("12")
    coop.save(update_fields=["loan_rate_cap"])
    response = client.get(PUBLIC, EXAMPLE)  # 1,5 % a month = 18 % a year
    assert response.status_code == 400
    errors = response.context["form"].errors["rate"]
    assert errors.as_data()[0].code == "rate_above_cap"
    assert "12%" in errors[0]
    assert client.get(PUBLIC, {**EXAMPLE, "rate": "1"}).status_code == 200


def test_unknown_or_inactive_cooperative_is_404(client, coop):
    assert client.get("/koperasi/tidak-ada/").status_code == 404
    closed = make_coop(code="tutup", name="KSP Tutup")
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    assert client.get("/koperasi/tutup/", EXAMPLE).status_code == 404


def test_portal_simulator_for_a_member(member_client, coop):
    home = member_client.get("/saya/")
    assert PORTAL in home.content.decode()  # the nav links to it
    response = member_client.get(PORTAL, EXAMPLE)
    assert response.status_code == 200
    assert response.context["schedule"].total_interest == Decimal("1001599.15")
    assert 'class="table-wrap"' in response.content.decode()


def test_portal_uses_the_members_cooperative_cap(member_client, coop):
    coop.loan_rate_cap = Decimal("12")
    coop.save(update_fields=["loan_rate_cap"])
    response = member_client.get(PORTAL, EXAMPLE)
    assert response.status_code == 400
    assert response.context["form"].errors["rate"].as_data()[0].code == "rate_above_cap"


def test_portal_simulator_needs_a_member_login(client, coop, teller):
    anonymous = client.get(PORTAL)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(teller)  # staff, not a member
    assert client.get(PORTAL).status_code == 404
