"""The SHU over the API: a closed year's proposal for staff, a member's own SHU, refusals."""

import datetime as dt

import pytest

from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.shu import services as shu
from koperasi.tenancy import services as tenancy
from tests.conftest import make_member


@pytest.fixture
def closed(coop, teller):
    coop.legal_entity_date = dt.date(2020, 1, 1)  # founded before the year closed here
    coop.save(update_fields=["legal_entity_date"])
    year = ledger.business_today(coop).year - 1
    ledger.close_month(cooperative=coop, actor=None, year=year, month=12, by_close=True)
    shu.close_year(cooperative=coop, actor=None, year=year)
    return year


def get(client, token, path):
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_staff_see_the_proposal_and_a_member_their_own(client, coop, admin_user, teller, closed):
    staff = tenancy.issue_token(cooperative=coop, user=admin_user)
    body = get(client, staff, f"/shu/{closed}/simulation").json()
    assert body["year"] == closed and [p["fund"] for p in body["pools"]][0] == "cadangan"
    member = make_member(coop, teller)
    login = members.create_portal_login(
        cooperative=coop, actor=None, member=member, password="ubi-jalar-sikka-5", username="m9"
    )
    mine = get(client, tenancy.issue_token(cooperative=coop, user=login), f"/shu/{closed}/me")
    assert mine.status_code == 200 and mine.json()["total"] == "0.00"
    assert (mine.json()["distributed"], mine.json()["paid_on"]) == (False, None)
    # A member's token reads no proposal; a staff token has no "own" SHU.
    assert (
        get(
            client, tenancy.issue_token(cooperative=coop, user=login), f"/shu/{closed}/simulation"
        ).status_code
        == 404
    )
    assert get(client, staff, f"/shu/{closed}/me").status_code == 404


@pytest.mark.parametrize("year", ["2019", "١٠", "0", "abc"])
def test_a_year_not_closed_or_not_a_year_is_refused(client, coop, admin_user, year):
    token = tenancy.issue_token(cooperative=coop, user=admin_user)
    response = get(client, token, f"/shu/{year}/simulation")
    assert response.status_code in (404, 422, 400)
    assert response.json()["detail"][0]["message"]
