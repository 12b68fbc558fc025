"""Bulk member import from CSV and XLSX: all rows valid and registered, or nothing written."""

import csv
import datetime as dt
import io
import itertools
import zipfile

import openpyxl
import pytest

from koperasi.audit.models import AuditLog
from koperasi.domain.nik import generate_nik
from koperasi.ledger import selectors as ledger_selectors
from koperasi.members.models import Member
from koperasi.membership.services.importer import import_members
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsAccount
from tests.conftest import books_snapshot, make_member

# Far from the shared fixtures' counter (tests/conftest.py), which uses the same region and birth
# date: the more members earlier tests make, the closer it came to 101.
_serial = itertools.count(5001)
HEADER = [
    "nama",
    "nik",
    "jenis_kelamin",
    "tanggal_lahir",
    "telepon",
    "kecamatan",
    "kabupaten",
    "provinsi",
]


def nik(sex="L", born=dt.date(1985, 3, 14)):
    return generate_nik("53", "10", "01", sex, born, next(_serial))


def person(**overrides):
    n = next(_serial)
    row = {
        "nama": f"Warga {n}",
        "nik": nik(),
        "jenis_kelamin": "L",
        "tanggal_lahir": "14/03/1985",
        "telepon": f"0813{n:08d}",
        "kecamatan": "Maumere",
        "kabupaten": "Sikka",
        "provinsi": "Nusa Tenggara Timur",
    }
    row.update(overrides)
    return row


def csv_bytes(rows, header=None, delimiter=",", bom=False):
    header = header or list(rows[0])
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def xlsx_bytes(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(coop, actor, name, content, **kw):
    return import_members(cooperative=coop, actor=actor, file_name=name, content=content, **kw)


def state(coop):
    return (
        Member.objects.filter(cooperative=coop).count(),
        AuditLog.objects.filter(cooperative=coop).count(),
        books_snapshot(coop),
    )


def codes(result):
    return [(e.row, e.field, e.code) for e in result.errors]


def test_valid_csv_registers_every_row_with_accounts(coop, admin_user):
    rows = [person(), person(jenis_kelamin="", tanggal_lahir=""), person(telepon="")]
    result = run(coop, admin_user, "anggota.csv", csv_bytes(rows))

    assert result.ok and result.errors == []
    assert result.created == 3 and len(result.members) == 3
    created = list(Member.objects.filter(pk__in=result.members).order_by("number"))
    assert [m.nik for m in created] == [r["nik"] for r in rows]
    assert [m.number for m in created] == ["A0001", "A0002", "A0003"]
    # Sex and birth date blank in row 3 of the file: derived from the NIK.
    assert created[1].sex == "L" and created[1].birth_date == dt.date(1985, 3, 14)
    assert all(m.status == Member.Status.APPLICANT for m in created)
    for m in created:
        kinds = set(SavingsAccount.objects.filter(member=m).values_list("product__kind", flat=True))
        assert kinds == {"pokok", "wajib"}
    log = AuditLog.objects.get(cooperative=coop, action="members.import")
    assert log.data["count"] == 3 and log.data["file_name"] == "anggota.csv"


def test_semicolon_csv_with_bom_and_english_mixed_case_headers(coop, admin_user):
    header = [
        "Name",
        "NIK",
        "Sex",
        "Birth Date",
        "Phone",
        "District",
        "Regency",
        "Province",
        "Desa",
        "Pekerjaan",
        "Tanggal Masuk",
    ]
    rows = [
        [
            "Siti Aminah",
            nik("P", dt.date(1990, 1, 2)),
            "P",
            "1990-01-02",
            "0812 3456 7890",
            "Alok",
            "Sikka",
            "NTT",
            "Wairotang",
            "Petani",
            "01/02/2020",
        ],
        ["Yohanes Bosco", nik(), "l", "14/03/1985", "", "Alok", "Sikka", "NTT", "", "", ""],
    ]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    content = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")

    result = run(coop, admin_user, "DATA.CSV", content)

    assert result.ok, result.errors
    siti, yohanes = Member.objects.filter(pk__in=result.members).order_by("number")
    assert siti.name == "Siti Aminah" and siti.sex == "P" and siti.village == "Wairotang"
    assert siti.phone == "+6281234567890" and siti.occupation == "Petani"
    assert siti.joined_on == dt.date(2020, 2, 1)
    assert yohanes.sex == "L" and yohanes.joined_on is None


def test_xlsx_with_date_cell_and_int_nik_cell(coop, admin_user):
    born = dt.date(1979, 12, 31)
    number_nik = int(nik("P", born))
    header = ["nama", "nik", "tanggal_lahir", "hp", "kecamatan", "kota", "provinsi"]
    content = xlsx_bytes(
        header,
        [
            ["Maria Goreti", number_nik, born, 81234567801, "Nita", "Sikka", "NTT"],
            [None] * 7,  # a blank row in the middle is skipped
            ["Paulus", nik(), "14/03/1985", "", "Nita", "Sikka", "NTT"],
        ],
    )

    result = run(coop, admin_user, "anggota.xlsx", content)

    assert result.ok, result.errors
    maria, paulus = Member.objects.filter(pk__in=result.members).order_by("number")
    assert maria.nik == str(number_nik) and maria.birth_date == born and maria.sex == "P"
    assert maria.phone == "+6281234567801"
    assert paulus.birth_date == dt.date(1985, 3, 14)


def test_xlsx_float_nik_cell_is_refused_with_advice(coop, admin_user):
    good = person()
    content = xlsx_bytes(HEADER, [list(person(nik=3201011505900000).values()), list(good.values())])
    # Excel writes a long number in scientific form; openpyxl would write the digits.
    content = _replace_in_sheet(content, b"<v>3201011505900000</v>", b"<v>3.2010115059E+15</v>")
    before = state(coop)

    result = run(coop, admin_user, "anggota.xlsx", content)

    assert codes(result) == [(2, "nik", "nik_as_number")]
    assert "Teks" in result.errors[0].message
    assert state(coop) == before


def test_csv_nik_in_scientific_notation_is_refused(coop, admin_user):
    rows = [person(nik="3,20101E+15")]
    result = run(coop, admin_user, "a.csv", csv_bytes(rows, delimiter=";"))
    assert codes(result) == [(2, "nik", "nik_as_number")]


def _replace_in_sheet(content, old, new):
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new)
            target.writestr(item, data)
    return out.getvalue()


