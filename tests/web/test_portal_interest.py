"""The member's savings interest simulation: the month-end's calculation, with clear errors."""

import pytest

from koperasi.members import services as members
from koperasi.savings.models import SavingsProduct
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/saya/simulasi-jasa-simpanan/"


@pytest.fixture
def member_client(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    return client


def _sukarela(coop):
    return SavingsProduct.objects.get(cooperative=coop, kind="sukarela")


def test_the_page_offers_the_products_that_pay_interest(member_client, coop):
    response = member_client.get(URL)
    assert response.status_code == 200
    choices = dict(response.context["form"].fields["product"].choices)
    assert str(_sukarela(coop).pk) in choices
    assert not any("Pokok" in label for label in choices.values())


def test_a_simulation_with_a_change_in_the_month(member_client, coop):
    # 30/360 so the month's length does not matter: 1.000.000 on days 1–9, 1.500.000 from
    # day 10: Σ = 9.000.000 + 21 × 1.500.000 = 40.500.000 × 3 % / 360 = 3.375,00.
    SavingsProduct.objects.filter(pk=_sukarela(coop).pk).update(day_count="30/360")
    response = member_client.get(
        URL,
        {
            "product": _sukarela(coop).pk,
            "balance": "1.000.000",
            "change_day_1": "10",
            "change_balance_1": "1500000",
        },
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert (str(result.interest), str(result.tax), str(result.net)) == (
        "3375.00",
        "0.00",
        "3375.00",
    )
    assert "Rp 3.375" in response.content.decode()


def test_bad_input_is_a_clear_400(member_client, coop):
    response = member_client.get(
        URL, {"product": _sukarela(coop).pk, "balance": "sejuta", "change_day_1": "10"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["balance"] and form.errors["change_day_1"]
    assert response.context["result"] is None


def test_staff_without_a_member_login_cannot_use_it(client, teller):
    client.force_login(teller)
    assert client.get(URL).status_code in (302, 403, 404)
