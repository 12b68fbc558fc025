import datetime as dt

import pytest

from koperasi.audit.models import AuditLog
from koperasi.errors import InvalidInput, NotFound, ServiceError
from koperasi.members import selectors, services
from koperasi.members.models import Member
from koperasi.membership import services as membership
from koperasi.savings.models import SavingsAccount
from tests.conftest import make_member, member_input


def test_registration_opens_pokok_and_wajib_and_numbers_members(coop, teller):
    first = membership.register_member(cooperative=coop, actor=teller, data=member_input())
    second = membership.register_member(cooperative=coop, actor=teller, data=member_input())
    assert (first.number, second.number) == ("A0001", "A0002")
    assert first.status == Member.Status.APPLICANT
    kinds = set(SavingsAccount.objects.filter(member=first).values_list("product__kind", flat=True))
    assert kinds == {"pokok", "wajib"}
    assert AuditLog.objects.filter(action="members.register", object_id=str(first.pk)).exists()


def test_sex_and_birth_date_are_derived_from_the_nik(coop, teller):
    data = member_input(nik="5310015507880003", sex="", birth_date=None)
    member = membership.register_member(cooperative=coop, actor=teller, data=data)
    assert member.sex == "P"
    assert member.birth_date == dt.date(1988, 7, 15)
    assert member.nik_warnings == []


def test_mismatch_with_the_nik_is_a_warning_not_an_error(coop, teller):
    data = member_input(nik="5310011507880004", sex="P", birth_date=dt.date(1988, 7, 16))
    member = membership.register_member(cooperative=coop, actor=teller, data=data)
    codes = {w["code"] for w in member.nik_warnings}
    assert codes == {"nik_sex_mismatch", "nik_birth_date_mismatch"}


def test_phone_is_normalised_to_e164(coop, teller):
    member = membership.register_member(
        cooperative=coop, actor=teller, data=member_input(phone="0812-3456-7890")
    )
    assert member.phone == "+6281234567890"


def test_every_bad_field_is_reported_at_once(coop, teller):
    before = Member.objects.count()
    with pytest.raises(InvalidInput) as err:
        membership.register_member(
            cooperative=coop,
            actor=teller,
            data=member_input(name="", nik="12345", phone="abc", district=""),
        )
    fields = {e.field for e in err.value.errors}
    assert {"name", "nik", "phone", "district"} <= fields
    assert Member.objects.count() == before


def test_duplicate_nik_is_refused_within_a_cooperative_only(coop, other_coop, teller):
    data = member_input()
    membership.register_member(cooperative=coop, actor=teller, data=data)
    with pytest.raises(InvalidInput) as err:
        membership.register_member(cooperative=coop, actor=teller, data=data)
    assert err.value.errors[0].code == "duplicate_nik"
    membership.register_member(cooperative=other_coop, actor=None, data=data)


@pytest.mark.parametrize("query", ["Anggota Uji", "anggota uji", "A000", "5310", "0812", "+62812"])
def test_search_by_name_number_nik_phone(coop, teller, query):
    member = make_member(coop, teller)
    found = list(selectors.search_members(cooperative=coop, query=query))
    assert member in found


def test_search_never_crosses_cooperatives(coop, other_coop, teller):
    make_member(coop, teller)
    assert list(selectors.search_members(cooperative=other_coop, query="Anggota")) == []
    with pytest.raises(NotFound):
        selectors.member(cooperative=other_coop, member_id=Member.objects.first().pk)


def test_exit_requires_a_reason_and_happens_once(coop, teller, member):
    with pytest.raises(ServiceError) as err:
        membership.exit_member(
            cooperative=coop,
            actor=teller,
            member=member,
            status="resigned",
            reason=" ",
            idempotency_key="e",
        )
    assert err.value.code == "required"
    membership.exit_member(
        cooperative=coop,
        actor=teller,
        member=member,
        status="deceased",
        reason="Meninggal",
        idempotency_key="e",
    )
    with pytest.raises(ServiceError) as err:
        membership.exit_member(
            cooperative=coop,
            actor=teller,
            member=member,
            status="resigned",
            reason="x",
            idempotency_key="e2",
        )
    assert err.value.code == "already_exited"


def test_portal_login(coop, teller, member):
    user = services.create_portal_login(
        cooperative=coop, actor=teller, member=member, password="rahasia-panjang-1"
    )
    assert user.check_password("rahasia-panjang-1")
    assert selectors.member_for_user(user) == member
    with pytest.raises(ServiceError):
        services.create_portal_login(
            cooperative=coop, actor=teller, member=member, password="lagi-rahasia-2"
        )


def test_short_queries_match_the_start_of_a_word(coop, teller):
    maria = make_member(coop, teller, name="Maria Da Silva")
    other = make_member(coop, teller, name="Yohanes Lamablawa")
    assert list(selectors.search_members(cooperative=coop, query="Ma")) == [maria]
    assert list(selectors.search_members(cooperative=coop, query="da")) == [maria]
    assert other in selectors.search_members(cooperative=coop, query="blawa")


def test_number_prefix_search_is_exact(coop, teller):
    members_made = [make_member(coop, teller) for _ in range(3)]
    found = list(selectors.search_members(cooperative=coop, query="a0002"))
    assert found == [members_made[1]]


def test_lists_keep_registration_order_past_a9999(coop, teller):
    type(coop).objects.filter(pk=coop.pk).update(member_seq=9998)
    made = [
        membership.register_member(cooperative=coop, actor=teller, data=member_input())
        for _ in range(3)
    ]
    assert [m.number for m in made] == ["A9999", "A10000", "A10001"]
    assert list(selectors.search_members(cooperative=coop)) == made
    assert list(selectors.search_members(cooperative=coop, query="Anggota")) == made
