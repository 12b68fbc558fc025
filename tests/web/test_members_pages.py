"""Staff member pages: list and search, detail, register, edit, exit, portal login and import."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.domain.nik import generate_nik
from koperasi.ledger import selectors as ledger_selectors
from koperasi.ledger.models import Account
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, books_snapshot, make_member, make_user

_serial = itertools.count(1)


def new_nik(sex="L", birth=dt.date(1985, 3, 14)):
    # Own NIK range (district 02): conftest's helpers run as a separate module with their own
    # counter, so mixing them with the `member` fixture could repeat a NIK.
    return generate_nik("53", "10", "02", sex, birth, next(_serial))


def new_member(coop, actor, active=True, **overrides):
    overrides.setdefault("nik", new_nik())
    return make_member(coop, actor, active=active, **overrides)


def url(coop, path=""):
    return f"/k/{coop.code}/anggota/{path}"


def register_data(**overrides):
    data = {
        "name": "Maria Goreti Lewa",
        "nik": new_nik(),
        "sex": "",
        "birth_date": "",
        "birth_place": "Maumere",
        "phone": "0813 3700 1234",
        "address": "Jl. Litbang 7",
        "village": "Kota Uneng",
        "district": "Alok",
        "regency": "Sikka",
        "province": "Nusa Tenggara Timur",
        "occupation": "Petani",
        "pay_pokok": "on",
        "idempotency_key": "form-key-1",
    }
    data.update(overrides)
    return data


def assert_books_reconcile(coop):
    assert ledger_selectors.ledger_violations(cooperative=coop) == []
    assert savings_selectors.savings_violations(cooperative=coop) == []


def cash(coop):
    return Account.objects.get(cooperative=coop, system_role="cash").normal_balance


# --- list and search -------------------------------------------------------------------------


def test_list_shows_members_to_every_staff_role(client, coop, teller, member):
    for role in Role.values:
        client.force_login(make_user(f"u-{role}", coop, role))
        response = client.get(url(coop))
        assert response.status_code == 200
        assert member.name.encode() in response.content


def test_list_of_another_cooperative_is_not_found(client, coop, other_coop, member):
    client.force_login(make_user("luar", other_coop, Role.ADMIN))
    assert client.get(url(coop)).status_code == 404
    assert client.get(url(coop, f"{member.pk}/")).status_code == 404
    # A member id of another cooperative under one's own code is not found either.
    assert client.get(url(other_coop, f"{member.pk}/")).status_code == 404


@pytest.mark.parametrize("field", ["name", "number", "nik", "phone"])
def test_search_finds_a_member_by_name_number_nik_or_phone(client, coop, teller, field):
    target = new_member(coop, teller, name="Yohanes Parera", phone="0813 3911 2233")
    other = new_member(coop, teller, name="Siti Kolo", phone="0852 1111 0000")
    query = {
        "name": "parera",
        "number": target.number,
        "nik": target.nik,
        "phone": "0813-3911-2233",
    }[field]
    client.force_login(teller)
    response = client.get(url(coop), {"q": query})
    assert response.status_code == 200
    assert target.name.encode() in response.content
    assert other.name.encode() not in response.content


def test_status_filter(client, coop, teller):
    active = new_member(coop, teller, name="Aktif Sekali")
    applicant = new_member(coop, teller, active=False, name="Baru Mendaftar")
    client.force_login(teller)
    body = client.get(url(coop), {"status": "applicant"}).content.decode()
    assert applicant.name in body
    assert active.name not in body
    assert client.get(url(coop), {"status": "nonsense"}).status_code == 200


def test_htmx_search_returns_only_the_table(client, coop, teller, member):
    client.force_login(teller)
    response = client.get(url(coop), {"q": member.name}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="member-table">')
    assert "<html" not in body
    assert member.name in body
    # The same URL without htmx is the whole page (works without JavaScript).
    full = client.get(url(coop), {"q": member.name}).content.decode()
    assert "<html" in full and 'hx-trigger="keyup changed delay:300ms' in full


def _list_queries(client, coop):
    client.get(url(coop))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(coop), {"page": "1"})
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def test_list_pages_with_constant_queries_and_no_count(client, coop, teller):
    for _ in range(5):
        new_member(coop, teller, active=False)
    client.force_login(teller)
    response, few = _list_queries(client, coop)
    assert not response.context["page"].has_next
    for _ in range(25):
        new_member(coop, teller, active=False)
    response, many = _list_queries(client, coop)
    assert len(response.context["page"].rows) == 25
    assert response.context["page"].has_next
    assert len(many) == len(few) <= 6
    assert not any("COUNT(" in sql.upper() for sql in many)
    second = client.get(url(coop), {"page": "2"})
    assert len(second.context["page"].rows) == 5
    assert not second.context["page"].has_next


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_identity_savings_and_arrears(client, coop, teller, member, funded_sukarela):
    client.force_login(teller)
    response = client.get(url(coop, f"{member.pk}/"))
    body = response.content.decode()
    assert response.status_code == 200
    assert member.nik in body
    assert "Rp 500.000" in body
    assert "Rp 600.000" in body  # total with the pokok
    assert f"/k/{coop.code}/simpanan/rekening/{funded_sukarela.pk}/" in body
    assert response.context["arrears"].months_due >= 1
    assert 'name="idempotency_key"' in body  # the exit form carries its key


def test_detail_shows_nik_warnings_in_an_amber_box(client, coop, teller):
    person = new_member(coop, teller, nik=new_nik(sex="L"), sex="P")
    assert person.nik_warnings
    client.force_login(teller)
    body = client.get(url(coop, f"{person.pk}/")).content.decode()
    assert 'class="amber"' in body
    assert person.nik_warnings[0]["message"] in body


def test_detail_of_a_missing_member_is_not_found(client, coop, teller):
    client.force_login(teller)
    assert client.get(url(coop, "999999/")).status_code == 404


# --- register --------------------------------------------------------------------------------


def test_register_with_pokok_payment(client, coop, teller):
    client.force_login(teller)
    assert client.get(url(coop, "baru/")).status_code == 200
    response = client.post(url(coop, "baru/"), register_data())
    assert response.status_code == 302
    person = Member.objects.get(cooperative=coop, name="Maria Goreti Lewa")
    assert response["Location"] == url(coop, f"{person.pk}/")
    assert person.status == Member.Status.ACTIVE
    assert person.phone == "+6281337001234"
    assert person.birth_date == dt.date(1985, 3, 14)  # derived from the NIK
    assert person.sex == "L"
    assert cash(coop) == coop.pokok_amount
    assert_books_reconcile(coop)
    page = client.get(response["Location"]).content.decode()
    assert person.number in page


def test_register_without_pokok_leaves_an_applicant(client, coop, teller):
    client.force_login(teller)
    data = register_data()
    del data["pay_pokok"]
    response = client.post(url(coop, "baru/"), data)
    assert response.status_code == 302
    person = Member.objects.get(cooperative=coop)
    assert person.status == Member.Status.APPLICANT
    assert cash(coop) == Decimal("0")


def test_register_double_submit_pays_pokok_once(client, coop, teller):
    client.force_login(teller)
    data = register_data()
    assert client.post(url(coop, "baru/"), data).status_code == 302
    before = books_snapshot(coop)
    again = client.post(url(coop, "baru/"), data)
    assert again.status_code == 400
    assert books_snapshot(coop) == before
    assert Member.objects.filter(cooperative=coop).count() == 1


def test_register_with_sex_against_the_nik_warns(client, coop, teller):
    client.force_login(teller)
    response = client.post(url(coop, "baru/"), register_data(sex="P"), follow=True)
    assert response.status_code == 200
    levels = [m.level_tag for m in response.context["messages"]]
    assert "success" in levels and "warning" in levels


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nik": "12345"}, "nik"),
        ({"nik": "53100255031500AB"}, "nik"),
        ({"phone": "12"}, "phone"),
        ({"district": ""}, "district"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "kemarin"}, "birth_date"),
    ],
)
def test_register_invalid_input_changes_nothing(client, coop, teller, overrides, field):
    client.force_login(teller)
    before = books_snapshot(coop)
    response = client.post(url(coop, "baru/"), register_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Member.objects.filter(cooperative=coop).count() == 0
    assert books_snapshot(coop) == before
    assert b"flash error" in response.content


def test_register_duplicate_nik_changes_nothing(client, coop, teller, member):
    client.force_login(teller)
    before = books_snapshot(coop)
    count = Member.objects.count()
    response = client.post(url(coop, "baru/"), register_data(nik=member.nik))
    assert response.status_code == 400
    assert "nik" in response.context["form"].errors
    assert Member.objects.count() == count
    assert books_snapshot(coop) == before


def test_register_reports_every_problem_at_once(client, coop, teller):
    client.force_login(teller)
    response = client.post(url(coop, "baru/"), register_data(nik="123", district="", phone="x"))
    assert response.status_code == 400
    assert {"nik", "district", "phone"} <= set(response.context["form"].errors)


def test_register_is_refused_to_a_supervisor(client, coop, supervisor):
    client.force_login(supervisor)
    before = books_snapshot(coop)
    assert client.get(url(coop, "baru/")).status_code == 403
    assert client.post(url(coop, "baru/"), register_data()).status_code == 403
    assert Member.objects.count() == 0
    assert books_snapshot(coop) == before


# --- edit ------------------------------------------------------------------------------------


def test_edit_member(client, coop, teller, member):
    client.force_login(teller)
    page = client.get(url(coop, f"{member.pk}/ubah/"))
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == member.name
    data = register_data(nik=member.nik, name="Nama Baru", sex="L")
    data.pop("pay_pokok")
    response = client.post(url(coop, f"{member.pk}/ubah/"), data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Nama Baru"


def test_edit_with_bad_phone_is_refused(client, coop, teller, member):
    client.force_login(teller)
    data = register_data(nik=member.nik, phone="abc")
    response = client.post(url(coop, f"{member.pk}/ubah/"), data)
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.name != "Maria Goreti Lewa"


# --- exit and portal login -------------------------------------------------------------------


def test_exit_refunds_the_savings_and_books_reconcile(
    client, coop, teller, member, funded_sukarela
):
    client.force_login(teller)
    assert cash(coop) == Decimal("600000.00")
    data = {"status": "resigned", "reason": "Pindah ke Kupang", "idempotency_key": "exit-1"}
    response = client.post(url(coop, f"{member.pk}/keluar/"), data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Member.Status.RESIGNED
    assert cash(coop) == Decimal("0.00")
    assert set(SavingsAccount.objects.filter(member=member).values_list("balance", flat=True)) == {
        Decimal("0.00")
    }
    assert_books_reconcile(coop)
    # A double click posts nothing more.
    before = books_snapshot(coop)
    again = client.post(url(coop, f"{member.pk}/keluar/"), data)
    assert again.status_code == 302
    assert books_snapshot(coop) == before


def test_exit_without_a_reason_changes_nothing(client, coop, teller, member):
    client.force_login(teller)
    before = books_snapshot(coop)
    data = {"status": "resigned", "reason": "", "idempotency_key": "exit-2"}
    response = client.post(url(coop, f"{member.pk}/keluar/"), data)
    assert response.status_code == 400
    assert books_snapshot(coop) == before
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_exit_is_refused_to_a_supervisor(client, coop, supervisor, member):
    client.force_login(supervisor)
    data = {"status": "resigned", "reason": "x", "idempotency_key": "exit-3"}
    assert client.post(url(coop, f"{member.pk}/keluar/"), data).status_code == 403
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_create_portal_login(client, coop, teller, member):
    client.force_login(teller)
    short = client.post(url(coop, f"{member.pk}/login-portal/"), {"password": "pendek"})
    assert short.status_code == 400
    member.refresh_from_db()
    assert member.user_id is None
    response = client.post(
        url(coop, f"{member.pk}/login-portal/"), {"username": "", "password": PASSWORD}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.user.username == f"{coop.code}.{member.number}".lower()
    assert member.user.check_password(PASSWORD)
    twice = client.post(url(coop, f"{member.pk}/login-portal/"), {"password": PASSWORD})
    assert twice.status_code == 400


# --- import ----------------------------------------------------------------------------------

HEADER = (
    "nama,nik,jenis_kelamin,tanggal_lahir,tempat_lahir,telepon,alamat,desa,kecamatan,kabupaten,"
    "provinsi,pekerjaan"
)


def _csv(*rows):
    return (HEADER + "\n" + "\n".join(rows) + "\n").encode()


def _row(name, nik, phone="081234567890"):
    return f"{name},{nik},,,Maumere,{phone},Jl. A,Desa B,Alok,Sikka,NTT,Petani"


def test_import_template_download(client, coop, accountant):
    client.force_login(accountant)
    response = client.get(url(coop, "impor/template.csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().strip() == HEADER


def test_import_is_refused_to_a_teller(client, coop, teller):
    client.force_login(teller)
    assert client.get(url(coop, "impor/")).status_code == 403


def test_import_good_csv(client, coop, accountant):
    pytest.importorskip("koperasi.membership.services.importer")
    client.force_login(accountant)
    assert client.get(url(coop, "impor/")).status_code == 200
    upload = SimpleUploadedFile(
        "anggota.csv", _csv(_row("Satu", new_nik()), _row("Dua", new_nik())), "text/csv"
    )
    response = client.post(url(coop, "impor/"), {"file": upload, "pay_pokok": "on"})
    assert response.status_code == 302
    assert Member.objects.filter(cooperative=coop, status=Member.Status.ACTIVE).count() == 2
    assert cash(coop) == 2 * coop.pokok_amount
    assert_books_reconcile(coop)


def test_import_dry_run_saves_nothing(client, coop, accountant):
    pytest.importorskip("koperasi.membership.services.importer")
    client.force_login(accountant)
    upload = SimpleUploadedFile("anggota.csv", _csv(_row("Satu", new_nik())), "text/csv")
    response = client.post(url(coop, "impor/"), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    assert Member.objects.count() == 0


def test_import_bad_csv_reports_every_row_and_saves_nothing(client, coop, accountant):
    pytest.importorskip("koperasi.membership.services.importer")
    client.force_login(accountant)
    before = books_snapshot(coop)
    content = _csv(
        _row("Baik", new_nik()), _row("NIK Salah", "123"), _row("HP Salah", new_nik(), "99")
    )
    upload = SimpleUploadedFile("anggota.csv", content, "text/csv")
    response = client.post(url(coop, "impor/"), {"file": upload})
    assert response.status_code == 400
    rows = {e.row for e in response.context["errors"]}
    assert rows == {3, 4}
    body = response.content.decode()
    assert "<td>3</td>" in body and "<td>4</td>" in body
    assert Member.objects.count() == 0
    assert books_snapshot(coop) == before


def test_import_refuses_other_file_types(client, coop, accountant):
    client.force_login(accountant)
    upload = SimpleUploadedFile("anggota.pdf", b"%PDF-1.4", "application/pdf")
    response = client.post(url(coop, "impor/"), {"file": upload})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_import_refuses_a_file_over_the_limit(client, coop, accountant, settings):
    settings.MAX_UPLOAD_BYTES = 200
    client.force_login(accountant)
    upload = SimpleUploadedFile("anggota.csv", _csv(*[_row("X", new_nik()) for _ in range(5)]))
    response = client.post(url(coop, "impor/"), {"file": upload})
    assert response.status_code == 413
    assert b"flash error" in response.content
    assert Member.objects.count() == 0
