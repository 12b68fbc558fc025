"""Twin loans for the one-statement tests: alike in everything but the borrower, one repaid
through `loans_repay`, the other the ordinary way, and every row each wrote compared."""

import datetime as dt
import itertools
import re
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from koperasi import sqlrows
from koperasi.audit.models import AuditLog
from koperasi.ledger.models import Posting
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.loans.services import one_statement
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Role
from tests.conftest import make_member, sukarela_account
from tests.loans.conftest import analysed_application

D = Decimal
ON = dt.date(2026, 1, 15)
_codes = itertools.count(1)


def member(coop, teller):
    """A member of a year's standing with Rp 1.000.000 in sukarela."""
    borrower = make_member(coop, teller)
    borrower.joined_on = dt.date(2025, 1, 10)
    borrower.save(update_fields=["joined_on"])
    account = sukarela_account(coop, borrower, teller)
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount=D("1000000"),
        idempotency_key=f"fund-{borrower.pk}",
    )  # fmt: skip
    return borrower


def repay(coop, teller, loan, amount, key, on):
    return loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount=amount, idempotency_key=key,
        business_date_=on,
    )  # fmt: skip


def ordinary(coop, teller, loan, amount, key, on):
    with transaction.atomic():  # inside the caller's transaction only the ordinary way runs
        return repay(coop, teller, loan, amount, key, on)


def ran() -> int:
    """How often `loans_repay` has done a repayment in this process."""
    return sqlrows.fast_path_counts().get((one_statement.PATH, sqlrows.DONE), 0)


def fell_back(reason: sqlrows.Fallback) -> int:
    return sqlrows.fast_path_counts().get((one_statement.PATH, reason.value), 0)


def one_statement_(coop, teller, loan, amount, key, on):
    """The repayment, asserting that `loans_repay` made it: its single statement, counted."""
    before = ran()
    with CaptureQueriesContext(connection) as queries:
        txn = repay(coop, teller, loan, amount, key, on)
    # A test case's transaction stands in for none: the call then runs in a savepoint.
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(sql) == 1 and "loans_repay(" in sql[0], [q[:90] for q in sql]
    assert ran() == before + 1
    return txn


def written(loan):
    """What the loan's movements wrote, without ids, keys, numbers and times."""
    loan = Loan.objects.get(pk=loan.pk)
    number = loan.number
    txns = list(LoanTransaction.objects.filter(loan=loan).order_by("id"))
    entries = [t.journal_entry_id for t in txns if t.journal_entry_id]
    return {
        "txns": [
            (t.kind, t.channel, t.business_date, t.amount, t.principal, t.interest, t.penalty,
             t.fee, t.excess, t.outstanding_after, t.note, t.actor_id, t.journal_entry_id is None,
             [{k: v for k, v in item.items() if k != "id"} for item in t.allocation])
            for t in txns
        ],
        "postings": [
            (plain(p.entry.memo, number).split(" #")[0], p.entry.business_date,
             p.entry.source, p.account.code, p.debit, p.credit)
            for p in Posting.objects.filter(entry_id__in=entries)
            .select_related("account", "entry").order_by("entry_id", "id")
        ],
        "loan": (loan.outstanding_principal, loan.accrued_interest, loan.penalty_receivable,
                 loan.status, loan.closed_on, loan.days_past_due, loan.collectibility,
                 loan.doubtful_since, loan.assessed_on),
        "rows": [
            (r.version, r.no, r.principal_paid, r.interest_paid, r.penalty_paid,
             r.interest_waived, r.interest_accrued, r.paid_on, r.penalty, r.penalty_through)
            for r in Instalment.objects.filter(loan=loan).order_by("version", "no")
        ],
        "audit": [
            (a.action, plain(a.summary, number), plain_data(a.data, number), a.actor_id)
            for a in AuditLog.objects.filter(object_type="Loan", object_id=str(loan.pk))
            .exclude(action__in=["loans.disburse", "loans.disbursement"]).order_by("id")
        ],
        "savings": [
            (s.kind, s.amount, s.balance_after - s.account.balance, s.business_date,
             s.note.replace(number, "#"), s.channel)
            for s in SavingsTransaction.objects.filter(account__member_id=loan.member_id)
            .exclude(kind="deposit").select_related("account").order_by("id")
        ],
    }  # fmt: skip


def plain(text, number):
    """A memo or summary without the numbers that differ between twins."""
    return re.sub(r"JU-\d+|KP-\d+", "#", text.replace(number, "#"))


def plain_data(data, number):
    """An audit record's data with the same numbers taken out (a reversal names its loan and
    receipt there too)."""
    return {k: plain(v, number) if isinstance(v, str) else v for k, v in data.items()}


def product_with(coop, **rules):
    """A product on the given rules (the rest: declining balance, 1,5 % a month, monthly)."""
    fields = {
        "method": "menurun", "rate": D("1.5"), "rate_period": "month", "min_term": 1,
        "max_term": 120, "min_principal": D("100000"), "max_principal": D("100000000"),
        **rules,
    }  # fmt: skip
    return loans.create_product(
        cooperative=coop, actor=None, code=f"ATURAN{next(_codes)}", name="Aturan uji", **fields
    )


def twins(coop, people, product, principal, **kw):
    """Two loans alike in everything but the borrower (`product`: a product or its code)."""
    if isinstance(product, str):
        product = LoanProduct.objects.get(cooperative=coop, code=product)
    made = []
    for _ in range(2):
        borrower = member(coop, people["teller"])
        extra = {}
        if product.requires_collateral:
            extra["collaterals"] = [loans.CollateralInput("shm", "SHM", D(principal))]
        if product.min_guarantors:
            extra["guarantor_ids"] = [make_member(coop, people["teller"]).pk]
        application = analysed_application(
            coop, borrower, product, people["officer"], principal=principal, **extra, **kw
        )
        loans.approve(
            cooperative=coop, actor=people["manager"], role=Role.MANAGER,
            application_id=application.pk,
        )  # fmt: skip
        made.append(
            loans.disburse(
                cooperative=coop,
                actor=people["teller"],
                application_id=application.pk,
                idempotency_key=f"d-{application.pk}",
                business_date_=ON,
            )  # fmt: skip
        )
    return made


def owed(loan):
    return sum((r.amount_due for r in Instalment.objects.filter(loan=loan)), D(0))


def first_due(loan) -> dt.date:
    return Instalment.objects.get(loan=loan, version=1, no=1).due_date
