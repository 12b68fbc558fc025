"""Hostile spreadsheets are refused quickly, in bounded memory, on every upload path.

The files are built here, small on disk: a cell in column XFD on every row, a zip bomb of
repetitive XML, a row of too many cells, a DTD, a non-zip named .xlsx, CSVs with a huge field
or too many columns. Each is refused with a clear Indonesian message and a 4xx, and nothing is
imported: by the reader itself, by the member import page, the payroll page and the
`import-members` command.
"""

import datetime as dt
import io
import itertools
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from koperasi.domain.nik import generate_nik
from koperasi.loans.models import LoanTransaction
from koperasi.members.models import Member
from koperasi.membership.services.importer import import_members
from koperasi.tabular import REPORTED_PROBLEMS, FileRefused, read_rows
from tests.conftest import books_snapshot

SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024
HEADER = ["nama", "nik", "jenis_kelamin", "tanggal_lahir", "kecamatan", "kabupaten", "provinsi"]
PAYROLL_HEADER = ["no_anggota", "jumlah"]
_serial = itertools.count(1)


def person():
    nik = generate_nik("53", "10", "03", "L", dt.date(1985, 3, 14), next(_serial) % 9999 + 1)
    return [f"Warga {nik[-4:]}", nik, "L", "14/03/1985", "Alok", "Sikka", "NTT"]


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(content, name, write):
    """The same archive with part `name` written by `write(stream)` (streamed: a bomb never
    sits in memory whole)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == name:
                with target.open(name, "w") as stream:
                    write(stream)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def sheet_xml(rows_xml, dimension="A1:G2", prolog=b""):
    def write(stream):
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?>' + prolog)
        stream.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        )
        stream.write(b'<dimension ref="%s"/><sheetData>' % dimension.encode())
        for chunk in rows_xml:
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")

    return with_part(xlsx([HEADER]), SHEET, write)


def xfd_file(header=HEADER, rows=2000, honest_dimension=True):
    """The 85 KB file that took 1.2 GB: a cell in column XFD (16 384) on every row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for number in range(2, rows + 2):
        sheet.append(person()[: len(header)])
        sheet.cell(row=number, column=16_384, value="x")
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    if honest_dimension:
        return content
    # A writer may declare any size: the reader must not trust it.
    source = zipfile.ZipFile(io.BytesIO(content))
    xml = source.read(SHEET)
    lying = re.sub(rb'<dimension ref="[^"]+" ?/>', b'<dimension ref="A1:G2"/>', xml)
    assert lying != xml
    return with_part(content, SHEET, lambda stream: stream.write(lying))


