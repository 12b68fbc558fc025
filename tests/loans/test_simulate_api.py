"""POST /api/v1/loans/simulate: the CLI's JSON schedule over HTTP, without storing anything."""

from decimal import Decimal

import pytest

from koperasi.tenancy.models import Role
from tests.api.conftest import Api, codes, token_for
from tests.conftest import books_snapshot, make_user

URL = "/loans/simulate"
EXAMPLE = {
    "principal": "10000000",
    "rate": "1.5",
    "rate_period": "month",
    "months": 12,
    "method": "anuitas",
    "start": "2026-01-31",
}


@pytest.fixture
def anon(client) -> Api:
    return Api(client)


def test_worked_annuity_example(anon, db):
    response = anon.post(URL, EXAMPLE)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert list(data) == ["instalments", "total_interest", "total_payment"]
    assert (data["total_interest"], data["total_payment"]) == ("1001599.15", "11001599.15")
    assert len(data["instalments"]) == 12
    assert data["instalments"][0] == {
        "no": 1,
        "due_date": "2026-02-28",
        "principal": "766799.93",
        "interest": "150000.00",
        "payment": "916799.93",
        "balance": "9233200.07",
    }
    assert data["instalments"][-1]["payment"] == "916799.92"
    assert data["instalments"][-1]["balance"] == "0.00"


def test_same_json_as_the_cli(anon, db):
    from tests.cli.test_calc import calc_json

    body = {**EXAMPLE, "method": "menurun", "rounding": "1000", "grace_periods": 2}
    response = anon.post(URL, body)
    assert response.status_code == 200, response.json()
    cli = calc_json(
        "--principal 10000000 --rate 1.5 --rate-period month --months 12 --start 2026-01-31"
        " --method menurun --rounding 1000 --grace 2"
    )
    assert response.json() == cli


def test_integer_amounts_and_yearly_rate(anon, db):
    body = {**EXAMPLE, "principal": 10000000, "rate": 18, "rate_period": "year", "method": "flat"}
    response = anon.post(URL, body)
    assert response.status_code == 200, response.json()
    assert response.json()["total_interest"] == "1800000.00"


def test_start_defaults_to_today_and_holidays_move_due_dates(anon, db):
    body = {k: v for k, v in EXAMPLE.items() if k != "start"}
    assert anon.post(URL, body).status_code == 200
    # 2026-03-01 is a Sunday: with skip_holidays the first due date moves off it.
    moved = anon.post(URL, {**EXAMPLE, "start": "2026-02-01", "skip_holidays": True}).json()
    assert moved["instalments"][0]["due_date"] == "2026-03-02"


@pytest.mark.parametrize("field", ["principal", "rate"])
def test_json_float_is_refused(anon, db, field):
    response = anon.post(URL, {**EXAMPLE, field: 1.5})
    assert response.status_code == 400
    assert codes(response) == ["invalid"]
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"principal": "abc"}, "principal"),
        ({"principal": "0"}, "principal"),
        ({"principal": "10000000.001"}, "principal"),
        ({"rate": "satu"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"rate": "1.123456789"}, "rate"),
        ({"months": 0}, "months"),
        ({"months": 601}, "months"),
        ({"months": "dua belas"}, "months"),
        ({"method": "bunga"}, "method"),
        ({"rate_period": "week"}, "rate_period"),
        ({"rounding": "10"}, "rounding"),
        ({"frequency": "yearly"}, "frequency"),
        ({"grace_periods": 12}, "grace_periods"),
        ({"grace_periods": -1}, "grace_periods"),
        ({"start": "31-01-2026"}, "start"),
        ({"start": "9999-06-01"}, "start"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_names_the_field(anon, db, change, field):
    response = anon.post(URL, {**EXAMPLE, **change})
    assert response.status_code in (400, 422), response.json()
    codes(response)
    assert field in [item["field"] for item in response.json()["detail"]]


@pytest.mark.parametrize("missing", ["principal", "rate", "rate_period", "months", "method"])
def test_missing_field_is_required(anon, db, missing):
    body = {k: v for k, v in EXAMPLE.items() if k != missing}
    response = anon.post(URL, body)
    assert codes(response) == ["required"]
    assert response.json()["detail"][0]["field"] == missing


def test_rounding_too_coarse_for_the_loan_is_refused(anon, db):
    body = {**EXAMPLE, "principal": "1007919", "months": 36, "method": "flat", "rounding": "1000"}
    response = anon.post(URL, body)
    assert codes(response) == ["principal_too_small"]
    assert response.json()["detail"][0]["field"] == "principal"


def test_malformed_json(anon, db):
    response = anon.post(URL, raw="{not json")
    assert codes(response) == ["malformed_json"]


def test_rate_cap_applies_with_a_token(client, coop, teller):
    api = Api(client, token_for(teller, coop))
    before = books_snapshot(coop)
    # Default cap 24 % a year: 2 %/month is exactly the cap, 2.5 %/month is above it.
    assert api.post(URL, {**EXAMPLE, "rate": "2"}).status_code == 200
    response = api.post(URL, {**EXAMPLE, "rate": "2.5"})
    assert response.status_code == 400
    assert codes(response) == ["rate_above_cap"]
    assert response.json()["detail"][0]["field"] == "rate"
    response = api.post(URL, {**EXAMPLE, "rate": "25", "rate_period": "year"})
    assert codes(response) == ["rate_above_cap"]
    assert books_snapshot(coop) == before


def test_cap_is_the_token_cooperatives_own(client, coop, other_coop):
    other_coop.loan_rate_cap = Decimal("12")
    other_coop.save(update_fields=["loan_rate_cap"])
    user = make_user("petugas-lain", other_coop, Role.LOAN_OFFICER)
    api = Api(client, token_for(user, other_coop))
    assert codes(api.post(URL, {**EXAMPLE, "rate": "1.5"})) == ["rate_above_cap"]
    assert api.post(URL, {**EXAMPLE, "rate": "1"}).status_code == 200


def test_without_token_only_a_sane_bound(anon, db):
    assert anon.post(URL, {**EXAMPLE, "rate": "5"}).status_code == 200  # 60 % a year
    response = anon.post(URL, {**EXAMPLE, "rate": "90"})  # 1080 % a year
    assert codes(response) == ["too_large"]


def test_bad_token_is_refused(anon, db):
    response = anon.post(URL, EXAMPLE, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert codes(response) == ["not_authenticated"]