def test_bad_rows_are_all_reported_and_nothing_is_written(coop, admin_user, member):
    rows = [
        person(),
        person(nik="12345", kecamatan=""),  # row 3: short NIK and a blank required field
        person(),
        person(tanggal_lahir="31/02/1990", telepon="0212345678", jenis_kelamin="X"),  # row 5
        person(),
    ]
    before = state(coop)

    result = run(coop, admin_user, "anggota.csv", csv_bytes(rows))

    assert not result.ok and result.created == 0 and result.members == []
    assert sorted(codes(result)) == [
        (3, "kecamatan", "required"),
        (3, "nik", "nik_length"),
        (5, "jenis_kelamin", "invalid_sex"),
        (5, "tanggal_lahir", "invalid_date"),
        (5, "telepon", "phone_not_mobile"),
    ]
    assert all(e.message for e in result.errors)
    assert state(coop) == before
    assert ledger_selectors.ledger_violations(cooperative=coop) == []


def test_duplicate_nik_within_file_names_the_first_row(coop, admin_user):
    twin = nik()
    rows = [person(nik=twin), person(), person(nik=f"{twin[:6]} {twin[6:12]} {twin[12:]}")]
    before = state(coop)

    result = run(coop, admin_user, "a.csv", csv_bytes(rows))

    assert codes(result) == [(4, "nik", "duplicate_in_file")]
    assert "2" in result.errors[0].message
    assert state(coop) == before


def test_nik_already_registered(coop, admin_user):
    existing = make_member(coop, admin_user)
    before = state(coop)

    result = run(coop, admin_user, "a.csv", csv_bytes([person(), person(nik=existing.nik)]))

    assert codes(result) == [(3, "nik", "duplicate_nik")]
    assert state(coop) == before


def test_nik_of_another_cooperative_is_not_a_duplicate(coop, other_coop, admin_user):
    elsewhere = make_member(other_coop)
    result = run(coop, admin_user, "a.csv", csv_bytes([person(nik=elsewhere.nik)]))
    assert result.ok and result.created == 1


def test_missing_required_column(coop, admin_user):
    header = ["nama", "nik", "kecamatan", "kabupaten"]
    result = run(coop, admin_user, "a.csv", csv_bytes([person()], header=header))
    assert codes(result) == [(1, "provinsi", "missing_column")]
    assert Member.objects.count() == 0


def test_unknown_and_repeated_columns(coop, admin_user):
    header = [*HEADER, "Agama", "hp"]
    result = run(coop, admin_user, "a.csv", csv_bytes([person()], header=header))
    assert codes(result) == [(1, "Agama", "unknown_column"), (1, "hp", "duplicate_column")]
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.csv", b"", "empty_file"),
        ("a.csv", b"\r\n ,,\r\n", "empty_file"),
        ("a.csv", ",".join(HEADER).encode() + b"\r\n", "empty_file"),  # header only
        ("a.xlsx", b"", "empty_file"),
        ("a.xlsx", b"\x00\x01garbage\xff" * 50, "bad_file"),
        ("a.xlsx", b"PK\x03\x04" + b"\x00broken zip" * 20, "bad_file"),
        ("a.txt", b"nama,nik\nBudi,5310011403850001\n", "bad_file"),
        ("anggota", b"nama,nik\n", "bad_file"),
        ("a.csv", b"nama,nik\n\xff\xfeBudi,1\n", "bad_file"),  # not UTF-8
    ],
)
def test_unusable_files_give_one_file_error(coop, admin_user, name, content, code):
    before = state(coop)
    result = run(coop, admin_user, name, content)
    assert codes(result) == [(0, None, code)]
    assert result.errors[0].message
    assert state(coop) == before


