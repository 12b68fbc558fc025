"""The payroll deduction (potong gaji) page: upload → preview → confirm, posting once."""

import calendar
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from koperasi.domain.periods import add_months
from koperasi.ledger.services import business_today
from koperasi.loans.models import LoanTransaction
from koperasi.loans.payroll_views import POSTED_MARKER, UPLOAD_DIR
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_member, make_user
from tests.loans.conftest import disbursed_loan


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def disbursed_for_this_month(coop, member, product, officer, manager, teller):
    """Disbursed so that the first instalment (100.000 + 18.000) falls due by the end of this
    month and no later one does, whatever day the tests run: then exactly 118.000 is due."""
    today = business_today(coop)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return disbursed_loan(
        coop, member, product, officer, manager, teller, add_months(month_end, -1)
    )


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    return disbursed_for_this_month(coop, borrower, product, officer, manager, teller)


@pytest.fixture
def second_loan(coop, product, officer, manager, teller):
    member = make_member(coop, teller)
    return disbursed_for_this_month(coop, member, product, officer, manager, teller)


@pytest.fixture
def staff_client(client, accountant):
    client.force_login(accountant)  # accountants import payroll files (loans.payroll)
    return client


def page_url(coop):
    return reverse("loandocs:payroll", kwargs={"code": coop.code})


def upload(client, coop, content, name="potong-gaji november.csv"):
    return client.post(
        page_url(coop), {"action": "upload", "file": SimpleUploadedFile(name, content)}
    )


def confirm(client, coop, token):
    return client.post(page_url(coop), {"action": "confirm", "token": token})


def repayments():
    return LoanTransaction.objects.filter(kind="repayment")


def stored_files(media):
    return sorted(p.name for p in (media / UPLOAD_DIR).rglob("*") if p.is_file())


def good_file(borrower, second_loan, outsider):
    return (
        "no_anggota;jumlah\n"
        f"{borrower.number};118.000\n"
        f"{second_loan.member.nik};100000\n"
        f"{outsider.number};50000\n"
        "A9999;75000\n"
    ).encode()


def test_page_shows_the_upload_form(staff_client, coop):
    response = staff_client.get(page_url(coop))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_preview_reports_counts_and_every_line_and_posts_nothing(
    staff_client, coop, teller, loan, second_loan, borrower, media
):
    outsider = make_member(coop, teller)
    before = books_snapshot(coop)
    response = upload(staff_client, coop, good_file(borrower, second_loan, outsider))
    assert response.status_code == 200
    counts = {status: (n, total) for status, n, total in response.context["counts"]}
    assert counts == {
        "matched": (1, Decimal("118000")),
        "partial": (1, Decimal("100000")),
        "over": (0, Decimal("0")),
        "unknown": (2, Decimal("125000")),
    }
    lines = [(line.row, line.status) for line, _diff in response.context["lines"]]
    assert lines == [(2, "matched"), (3, "partial"), (4, "unknown"), (5, "unknown")]
    differences = [diff for _line, diff in response.context["lines"]]
    assert differences == [Decimal("0"), Decimal("-18000"), None, None]
    assert response.context["postable"] == 2
    token = response.context["token"]
    assert len(token) == 32
    body = response.content.decode()
    assert f'name="token" value="{token}"' in body
    assert borrower.name in body and "A9999" in body and "Rp 118.000" in body
    # Nothing posted; the file is kept for the confirm step under its original name.
    assert not repayments().exists()
    assert books_snapshot(coop) == before
    assert stored_files(media) == ["potong-gaji_november.csv"]


