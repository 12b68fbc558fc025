"""Every XLSX the project produces writes user text as text, never as a live formula.

Hostile text typed by users (a member's name `=HYPERLINK(...)`, notes starting with +, -, @,
tab or CR, an account named "#N/A") goes into each export endpoint, the download is opened with
openpyxl, and no cell is a formula (data type "f") or an error, and the text is intact. Amounts
stay numbers with the money format and dates stay dates. A scan of the code keeps every new
XLSX on the one writer, koperasi.common.xlsx.
"""

import ast
import csv
import datetime as dt
import io
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

import koperasi
from koperasi.common.xlsx import MONEY_FORMAT, Sheet
from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative, Role
from tests.closing.conftest import TODAY, close_days, close_month, start_closing_after, today_is
from tests.conftest import make_member, make_user, sukarela_account

D = Decimal
LINK = '=HYPERLINK("http://x","klik")'
# What a user can type where a spreadsheet program would start a formula, or show an error.
HOSTILE = [LINK, "=1+1", "+62 812 3456", "-1+1", "@SUM(A1:A2)", "\tTab", "\rCR", "#N/A"]
# As every XML reader gets them: a CR is a line end (LF) in XML.
SHOWN = [text.replace("\r", "\n") for text in HOSTILE]


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def cells(book):
    return [cell for row in book.active.iter_rows() for cell in row]


def assert_text_only(book, expected):
    found = cells(book)
    assert [c.coordinate for c in found if c.data_type in ("f", "e")] == []
    texts = {c.value for c in found if c.data_type == "s"}
    assert set(expected) <= texts, set(expected) - texts


# --- the writer ------------------------------------------------------------------------------


def test_the_writer_keeps_text_as_text_amounts_as_numbers_dates_as_dates():
    sheet = Sheet("Uji: [a/b]*?")
    moment = dt.datetime(2026, 5, 1, 1, 30, tzinfo=dt.UTC)
    sheet.row(*HOSTILE)
    sheet.row(D("1250000.50"), 7, dt.date(2026, 5, 31), moment, None, "", gettext_lazy("Total"))
    sheet.row("bell\x07", "nul\x00", bold=True)
    book = openpyxl.load_workbook(io.BytesIO(sheet.content()))
    rows = list(book.active.iter_rows())
    assert [(c.data_type, c.value) for c in rows[0]] == [("s", text) for text in SHOWN]
    money, count, day, when, empty, blank, label = rows[1][:7]
    assert money.data_type == "n" and D(str(money.value)) == D("1250000.50")
    assert money.number_format == MONEY_FORMAT
    assert count.value == 7 and count.number_format == "General"
    assert day.is_date and day.value.date() == dt.date(2026, 5, 31)
    assert day.number_format == "DD/MM/YYYY"
    # Aware times are written in the cooperative's zone (Asia/Makassar, UTC+8).
    assert when.is_date and when.value == dt.datetime(2026, 5, 1, 9, 30)
    assert empty.value is None and blank.value is None and label.value == "Total"
    # XML cannot carry control characters: shown as U+FFFD, not a server error.
    assert [c.value for c in rows[2][:2]] == ["bell\ufffd", "nul\ufffd"] and rows[2][0].font.b
    assert book.active.title == "Uji   a b   "


def test_the_writer_refuses_a_float():
    with pytest.raises(TypeError):
        Sheet("x").row(0.1)


# --- every endpoint ---------------------------------------------------------------------------


def test_savings_statement(client, coop, teller):
    member = make_member(coop, teller, name=LINK)
    account = sukarela_account(coop, member, teller)
    for n, note in enumerate([*HOSTILE, "bell\x07"]):
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount=D("1000.50"),
            idempotency_key=f"note-{n}",
            note=note,
        )
    Cooperative.objects.filter(pk=coop.pk).update(name="=1+2")  # as the admin could type it
    client.force_login(teller)
    book = workbook(
        client.get(
            reverse("savings:statement_xlsx", kwargs={"code": coop.code, "account_id": account.pk})
        )
    )
    assert_text_only(book, [*SHOWN, "=1+2", "bell\ufffd"])
    sheet = book.active
    assert sheet["C3"].value == LINK and sheet["C3"].data_type == "s"
    movements = [row for row in sheet.iter_rows(min_row=8) if row[1].value]
    assert len(movements) == len(HOSTILE) + 1
    for date, _receipt, _kind, _note, _out, paid_in, balance in movements:
        assert date.is_date and date.number_format == "DD/MM/YYYY"
        assert D(str(paid_in.value)) == D("1000.50") and paid_in.number_format == MONEY_FORMAT
        assert balance.data_type == "n" and balance.number_format == MONEY_FORMAT


