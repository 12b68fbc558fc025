"""A plain cash repayment in one statement (PostgreSQL's `loans_post_repayment`).

The loan and its current schedule are read without a lock and the payment is planned by the
same code as the ordinary way (`plan_payment`); the function checks under the loan's row lock
that nothing was written to them since, and writes the plan. Anything else (penalties to book
first, money left over, the savings channel, a refusal, a retry, a closed day, a loan written
meanwhile) returns None, and the ordinary way answers it.
"""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from koperasi import sqlrows
from koperasi.audit.context import client_ip
from koperasi.domain.money import ZERO
from koperasi.domain.repayment import parse_order
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, BalanceSlot
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.loans.services.repayments import Split, _allocate_rows, plan_payment
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative

Channel = LoanTransaction.Channel

_LOAN_PARTS = (
    (Loan, None),
    (LoanProduct, None),
    (Member, ("id", "cooperative_id", "number", "name", "status")),
    (Account, None),  # the product's loans-receivable account
)
_LOAN_AS_READ = (
    "SELECT t0.xmin::text, c.books_closed_through, c.days_closed_through, "
    + ", ".join(
        sqlrows.columns(f"t{i}", model, names) for i, (model, names) in enumerate(_LOAN_PARTS)
    )
    + " FROM loans_loan t0 JOIN loans_loanproduct t1 ON t1.id = t0.product_id"
    " JOIN members_member t2 ON t2.id = t0.member_id"
    " JOIN ledger_account t3 ON t3.id = t1.gl_account_id"
    " JOIN tenancy_cooperative c ON c.id = t0.cooperative_id"
    " WHERE t0.id = %s AND t0.cooperative_id = %s"
)
_ROWS_AS_READ = (
    f"SELECT t0.xmin::text, {sqlrows.columns('t0', Instalment)} FROM loans_instalment t0"
    " WHERE t0.loan_id = %s AND t0.version = %s ORDER BY t0.no"
)
# The parameters' types, in order (a list literal would take a line each).
_TYPES = (  # noqa: SIM905
    "bigint bigint text text date text integer text text bigint[] numeric[] numeric[] bigint[]"
    " numeric[] numeric[] numeric[] numeric[] numeric[] date[] numeric numeric numeric text date"
    " integer integer date text text numeric numeric numeric numeric numeric numeric jsonb text"
    " text jsonb inet integer integer timestamptz"
).split()
# Typed, so that the server resolves the function once and may keep the statement prepared.
_POST = "SELECT * FROM loans_post_repayment(" + ", ".join(f"%s::{t}" for t in _TYPES) + ")"


def repay(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    value: Decimal,
    key: str,
    channel: str,
    on: dt.date | None,
    note: str,
) -> LoanTransaction | None:
    """The repayment, or None when the ordinary way has to make (or refuse) it."""
    if connection.vendor != "postgresql" or not key:
        return None
    if channel not in (Channel.TELLER, Channel.API) or value <= 0:
        return None
    if sqlrows.alone() is None:
        return None
    read = _loan_as_read(cooperative, loan_id)
    if read is None:
        return None
    loan, loan_version, books, days = read
    if loan.status != Loan.Status.ACTIVE:
        return None
    day = on or ledger.business_day(ledger.local_today(cooperative), days)
    if (books is not None and day <= books) or (days is not None and day <= days):
        return None
    if day < loan.disbursed_on:
        return None
    rows, rows_version = _rows_as_read(loan)
    if _penalty_to_book(loan, rows, day):
        return None
    order = parse_order(loan.product.allocation_order)
    due = [r for r in rows if r.due_date <= day and r.amount_due > 0]
    applied, left = _allocate_rows(value, due, order, per_instalment=False)
    if left > 0 and loan.product.overpayment == LoanProduct.Overpayment.PREPAYMENT:
        future = [r for r in rows if r.due_date > day and r.amount_due > 0]
        more, left = _allocate_rows(left, future, order, per_instalment=True)
        applied += more
    if left > 0:
        return None
    try:
        plan = plan_payment(
            cooperative=cooperative,
            actor=actor,
            loan=loan,
            rows=rows,
            split=Split(applied=applied, waived={}),
            value=value,
            fee=ZERO,
            excess=ZERO,
            excess_account=None,
            source=None,
            channel=channel,
            key=key,
            kind=LoanTransaction.Kind.REPAYMENT,
            on=day,
            note=note,
        )
        ledger.check_lines(cooperative, plan.lines, allow_control=True)
    except ServiceError:
        return None
    txn = plan.txn
    changed = plan.changed
    row = sqlrows.call_alone(
        _POST,
        [
            cooperative.pk,
            loan.pk,
            loan_version,
            rows_version,
            day,
            key,
            txn.actor_id,
            plan.memo[:255],
            loan.number,
            [line.account.pk for line in plan.lines],
            [line.debit for line in plan.lines],
            [line.credit for line in plan.lines],
            [r.pk for r in changed],
            [r.principal_paid for r in changed],
            [r.interest_paid for r in changed],
            [r.penalty_paid for r in changed],
            [r.interest_waived for r in changed],
            [r.interest_accrued for r in changed],
            [r.paid_on for r in changed],
            loan.outstanding_principal,
            loan.accrued_interest,
            loan.penalty_receivable,
            loan.status,
            loan.closed_on,
            loan.days_past_due,
            loan.collectibility,
            loan.doubtful_since,
            txn.kind,
            txn.channel,
            txn.amount,
            txn.principal,
            txn.interest,
            txn.penalty,
            txn.fee,
            txn.excess,
            json.dumps(txn.allocation),
            txn.note,
            plan.summary[:300],
            json.dumps(plan.data),
            client_ip.get(),
            ledger.BOOKS_LOCK,
            BalanceSlot.SLOTS,
            timezone.now(),
        ],
    )
    if row is None:
        return None
    txn_id, entry_id, created_at = row
    txn.pk, txn.journal_entry_id, txn.created_at = txn_id, entry_id, created_at
    return sqlrows.saved(txn)


def _loan_as_read(
    cooperative: Cooperative, loan_id: int
) -> tuple[Loan, str, dt.date | None, dt.date | None] | None:
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_LOAN_AS_READ, [loan_id, cooperative.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    version, books, days = row[0], row[1], row[2]
    loan, product, member, receivable = sqlrows.split(row[3:], *_LOAN_PARTS)
    product.gl_account = receivable
    loan.product, loan.member = product, member
    return loan, version, books, days


def _rows_as_read(loan: Loan) -> tuple[list[Instalment], str]:
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_ROWS_AS_READ, [loan.pk, loan.schedule_version])
        found = cursor.fetchall()
    rows = [sqlrows.instance(Instalment, None, row[1:]) for row in found]
    for row in rows:
        row.loan = loan
    return rows, ",".join(row[0] for row in found)


def _penalty_to_book(loan: Loan, rows: list[Instalment], day: dt.date) -> bool:
    """Whether the ordinary way would first book penalties (`book_penalties`)."""
    if loan.product.penalty_kind == LoanProduct.PenaltyKind.NONE:
        return False
    return any(
        r.due_date < day
        and r.principal_due + r.interest_due > 0
        and (r.penalty_through is None or r.penalty_through < day)
        for r in rows
    )