def test_bad_file_lists_every_bad_row_and_posts_nothing(staff_client, coop, loan, borrower, media):
    before = books_snapshot(coop)
    content = (
        f"no_anggota,jumlah\n{borrower.number},118000\n,5000\n{borrower.number},abc\n"
    ).encode()
    response = upload(staff_client, coop, content)
    assert response.status_code == 400
    errors = [(e.row, e.field, e.code) for e in response.context["errors"]]
    assert errors == [
        (3, "no_anggota", "required"),
        (4, "no_anggota", "duplicate"),
        (4, "jumlah", "invalid"),
    ]
    body = response.content.decode()
    for error in response.context["errors"]:
        assert str(error.message) in body
    assert 'name="token"' not in body  # no confirm button
    assert books_snapshot(coop) == before
    assert not repayments().exists()
    assert stored_files(media) == []  # a refused file is not kept


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("potong.pdf", b"%PDF-1.4"),  # refused by the form
        ("potong.xlsx", b"\x00\x01 not a workbook"),  # refused by the reader
        ("potong.csv", b"nama,nilai\nx,1\n"),  # no identifier or amount column
    ],
)
def test_unreadable_files_are_refused(staff_client, coop, loan, media, name, content):
    before = books_snapshot(coop)
    response = upload(staff_client, coop, content, name=name)
    assert response.status_code == 400
    assert books_snapshot(coop) == before
    assert stored_files(media) == []


def test_confirm_posts_once(staff_client, coop, teller, loan, second_loan, borrower, media):
    outsider = make_member(coop, teller)
    preview = upload(staff_client, coop, good_file(borrower, second_loan, outsider))
    token = preview.context["token"]

    response = confirm(staff_client, coop, token)
    assert response.status_code == 200
    assert response.context["posted"]
    assert response.context["result"].posted == 2
    posted = repayments()
    assert posted.count() == 2
    assert {t.channel for t in posted} == {"payroll"}
    assert {t.idempotency_key.split(":")[1] for t in posted} == {token}
    assert sum((t.amount for t in posted), Decimal(0)) == Decimal("218000")
    after_first = books_snapshot(coop)

    # A double click or a resubmitted page: nothing more is posted.
    again = confirm(staff_client, coop, token)
    assert again.status_code == 409
    assert repayments().count() == 2
    assert books_snapshot(coop) == after_first

    # Even if the record of the first confirm were lost (a crash right after posting), the
    # books know the file was posted: nothing is posted twice, and the answer says so.
    (media / UPLOAD_DIR / str(coop.pk) / token / POSTED_MARKER).unlink()
    third = confirm(staff_client, coop, token)
    assert third.status_code == 409
    assert "Berkas ini sudah dibukukan" in third.content.decode()
    assert not third.context["result"]
    assert repayments().count() == 2
    assert books_snapshot(coop) == after_first
    call_command("books_check")


def test_xlsx_file_with_nik_column(staff_client, coop, loan, borrower):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["NIK", "Potongan"])
    sheet.append([borrower.nik, 118000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload(staff_client, coop, buffer.getvalue(), name="potong.xlsx")
    assert preview.status_code == 200
    assert [line.status for line, _diff in preview.context["lines"]] == ["matched"]
    response = confirm(staff_client, coop, preview.context["token"])
    assert response.status_code == 200
    txn = repayments().get()
    assert (txn.loan_id, txn.amount) == (loan.pk, Decimal("118000"))


def test_unknown_or_foreign_token_posts_nothing(
    client, staff_client, coop, other_coop, loan, borrower
):
    preview = upload(staff_client, coop, f"nik,jumlah\n{borrower.nik},118000\n".encode())
    token = preview.context["token"]
    for bad in ("", "../../etc", "0" * 32):
        assert confirm(staff_client, coop, bad).status_code == 404
    # Staff of another cooperative cannot post our upload through their own address.
    outsider = make_user("akuntan-lain", other_coop, Role.ACCOUNTANT)
    client.force_login(outsider)
    assert confirm(client, other_coop, token).status_code == 404
    assert confirm(client, coop, token).status_code == 404  # not staff here
    assert not repayments().exists()


def test_nothing_to_post_offers_no_confirm(staff_client, coop, loan):
    response = upload(staff_client, coop, b"no_anggota,jumlah\nA9999,50000\n")
    assert response.status_code == 200
    assert response.context["postable"] == 0
    assert 'value="confirm"' not in response.content.decode()


def test_teller_without_payroll_permission_is_forbidden(client, coop, teller, loan, borrower):
    client.force_login(teller)
    assert client.get(page_url(coop)).status_code == 403
    content = f"nik,jumlah\n{borrower.nik},118000\n".encode()
    assert upload(client, coop, content).status_code == 403
    assert confirm(client, coop, "0" * 32).status_code == 403
    assert not repayments().exists()