def test_trial_balance(client, coop, accountant):
    names = ["#N/A", LINK, "@SUM(A1:A2)"]
    for n, name in enumerate(names):
        code = f"52{90 + n}"
        ledger.create_account(
            cooperative=coop, actor=accountant, code=code, name=name, parent_code="5"
        )
        ledger.post_manual_entry(
            cooperative=coop,
            actor=accountant,
            lines=[(code, D("2500.25"), D(0)), ("1101", D(0), D("2500.25"))],
            memo="Uji",
            idempotency_key=str(uuid.uuid4()),
        )
    client.force_login(accountant)
    book = workbook(client.get(reverse("ledger:trial_balance_xlsx", kwargs={"code": coop.code})))
    assert_text_only(book, names)
    rows = {row[0].value: row for row in book.active.iter_rows() if row[0].value}
    assert rows["5290"][1].value == "#N/A"
    assert D(str(rows["5290"][2].value)) == D("2500.25")
    assert rows["5290"][2].number_format == MONEY_FORMAT
    assert book.active["B2"].is_date


def test_withholding_list(client, coop, teller):
    manager = make_user("manajer-pph", coop, Role.MANAGER)
    with today_is(TODAY):
        last = TODAY.replace(day=1) - dt.timedelta(days=1)
        member = make_member(coop, teller, name=LINK)
        account = sukarela_account(coop, member, teller)
        # Enough for interest above the 240,000 threshold, so tax is withheld.
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount=D("200000000"),
            idempotency_key="big-deposit",
            business_date=add_months(last.replace(day=1), -1),
        )
        start_closing_after(coop, last.replace(day=1) - dt.timedelta(days=1))
        assert close_days(coop, last, manager).status == "done"
        assert close_month(coop, last.year, last.month, manager).status == "done"
        client.force_login(manager)
        url = reverse(
            "closing:withholding",
            kwargs={"code": coop.code, "year": last.year, "month": last.month},
        )
        book = workbook(client.get(f"{url}?format=xlsx"))
    assert_text_only(book, [LINK, member.nik])
    sheet = book.active
    assert (sheet["B5"].value, sheet["C5"].value) == (LINK, member.nik)
    assert sheet["E5"].data_type == "n" and D(str(sheet["E5"].value)) > 0
    assert sheet["E5"].number_format == MONEY_FORMAT


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_the_text_and_computes_nothing(tmp_path):
    """What a person sees: LibreOffice converts the sheet to CSV as it displays it."""
    sheet = Sheet("Uji")
    sheet.row(*HOSTILE)
    source = tmp_path / "uji.xlsx"
    source.write_bytes(sheet.content())
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "csv", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    # Each cell as typed: a formula would show "klik" and 2.
    shown = next(csv.reader(io.StringIO((tmp_path / "uji.csv").read_text(), newline="")))
    assert shown == SHOWN


# --- no XLSX written elsewhere ----------------------------------------------------------------

SOURCE = Path(koperasi.__file__).parent
WRITER = SOURCE / "common" / "xlsx.py"
# What writes a workbook: openpyxl's Workbook and write-only cells, or another library.
WRITING = (
    "openpyxl.Workbook",
    "openpyxl.workbook",
    "openpyxl.writer",
    "openpyxl.cell.WriteOnlyCell",
    "xlsxwriter",
    "pyexcelerate",
)


def xlsx_writing(source: str) -> list[str]:
    """The names in `source` that write a workbook (imports and dotted uses)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Attribute):
            names = [ast.unparse(node)]
        else:
            continue
        found += [name for name in names if name.startswith(WRITING)]
    return found


def test_the_code_scan_finds_a_writer():
    assert xlsx_writing("from openpyxl import Workbook") == ["openpyxl.Workbook"]
    assert xlsx_writing("import openpyxl\nopenpyxl.Workbook()") == ["openpyxl.Workbook"]
    assert xlsx_writing("from openpyxl.cell import WriteOnlyCell") == [
        "openpyxl.cell.WriteOnlyCell"
    ]
    assert xlsx_writing("import xlsxwriter") == ["xlsxwriter"]
    assert xlsx_writing("from openpyxl import load_workbook") == []
    assert xlsx_writing(WRITER.read_text())  # the writer itself is found


def test_only_the_writer_writes_xlsx():
    offenders = {
        str(path.relative_to(SOURCE)): names
        for path in sorted(SOURCE.rglob("*.py"))
        if path != WRITER and (names := xlsx_writing(path.read_text()))
    }
    assert offenders == {}, "write XLSX through koperasi.common.xlsx.Sheet"