def test_empty_xlsx_sheet(coop, admin_user):
    result = run(coop, admin_user, "a.xlsx", xlsx_bytes([], []))
    assert codes(result) == [(0, None, "empty_file")]


def test_oversized_file(coop, admin_user, settings):
    settings.MAX_UPLOAD_BYTES = 100
    content = csv_bytes([person(), person()])
    assert len(content) > 100
    result = run(coop, admin_user, "a.csv", content)
    assert codes(result) == [(0, None, "too_large")]
    assert Member.objects.count() == 0


def test_too_many_rows(coop, admin_user, settings):
    settings.UPLOAD_MAX_ROWS = 50
    header = "nama,nik,kecamatan,kabupaten,provinsi\n"
    at_limit = run(coop, admin_user, "a.csv", (header + "x,1,x,x,x\n" * 50).encode())
    assert "too_many_rows" not in {e.code for e in at_limit.errors}
    result = run(coop, admin_user, "a.csv", (header + "x,1,x,x,x\n" * 51).encode())
    assert codes(result) == [(0, None, "too_many_rows")]
    assert "50" in result.errors[0].message


def test_pay_pokok_activates_members_and_books_reconcile(coop, admin_user):
    rows = [person(), person(), person()]
    result = run(coop, admin_user, "a.csv", csv_bytes(rows), pay_pokok=True)

    assert result.ok and result.created == 3
    created = Member.objects.filter(pk__in=result.members)
    assert {m.status for m in created} == {Member.Status.ACTIVE}
    pokok = savings_selectors.accounts(cooperative=coop, kind="pokok")
    assert {a.balance for a in pokok} == {coop.pokok_amount}
    assert ledger_selectors.ledger_violations(cooperative=coop) == []
    assert savings_selectors.savings_violations(cooperative=coop) == []


def test_dry_run_validates_and_writes_nothing(coop, admin_user):
    before = state(coop)
    result = run(coop, admin_user, "a.csv", csv_bytes([person(), person()]), dry_run=True)
    assert result.ok and result.created == 2 and result.members == []
    assert state(coop) == before

    bad = run(coop, admin_user, "a.csv", csv_bytes([person(nik="x")]), dry_run=True)
    assert codes(bad) == [(2, "nik", "nik_digits")]


def test_future_join_date_and_too_long_name(coop, admin_user):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    header = [*HEADER, "tanggal_masuk"]
    rows = [person(tanggal_masuk=tomorrow), person(nama="N" * 151, tanggal_masuk="kemarin")]
    result = run(coop, admin_user, "a.csv", csv_bytes(rows, header=header))
    assert sorted(codes(result)) == [
        (2, "tanggal_masuk", "future_date"),
        (3, "nama", "too_long"),
        (3, "tanggal_masuk", "invalid_date"),
    ]


def test_validation_reads_registered_niks_once(coop, admin_user, django_assert_max_num_queries):
    make_member(coop, admin_user)
    content = csv_bytes([person() for _ in range(50)])
    with django_assert_max_num_queries(3):
        result = run(coop, admin_user, "a.csv", content, dry_run=True)
    assert result.ok and result.created == 50


def test_failure_while_writing_rolls_back_every_row(coop, admin_user):
    # Validation passes, but registering needs the pokok product, which was switched off.
    coop.savingsproduct_set.filter(kind="pokok").update(is_active=False)
    before = state(coop)

    result = run(coop, admin_user, "a.csv", csv_bytes([person(), person()]))

    assert codes(result) == [(0, None, "product_missing")]
    assert result.members == [] and result.created == 0
    assert state(coop) == before
    coop.refresh_from_db()
    assert coop.member_seq == 0


def test_writing_is_set_based_whatever_the_row_count(coop, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (5, 80):
        content = csv_bytes([person() for _ in range(rows)])
        with CaptureQueriesContext(connection) as queries:
            result = run(coop, admin_user, "a.csv", content, pay_pokok=True)
        assert result.ok and result.created == rows
        counts.append(len(queries))
    # 16× the rows, about the same statements (SQLite may split a big insert in batches).
    assert counts[1] - counts[0] <= 6, counts
    assert Member.objects.filter(cooperative=coop, status="active").count() == 85
    numbers = set(Member.objects.filter(cooperative=coop).values_list("number", flat=True))
    assert {"A0001", "A0085"} <= numbers and len(numbers) == 85
    assert ledger_selectors.ledger_violations(cooperative=coop) == []
    assert savings_selectors.savings_violations(cooperative=coop) == []
