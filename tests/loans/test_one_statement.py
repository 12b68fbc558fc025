"""A plain cash repayment in one statement (PostgreSQL's `loans_post_repayment`).

It must write exactly what the ordinary way writes, and leave every unusual case (penalties to
book, money left over, a refusal, a retry, a loan written meanwhile) to the ordinary way.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from koperasi.audit.models import AuditLog
from koperasi.errors import ServiceError
from koperasi.ledger.models import Posting
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanTransaction
from koperasi.loans.services import one_statement
from tests.conftest import books_snapshot, make_member, sukarela_account
from tests.loans.conftest import check_books, disbursed_loan

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one-statement way exists on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]
D = Decimal
ON = dt.date(2026, 1, 15)


def _member(coop, teller):
    member = make_member(coop, teller)
    member.joined_on = dt.date(2025, 1, 10)
    member.save(update_fields=["joined_on"])
    sukarela_account(coop, member, teller)
    return member


def _repay(coop, teller, loan, amount, key, on):
    return loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount=amount, idempotency_key=key,
        business_date_=on,
    )  # fmt: skip


def _ordinary(coop, teller, loan, amount, key, on):
    with transaction.atomic():  # inside the caller's transaction only the ordinary way runs
        return _repay(coop, teller, loan, amount, key, on)


def _written(txn):
    """What a repayment wrote, without ids, keys and times."""
    stored = LoanTransaction.objects.get(pk=txn.pk)
    loan = Loan.objects.get(pk=stored.loan_id)
    audit = AuditLog.objects.filter(object_type="Loan", object_id=str(loan.pk)).latest("id")
    allocation = [{k: v for k, v in item.items() if k != "id"} for item in stored.allocation]
    return {
        "txn": (stored.kind, stored.channel, stored.business_date, stored.amount,
                stored.principal, stored.interest, stored.penalty, stored.fee, stored.excess,
                stored.outstanding_after, stored.note, stored.actor_id, allocation),
        "postings": [
            (p.account.code, p.debit, p.credit, p.business_date)
            for p in Posting.objects.filter(entry_id=stored.journal_entry_id)
            .select_related("account").order_by("id")
        ],
        "loan": (loan.outstanding_principal, loan.accrued_interest, loan.penalty_receivable,
                 loan.status, loan.closed_on, loan.days_past_due, loan.collectibility,
                 loan.doubtful_since, loan.assessed_on),
        "rows": [
            (r.no, r.principal_paid, r.interest_paid, r.penalty_paid, r.interest_waived,
             r.interest_accrued, r.paid_on, r.penalty, r.penalty_through)
            for r in Instalment.objects.filter(loan=loan).order_by("no")
        ],
        "audit": (audit.action, audit.summary.replace(loan.number, "#"), audit.data,
                  audit.actor_id),
        "entry": stored.journal_entry.memo.replace(loan.number, "#").rsplit(" ", 3)[0],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "on"),
    [
        (D("118000"), dt.date(2026, 2, 15)),  # the first instalment, on its due date
        (D("50000"), dt.date(2026, 2, 20)),  # part of it
        (D("300000"), dt.date(2026, 2, 15)),  # more: the next rows in advance
    ],
)
def test_it_writes_what_the_ordinary_way_writes(
    coop, product, officer, manager, teller, amount, on
):
    fast_loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    slow_loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    fast = _repay(coop, teller, fast_loan, amount, "k-fast", on)
    slow = _ordinary(coop, teller, slow_loan, amount, "k-slow", on)
    assert _written(fast) == _written(slow)
    assert (
        fast.pk
        and fast.journal_entry_id
        and fast.outstanding_after == (Loan.objects.get(pk=fast_loan.pk).outstanding_principal)
    )
    check_books(coop)


def test_a_plain_repayment_is_two_reads_and_one_call(coop, product, officer, manager, teller):
    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    _repay(coop, teller, loan, D("118000"), "k1", dt.date(2026, 2, 15))  # the chart remembered
    with CaptureQueriesContext(connection) as queries:
        _repay(coop, teller, loan, D("116500"), "k2", dt.date(2026, 3, 15))
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 3 and "loans_post_repayment" in sql[2], [q[:90] for q in sql]


def test_unusual_cases_get_the_ordinary_answer(coop, product, officer, manager, teller):
    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    first = _repay(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15))

    # A retry returns the first movement and posts nothing.
    before = books_snapshot(coop)
    assert _repay(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15)).pk == first.pk
    assert books_snapshot(coop) == before

    # More than the whole debt on a prepaying product: refused, nothing written.
    with pytest.raises(ServiceError) as refused:
        _repay(coop, teller, loan, D("99000000"), "too-much", dt.date(2026, 2, 16))
    assert refused.value.code == "overpayment"
    assert books_snapshot(coop) == before

    # Late with a penalty to book first: the ordinary way books it and then allocates.
    late = _repay(coop, teller, loan, D("118000"), "late", dt.date(2026, 4, 1))
    kinds = list(LoanTransaction.objects.filter(loan=loan).values_list("kind", flat=True))
    assert "penalty" in kinds and late.penalty > 0
    check_books(coop)


def test_a_loan_written_meanwhile_goes_the_ordinary_way(
    coop, product, officer, manager, teller, monkeypatch
):
    """What was read may be stale when the function locks the loan: it refuses (KD409) and the
    ordinary way plans again from the locked loan."""
    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    read_rows = one_statement._rows_as_read

    def read_then_pay(found):
        seen = read_rows(found)
        _ordinary(coop, teller, loan, D("118000"), "meanwhile", dt.date(2026, 2, 15))
        return seen

    monkeypatch.setattr(one_statement, "_rows_as_read", read_then_pay)
    second = _repay(coop, teller, loan, D("118000"), "now", dt.date(2026, 2, 15))
    rows = list(Instalment.objects.filter(loan=loan).order_by("no")[:2])
    # Both paid, each its own instalment: the second did not pay the first row again.
    assert [r.amount_due for r in rows] == [D("0"), D("0")]
    assert second.principal == D("-100000.00")
    check_books(coop)
