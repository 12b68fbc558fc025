"""Payroll deduction files: all-or-nothing validation, reconciliation, posting once."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from koperasi.errors import Conflict
from koperasi.loans.models import Loan, LoanTransaction
from koperasi.loans.payroll import import_deductions
from tests.conftest import books_snapshot, make_member
from tests.loans.conftest import disbursed_loan

ON = dt.date(2026, 1, 15)
PAYDAY = dt.date(2026, 2, 15)  # the first instalment's due date
ALREADY_POSTED = "Berkas ini sudah dibukukan; tidak ada yang dibukukan lagi."


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    # Rp 1.200.000 over 12 months, declining 1,5 %: first instalment 100.000 + 18.000.
    return disbursed_loan(coop, borrower, product, officer, manager, teller, ON)


def run(coop, actor, content, name="potong.csv", key="payroll-1", dry_run=False):
    return import_deductions(
        cooperative=coop,
        actor=actor,
        file_name=name,
        content=content,
        idempotency_key=key,
        dry_run=dry_run,
        business_date_=PAYDAY,
    )


def test_reconciliation_report_and_posting(coop, accountant, loan, borrower, teller):
    other = make_member(coop, teller)
    content = (
        f"no_anggota;jumlah\n{borrower.number};118.000\n{other.number};50000\nA9999;75000\n"
    ).encode()
    preview = run(coop, accountant, content, dry_run=True)
    assert preview.ok and preview.posted == 0
    assert [(line.status, line.amount, line.due) for line in preview.lines] == [
        ("matched", Decimal("118000"), Decimal("118000.00")),
        ("unknown", Decimal("50000"), Decimal("0")),
        ("unknown", Decimal("75000"), Decimal("0")),
    ]
    assert preview.counts["unknown"] == (2, Decimal("125000"))
    assert not LoanTransaction.objects.filter(kind="repayment").exists()

    result = run(coop, accountant, content)
    assert result.ok and result.posted == 1
    txn = LoanTransaction.objects.get(kind="repayment")
    assert (txn.channel, txn.principal, txn.interest) == (
        "payroll",
        Decimal("-100000"),
        Decimal("18000"),
    )
    # Dr bank: the employer transferred the money.
    debit = txn.journal_entry.postings.get(debit__gt=0)
    assert debit.account.system_role == "bank"
    # Confirming the same file again posts nothing more, and says so.
    after = books_snapshot(coop)
    with pytest.raises(Conflict) as again:
        run(coop, accountant, content)
    assert (again.value.code, again.value.status) == ("already_posted", 409)
    assert str(again.value.message) == ALREADY_POSTED
    assert LoanTransaction.objects.filter(kind="repayment").count() == 1
    assert books_snapshot(coop) == after
    call_command("books_check")


def test_a_second_confirm_is_refused_even_when_the_split_would_differ(
    coop, accountant, loan, borrower, product, officer, manager, teller
):
    # Two loans: the first confirm pays both; reconciled again, nothing is due any more and the
    # whole amount would go to the older loan under the same row key, with another amount.
    second = disbursed_loan(coop, borrower, product, officer, manager, teller, ON)
    content = f"nik,jumlah\n{borrower.nik},236000\n".encode()
    assert run(coop, accountant, content).posted == 2
    after = books_snapshot(coop)
    with pytest.raises(Conflict) as again:
        run(coop, accountant, content)
    assert again.value.code == "already_posted"
    assert {t.loan_id for t in LoanTransaction.objects.filter(kind="repayment")} == {
        loan.pk,
        second.pk,
    }
    assert books_snapshot(coop) == after
    call_command("books_check")


def test_partial_and_over(coop, accountant, loan, borrower):
    partial = run(coop, accountant, f"nik,jumlah\n{borrower.nik},100000\n".encode(), dry_run=True)
    assert partial.lines[0].status == "partial"
    over = run(coop, accountant, f"nik,jumlah\n{borrower.nik},200000\n".encode())
    assert over.lines[0].status == "over" and over.posted == 1
    loan.refresh_from_db()
    # 118.000 pays February; the next 82.000 pays March in advance (interest 16.500 first).
    assert loan.outstanding_principal == Decimal("1200000") - Decimal("100000") - Decimal("65500")
    call_command("books_check")


def test_a_late_file_owes_the_penalty_too(coop, accountant, loan, borrower):
    # 10 days late, 3 grace days: 7 × 0,1 % × 118.000 = 826.
    result = import_deductions(
        cooperative=coop,
        actor=accountant,
        file_name="late.csv",
        content=f"nik,jumlah\n{borrower.nik},118826\n".encode(),
        idempotency_key="late",
        business_date_=PAYDAY + dt.timedelta(days=10),
    )
    assert [(line.status, line.due) for line in result.lines] == [("matched", Decimal("118826"))]
    txn = LoanTransaction.objects.get(kind="repayment")
    assert (txn.penalty, txn.interest, txn.principal) == (
        Decimal("826"),
        Decimal("18000"),
        Decimal("-100000"),
    )
    call_command("books_check")


def test_bad_rows_refuse_the_whole_file(coop, accountant, loan, borrower):
    before = books_snapshot(coop)
    content = (
        f"no_anggota,jumlah\n{borrower.number},118000\n,5000\n{borrower.number},abc\n"
    ).encode()
    result = run(coop, accountant, content)
    assert not result.ok and result.posted == 0
    assert [(e.row, e.code) for e in result.errors] == [
        (3, "required"),
        (4, "duplicate"),
        (4, "invalid"),
    ]
    assert books_snapshot(coop) == before


def test_missing_columns_and_bad_files(coop, accountant, loan):
    before = books_snapshot(coop)
    assert run(coop, accountant, b"nama,nilai\nx,1\n").errors[0].code == "missing_column"
    assert run(coop, accountant, b"\x00\x01garbage", name="x.xlsx").errors[0].code == "bad_file"
    assert run(coop, accountant, b"abc", name="x.pdf").errors[0].code == "bad_file"
    assert run(coop, accountant, b"no_anggota,jumlah\n").errors[0].code == "empty_file"
    assert books_snapshot(coop) == before


def test_xlsx_with_numbers(coop, accountant, loan, borrower, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No Anggota", "Jumlah"])
    sheet.append([borrower.number, 118000])
    path = tmp_path / "potong.xlsx"
    book.save(path)
    result = run(coop, accountant, path.read_bytes(), name="potong.xlsx")
    assert result.ok and result.posted == 1
    assert Loan.objects.get(pk=loan.pk).outstanding_principal == Decimal("1100000")


def test_more_than_the_whole_debt_refuses_the_file(coop, accountant, loan, borrower):
    # The product prepays: 3.000.000 is far more than the whole debt (1.317.000), a typo.
    before = books_snapshot(coop)
    result = run(coop, accountant, f"nik,jumlah\n{borrower.nik},3000000\n".encode())
    assert not result.ok and result.posted == 0
    assert [(e.row, e.code) for e in result.errors] == [(2, "overpayment")]
    assert books_snapshot(coop) == before
