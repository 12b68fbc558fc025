"""The member portal: own balances, own statements and profile; nothing of anyone else."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from koperasi.domain.nik import generate_nik
from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_member, make_user, sukarela_account

_serial = itertools.count(1)


def new_member(coop, actor):
    # Own NIK range: conftest's helpers run as a separate module with their own counter.
    nik = generate_nik("53", "10", "03", "P", dt.date(1990, 7, 2), next(_serial))
    return make_member(coop, actor, nik=nik, sex="P", birth_date=dt.date(1990, 7, 2))


@pytest.fixture
def member_client(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    return client


def test_member_sees_own_balances_and_total(member_client, member, funded_sukarela):
    response = member_client.get("/saya/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rp 500.000" in body  # sukarela
    assert "Rp 100.000" in body  # pokok
    assert "Rp 600.000" in body  # total
    assert f"/saya/rekening/{funded_sukarela.pk}/" in body
    assert 'class="table-wrap"' in body
    assert response.context["arrears"].months_due >= 1


def test_member_statement_with_running_balance(member_client, coop, teller, funded_sukarela):
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="125000",
        idempotency_key="w-1",
    )
    response = member_client.get(f"/saya/rekening/{funded_sukarela.pk}/")
    assert response.status_code == 200
    balances = [row.balance_after for row in response.context["rows"]]
    assert balances == [Decimal("500000.00"), Decimal("375000.00")]
    assert response.context["opening"] == Decimal("0")
    body = response.content.decode()
    assert "Rp 375.000" in body
    assert "-Rp 125.000" in body


def test_member_statement_date_filter(member_client, coop, funded_sukarela):
    today = ledger.business_today(coop)
    tomorrow = today + dt.timedelta(days=1)
    response = member_client.get(
        f"/saya/rekening/{funded_sukarela.pk}/", {"date_from": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["opening"] == Decimal("500000.00")
    response = member_client.get(
        f"/saya/rekening/{funded_sukarela.pk}/",
        {"date_from": today.isoformat(), "date_to": today.isoformat()},
    )
    assert len(response.context["rows"]) == 1
    bad = member_client.get(f"/saya/rekening/{funded_sukarela.pk}/", {"date_from": "kemarin"})
    assert bad.status_code == 400


def test_another_members_statement_is_not_found(member_client, coop, teller):
    stranger = new_member(coop, teller)
    theirs = sukarela_account(coop, stranger, teller)
    assert member_client.get(f"/saya/rekening/{theirs.pk}/").status_code == 404
    assert member_client.get("/saya/rekening/999999/").status_code == 404


def test_staff_pages_are_not_found_for_a_member(member_client, coop, member):
    pokok = SavingsAccount.objects.get(member=member, product__kind="pokok")
    for path in (
        f"/k/{coop.code}/",
        f"/k/{coop.code}/anggota/",
        f"/k/{coop.code}/anggota/{member.pk}/",
        f"/k/{coop.code}/audit/",
        f"/k/{coop.code}/simpanan/rekening/{pokok.pk}/",
    ):
        assert member_client.get(path).status_code == 404, path


def test_profile_masks_the_nik(member_client, member):
    response = member_client.get("/saya/profil/")
    body = response.content.decode()
    assert response.status_code == 200
    assert member.name in body
    assert member.number in body
    assert member.nik not in body
    assert member.nik[-4:] in body
    assert member.district in body


def test_portal_is_not_found_for_staff_and_needs_a_login(client, coop):
    assert client.get("/saya/").status_code == 302
    client.force_login(make_user("staf", coop, Role.TELLER))
    assert client.get("/saya/").status_code == 404
    assert client.get("/saya/profil/").status_code == 404
