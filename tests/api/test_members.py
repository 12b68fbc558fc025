"""Members over the API: list and search, read, register (with NIK warnings), correct."""

import dataclasses
import datetime as dt

import pytest

from koperasi.members.models import Member
from koperasi.savings.models import SavingsAccount
from tests.api.conftest import codes
from tests.conftest import books_snapshot, make_member, member_input


def register_body(**overrides):
    data = dataclasses.asdict(member_input(**overrides))
    data["birth_date"] = data["birth_date"].isoformat()
    return data


@pytest.fixture
def api(api_as, coop, teller):
    return api_as(teller, coop)


def test_list_is_paginated_as_items_and_count(api, coop, teller):
    for _ in range(3):
        make_member(coop, teller)
    first = api.get("/members?limit=2").json()
    assert set(first) == {"items", "count", "count_capped"}
    assert first["count"] == 3
    assert [m["number"] for m in first["items"]] == ["A0001", "A0002"]
    rest = api.get("/members?limit=2&offset=2").json()
    assert [m["number"] for m in rest["items"]] == ["A0003"]
    assert rest["count"] == 3


def test_list_defaults_to_50_and_refuses_more_than_200(api, coop):
    assert api.get("/members").status_code == 200
    response = api.get("/members?limit=201")
    assert response.status_code == 422
    assert codes(response) == ["too_large"]
    assert response.json()["detail"][0]["field"] == "limit"
    assert codes(api.get("/members?offset=-1")) == ["too_small"]


def test_search_and_status_filter(api, coop, teller):
    siti = make_member(coop, teller, name="Siti Aminah")
    make_member(coop, teller, name="Yohanes Bosco")
    applicant = make_member(coop, teller, active=False, name="Maria Goreti")
    found = api.get("/members?q=aminah").json()
    assert [m["id"] for m in found["items"]] == [siti.pk]
    by_nik = api.get(f"/members?q={siti.nik[:10]}").json()
    assert siti.pk in [m["id"] for m in by_nik["items"]]
    applicants = api.get("/members?status=applicant").json()
    assert [m["id"] for m in applicants["items"]] == [applicant.pk]
    assert codes(api.get("/members?status=pensiun")) == ["invalid_choice"]


def test_list_does_not_query_per_member(api, coop, teller, django_assert_max_num_queries):
    for _ in range(5):
        make_member(coop, teller)
    with django_assert_max_num_queries(8):
        assert len(api.get("/members").json()["items"]) == 5


def test_get_member(api, member):
    response = api.get(f"/members/{member.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == member.number
    assert body["status"] == "active"
    assert body["birth_date"] == "1985-03-14"
    assert body["warnings"] == []


def test_unknown_member_is_404_and_a_bad_id_is_422(api, db):
    assert codes(api.get("/members/999999")) == ["not_found"]
    response = api.get("/members/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "member_id"


def test_register_opens_pokok_and_wajib_and_reports_nik_warnings(api, coop):
    # A male NIK registered as female: accepted, with a warning to check the data.
    response = api.post("/members", register_body(sex="P"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "applicant"
    assert [w["code"] for w in body["warnings"]] == ["nik_sex_mismatch"]
    member = Member.objects.get(pk=body["id"])
    accounts = SavingsAccount.objects.filter(member=member)
    assert set(accounts.values_list("product__kind", flat=True)) == {"pokok", "wajib"}


def test_register_reports_every_bad_field_and_writes_nothing(api, coop):
    before = Member.objects.count()
    response = api.post("/members", {"name": " ", "nik": "123", "phone": "12ab"})
    assert response.status_code == 400
    fields = {d["field"]: d["code"] for d in response.json()["detail"]}
    assert fields["name"] == "required"
    assert fields["nik"] == "nik_length"
    assert fields["phone"] == "phone_invalid"
    assert fields["district"] == "required"
    assert Member.objects.count() == before


def test_register_refuses_unknown_fields_and_wrong_types(api, coop):
    response = api.post("/members", {**register_body(), "saldo": "1000"})
    assert response.status_code == 422
    assert codes(response) == ["unknown_field"]
    response = api.post("/members", {**register_body(), "name": 12})
    assert codes(response) == ["invalid"]


def test_register_duplicate_nik_is_refused(api, member):
    response = api.post("/members", register_body(nik=member.nik))
    assert response.status_code == 400
    assert "duplicate_nik" in codes(response)


def test_register_with_an_idempotency_key_registers_once(api, coop):
    body = register_body()
    first = api.post("/members", body, key="daftar-1")
    again = api.post("/members", body, key="daftar-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Member.objects.filter(cooperative=coop).count() == 1


def test_messages_follow_accept_language(api, coop):
    indonesian = api.post("/members", {})
    english = api.post("/members", {}, HTTP_ACCEPT_LANGUAGE="en")
    name_error = {d["field"]: d["message"] for d in english.json()["detail"]}["name"]
    assert name_error == "This field is required."
    name_error_id = {d["field"]: d["message"] for d in indonesian.json()["detail"]}["name"]
    assert name_error_id == "Kolom ini wajib diisi."


def test_patch_changes_only_the_fields_sent(api, member):
    response = api.patch(f"/members/{member.pk}", {"name": "Nama Baru", "phone": "0813 1111 2222"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Nama Baru"
    assert body["phone"] == "+6281311112222"
    member.refresh_from_db()
    assert member.name == "Nama Baru"
    assert member.birth_date == dt.date(1985, 3, 14)
    assert member.district == "Maumere"


def test_patch_with_bad_values_changes_nothing(api, member):
    response = api.patch(f"/members/{member.pk}", {"nik": "12", "birth_date": "2999-01-01"})
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["detail"]} == {"nik", "birth_date"}
    before = member.nik
    member.refresh_from_db()
    assert member.nik == before


def test_roles_without_members_manage_cannot_write(api_as, coop, supervisor, member):
    api = api_as(supervisor, coop)
    snapshot = books_snapshot()
    assert api.get(f"/members/{member.pk}").status_code == 200
    response = api.post("/members", register_body())
    assert response.status_code == 403
    assert codes(response) == ["forbidden"]
    assert codes(api.patch(f"/members/{member.pk}", {"name": "X"})) == ["forbidden"]
    member.refresh_from_db()
    assert member.name != "X"
    assert books_snapshot() == snapshot


def test_list_count_is_capped_for_huge_lists(api, coop, teller, monkeypatch):
    from koperasi.common import api as shared

    monkeypatch.setattr(shared, "COUNT_CAP", 2)
    for _ in range(3):
        make_member(coop, teller)
    body = api.get("/members").json()
    assert body["count"] == 2 and body["count_capped"] is True
    assert len(body["items"]) == 3
    monkeypatch.setattr(shared, "COUNT_CAP", 100)
    body = api.get("/members").json()
    assert body["count_capped"] is False and body["count"] == 3