def zip_bomb(inflated=40 * MB):
    """Tens of MB of repetitive XML in a few tens of KB (the 2.2 MB → 725 MB file, smaller)."""
    row = b'<row><c t="inlineStr"><is><t>Warga</t></is></c></row>' * 20_000
    return sheet_xml(itertools.repeat(row, inflated // len(row)), dimension="A1:A1")


def refusal(name, content):
    with pytest.raises(FileRefused) as refused:
        list(read_rows(name, content))
    return refused.value.errors


def peak_bytes(call):
    tracemalloc.start()
    try:
        call()
    finally:
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


# --- the reader -----------------------------------------------------------------------------


@pytest.mark.parametrize("honest_dimension", [True, False])
def test_a_cell_in_column_xfd_on_every_row_is_refused_in_little_memory(honest_dimension):
    content = xfd_file(honest_dimension=honest_dimension)
    assert len(content) < 150_000
    errors = []
    peak = peak_bytes(lambda: errors.extend(refusal("anggota.xlsx", content)))
    assert [e.code for e in errors] == ["too_many_columns"]
    assert "16.384 kolom" in errors[0].message and "paling banyak 50" in errors[0].message
    # Declared: refused before a row is read; lying: at the first wide row (row 2).
    assert errors[0].row == (0 if honest_dimension else 2)
    assert peak < 40 * MB, peak


def test_a_zip_bomb_is_refused_without_inflating_it():
    content = zip_bomb()
    assert len(content) < 200_000
    inflated = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert inflated > 30 * MB
    errors = []
    peak = peak_bytes(lambda: errors.extend(refusal("anggota.xlsx", content)))
    assert [e.code for e in errors] == ["suspicious_file"]
    assert "tidak seperti lembar kerja biasa" in errors[0].message
    assert peak < 5 * MB, peak


def test_an_xlsx_that_unpacks_past_the_limit_is_refused(settings):
    content = xlsx([HEADER] + [person() for _ in range(300)])
    settings.UPLOAD_MAX_INFLATED_BYTES = 20_000
    errors = refusal("anggota.xlsx", content)
    assert [e.code for e in errors] == ["too_large"]
    assert "MB setelah dibuka" in errors[0].message


@pytest.mark.parametrize(
    ("rows_xml", "prolog"),
    [
        # One row with more cells than Excel allows (openpyxl builds a whole row at once).
        ([b"<row>" + b"<c/>" * 70_000 + b"</row>"], b""),
        # Elements outside the rows, which openpyxl keeps.
        ([b"<x/>" * 110_000], b""),
        # A DTD: how entity-expansion bombs are made.
        (
            [b'<row><c t="inlineStr"><is><t>&a;</t></is></c></row>'],
            b'<!DOCTYPE w [<!ENTITY a "x">]>',
        ),
    ],
    ids=["cells-in-one-row", "kept-elements", "dtd"],
)
def test_xml_that_openpyxl_would_hold_whole_is_refused(rows_xml, prolog):
    content = sheet_xml(rows_xml, prolog=prolog)
    errors = []
    peak = peak_bytes(lambda: errors.extend(refusal("anggota.xlsx", content)))
    assert [e.code for e in errors] == ["suspicious_file"]
    assert peak < 10 * MB, peak


def test_rows_count_only_where_openpyxl_streams_them():
    """openpyxl reads styles.xml whole: rows there are elements it keeps, not rows."""

    def styles(stream):
        stream.write(
            b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        )
        stream.write(b"<row/>" * 110_000 + b"</styleSheet>")

    errors = refusal("a.xlsx", with_part(xlsx([HEADER]), "xl/styles.xml", styles))
    assert [e.code for e in errors] == ["suspicious_file"]


def test_rows_are_limited_declared_counted_and_while_reading(settings):
    settings.UPLOAD_MAX_ROWS = 50
    rows = [
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
        for n in range(1, 60)
    ]
    # Declared: the dimension says 59 rows (two are there).
    declared = refusal("a.xlsx", sheet_xml(rows[:2], dimension="A1:A59"))
    assert [e.code for e in declared] == ["too_many_rows"] and "59 baris" in declared[0].message
    # Counted: the dimension lies, the rows are there.
    assert [e.code for e in refusal("a.xlsx", sheet_xml(rows))] == ["too_many_rows"]
    # Read: two rows, the second at row 1,048,576 (openpyxl fills the gap with blank rows).
    far = [rows[0], b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>']
    errors = refusal("a.xlsx", sheet_xml(far, dimension="A1:A1"))
    assert [e.code for e in errors] == ["too_many_rows"]
    assert "lebih dari 50 baris" in errors[0].message
    # At the limit: read.
    assert len(list(read_rows("a.xlsx", xlsx([["x"]] * 51)))) == 51


def test_a_long_cell_is_refused_with_its_row(settings):
    settings.UPLOAD_MAX_CELL_CHARS = 100
    errors = refusal("a.xlsx", xlsx([HEADER, person(), ["x" * 101]]))
    assert [(e.row, e.code) for e in errors] == [(3, "cell_too_long")]
    assert "lebih dari 100 karakter" in errors[0].message


@pytest.mark.parametrize(
    ("content", "code", "row"),
    [
        # One field of 2 MB (under the upload limit).
        (b"nama,nik\n" + b"A" * (2 * MB) + b",1\n", "cell_too_long", 2),
        # 60 columns in the header.
        (",".join(f"kolom{n}" for n in range(60)).encode() + b"\nx\n", "too_many_columns", 1),
        # 300,000 empty columns in one row: 300 KB.
        (b"nama,nik\nBudi" + b"," * 300_000 + b"\n", "too_many_columns", 2),
    ],
    ids=["huge-field", "wide-header", "many-separators"],
)
def test_csv_is_bounded(content, code, row):
    errors = refusal("anggota.csv", content)
    assert [(e.row, e.code) for e in errors] == [(row, code)]
    assert len(errors[0].message) < 200  # never the file's contents


def test_csv_rows_are_limited(settings):
    settings.UPLOAD_MAX_ROWS = 10
    assert len(list(read_rows("a.csv", b"x\n" * 11))) == 11
    assert [e.code for e in refusal("a.csv", b"x\n" * 12)] == ["too_many_rows"]


def test_a_non_zip_named_xlsx_is_refused():
    errors = refusal("anggota.xlsx", b"nama,nik\nBudi,5310011403850001\n")
    assert [e.code for e in errors] == ["bad_file"]
    assert errors[0].message == "Ini bukan berkas Excel (.xlsx)."


def test_a_real_workbook_with_shared_strings_and_styles_still_reads():
    """The scan knows openpyxl's parts: a normal file (several sheets, shared strings, a
    date, bold text) is read as before."""
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(person())
    book.active["A1"].font = openpyxl.styles.Font(bold=True)
    book.create_sheet("Petunjuk").append(["Isi satu anggota per baris"])
    out = io.BytesIO()
    book.save(out)
    rows = list(read_rows("a.xlsx", out.getvalue()))
    assert [n for n, _cells in rows] == [1, 2] and rows[0][1] == HEADER


# --- every upload path ----------------------------------------------------------------------

# name, content for a header that the import accepts (so the bad rows are reached), code
HOSTILE = {
    "xfd": ("xlsx", lambda header: xfd_file(header, honest_dimension=False), "too_many_columns"),
    "bomb": ("xlsx", lambda header: zip_bomb(), "suspicious_file"),
    "not-zip": ("xlsx", lambda header: ";".join(header).encode() + b"\nBudi;1\n", "bad_file"),
    "huge-field": (
        "csv",
        lambda header: ";".join(header).encode() + b"\n" + b"A" * (2 * MB) + b";1\n",
        "cell_too_long",
    ),
}


@pytest.fixture(params=sorted(HOSTILE))
def hostile(request):
    return HOSTILE[request.param]


def test_member_import_page_refuses_with_a_small_page(client, coop, accountant, hostile):
    extension, build, code = hostile
    name, content = f"anggota.{extension}", build(HEADER)
    client.force_login(accountant)
    before = books_snapshot(coop)
    response = client.post(
        f"/k/{coop.code}/anggota/impor/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["errors"]] == [code]
    body = response.content.decode()
    assert response.context["errors"][0].message in body
    assert "Tidak ada yang diimpor" in body
    assert len(response.content) < 100_000
    assert Member.objects.count() == 0 and books_snapshot(coop) == before


def test_payroll_page_refuses_with_a_small_page(
    client, coop, accountant, hostile, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    extension, build, code = hostile
    name, content = f"potong-gaji.{extension}", build(PAYROLL_HEADER)
    client.force_login(accountant)
    before = books_snapshot(coop)
    response = client.post(
        reverse("loandocs:payroll", kwargs={"code": coop.code}),
        {"action": "upload", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["errors"]] == [code]
    assert response.context["errors"][0].message in response.content.decode()
    assert len(response.content) < 100_000
    assert not LoanTransaction.objects.filter(kind="repayment").exists()
    assert books_snapshot(coop) == before
    assert not any(tmp_path.rglob("*.*"))  # nothing kept to confirm later


def test_import_command_refuses(coop, hostile, tmp_path, capsys):
    extension, build, code = hostile
    path = tmp_path / f"anggota.{extension}"
    path.write_bytes(build(HEADER))
    with pytest.raises(CommandError) as err:
        call_command("import_members", str(path), coop=coop.code)
    assert err.value.returncode == 2
    assert f"({code})" in capsys.readouterr().err
    assert Member.objects.count() == 0


def test_import_command_does_not_read_a_file_over_the_limit(coop, tmp_path, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    path = tmp_path / "anggota.csv"
    path.write_bytes(b"nama,nik\n" + b"Budi,1\n" * 200)
    with pytest.raises(CommandError) as err:
        call_command("import_members", str(path), coop=coop.code)
    assert err.value.returncode == 2 and "terlalu besar" in str(err.value)
    assert Member.objects.count() == 0


# --- the list of problems stays readable ----------------------------------------------------


def test_problems_stop_at_the_reported_limit(client, coop, accountant):
    """A file of a thousand bad rows gives 200 problems and a note, not a page of megabytes."""
    rows = "\n".join(f"Warga {n},123,Alok,Sikka,NTT" for n in range(1000))
    content = f"nama,nik,kecamatan,kabupaten,provinsi\n{rows}\n".encode()
    result = import_members(cooperative=coop, actor=accountant, file_name="a.csv", content=content)
    assert len(result.errors) == REPORTED_PROBLEMS + 1
    assert result.errors[-1].code == "too_many_problems"
    assert "dihentikan setelah 200 masalah" in result.errors[-1].message
    client.force_login(accountant)
    response = client.post(
        f"/k/{coop.code}/anggota/impor/", {"file": SimpleUploadedFile("a.csv", content)}
    )
    assert response.status_code == 400
    assert "200 masalah" in response.content.decode()
    assert Member.objects.count() == 0


def test_a_long_unknown_column_name_is_not_echoed_whole(coop, accountant):
    header = "nama,nik,kecamatan,kabupaten,provinsi," + "Q" * 900
    result = import_members(
        cooperative=coop,
        actor=accountant,
        file_name="a.csv",
        content=f"{header}\nBudi,1,x,x,x,x\n".encode(),
    )
    assert [e.code for e in result.errors] == ["unknown_column"]
    assert len(result.errors[0].field) <= 40 and len(result.errors[0].message) < 300
