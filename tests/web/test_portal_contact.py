"""A member changes their own phone and email in the portal (issue 12 point 16): normalised as
everywhere, refused clearly when wrong (nothing changed), and recorded in the audit log with
what each was before and after."""

import html

import pytest

from koperasi.audit.models import AuditLog
from koperasi.members import services as members
from koperasi.members.models import Member
from tests.conftest import PASSWORD

URL = "/saya/profil/"


@pytest.fixture
def member_client(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    client.user = user
    return client


def shows(response, text):
    return html.escape(text) in response.content.decode()


def test_the_profile_offers_the_contact_form_and_the_password_page(member_client, member):
    response = member_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="phone"' in body and 'name="email"' in body
    assert "/akun/kata-sandi/" in body


def test_the_member_changes_phone_and_email_and_the_audit_log_keeps_both(
    member_client, coop, member
):
    before_phone = member.phone
    response = member_client.post(URL, {"phone": "0813-1111-2222", "email": "Maria@Contoh.ID"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.phone == "+6281311112222"  # the one normalised form (E.164)
    assert member.email == "Maria@contoh.id"
    page = member_client.get(response["Location"])
    assert shows(page, "Nomor HP dan email Anda telah disimpan.")
    assert shows(page, "+6281311112222") and shows(page, "Maria@contoh.id")
    record = AuditLog.objects.get(cooperative=coop, action="members.contact")
    assert record.actor == member_client.user
    assert record.object_id == str(member.pk)
    assert record.data == {
        "changed": {
            "phone": [before_phone, "+6281311112222"],
            "email": ["", "Maria@contoh.id"],
        }
    }


def test_saving_the_same_details_records_nothing(member_client, coop, member):
    member_client.post(URL, {"phone": member.phone, "email": ""})
    assert not AuditLog.objects.filter(action="members.contact").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "12345", "email": ""}, "phone", "nomor HP Indonesia yang diawali 08"),
        ({"phone": "08abc", "email": ""}, "phone", "dengan angka saja"),
        (
            {"phone": "", "email": "bukan-email"},
            "email",
            "Tulis alamat email seperti nama@contoh.id.",
        ),
    ],
)
def test_a_wrong_phone_or_email_is_refused_and_nothing_changes(
    member_client, coop, member, data, field, message
):
    before = Member.objects.filter(pk=member.pk).values("phone", "email").get()
    response = member_client.post(URL, data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert Member.objects.filter(pk=member.pk).values("phone", "email").get() == before
    assert not AuditLog.objects.filter(action="members.contact").exists()


def test_the_service_refuses_another_cooperatives_member(coop, other_coop, member):
    from koperasi.errors import NotFound

    with pytest.raises(NotFound):
        members.update_contact(
            cooperative=other_coop, actor=None, member=member, phone="", email="a@b.id"
        )
    member.refresh_from_db()
    assert member.email == ""


def test_staff_without_a_member_login_get_no_profile(client, teller):
    client.force_login(teller)
    assert client.post(URL, {"phone": "081311112222", "email": ""}).status_code == 404
