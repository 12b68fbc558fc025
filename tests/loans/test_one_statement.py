"""A cash repayment in one statement (PostgreSQL's `loans_repay`).

It must write exactly what the ordinary way writes, row for row, for every kind of payment it
makes (on time, part, ahead, late with each kind of penalty, accrual and cash basis, money left
to savings, the last payment closing the loan, both kolektibilitas regimes), and leave every
unusual case (a retry, a refusal, a closed day) to the ordinary way.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koperasi.administration import services as administration
from koperasi.audit.models import AuditLog
from koperasi.errors import ServiceError
from koperasi.ledger.models import Posting
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import books_snapshot, make_member, make_user, sukarela_account
from tests.loans.conftest import analysed_application, check_books, disbursed_loan

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
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount=D("1000000"),
        idempotency_key=f"fund-{member.pk}",
    )  # fmt: skip
    return member


def _repay(coop, teller, loan, amount, key, on):
    return loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount=amount, idempotency_key=key,
        business_date_=on,
    )  # fmt: skip


def _ordinary(coop, teller, loan, amount, key, on):
    with transaction.atomic():  # inside the caller's transaction only the ordinary way runs
        return _repay(coop, teller, loan, amount, key, on)


def _one_statement(coop, teller, loan, amount, key, on):
    """The repayment, asserting that it was the function's single statement."""
    with CaptureQueriesContext(connection) as queries:
        txn = _repay(coop, teller, loan, amount, key, on)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1 and "loans_repay(" in sql[0], [q[:90] for q in sql]
    return txn


def _written(loan):
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
            (_plain(p.entry.memo, number).split(" #")[0], p.entry.business_date,
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
            (a.action, _plain(a.summary, number), a.data, a.actor_id)
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


def _plain(text, number):
    """A memo or summary without the numbers that differ between twins."""
    return re.sub(r"JU-\d+|KP-\d+", "#", text.replace(number, "#"))


def _twins(coop, people, code, principal, **kw):
    """Two loans alike in everything but the borrower."""
    product = LoanProduct.objects.get(cooperative=coop, code=code)
    made = []
    for _ in range(2):
        borrower = _member(coop, people["teller"])
        extra = {}
        if product.requires_collateral:
            extra["collaterals"] = [loans.CollateralInput("shm", "SHM", principal)]
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


@pytest.fixture
def people(coop):
    return {
        "officer": make_user("petugas", coop, Role.LOAN_OFFICER),
        "manager": make_user("manajer", coop, Role.MANAGER),
        "teller": make_user("kasir", coop, Role.TELLER),
    }


def _owed(loan):
    return sum((r.amount_due for r in Instalment.objects.filter(loan=loan)), D(0))


# Payments (amount, date) made one after another on each twin; None: everything still owed.
SCENARIOS = {
    # PU: declining balance, cash basis, 0,1 %/day after 3 days capped at 10 % of the instalment.
    "PU on its due date": ("PU", "1200000", [("118000", "2026-02-15")]),
    "PU part, then the rest": ("PU", "1200000", [("50000", "2026-02-20"), ("68000", "2026-02-25")]),
    "PU ahead": ("PU", "1200000", [("300000", "2026-02-10")]),
    "PU late, penalty per day": (
        "PU", "1200000", [("10000", "2026-03-01"), ("200000", "2026-03-20"), ("5000", "2026-03-21")]
    ),
    "PU late past the cap": ("PU", "1200000", [("120000", "2026-09-30")]),
    "PU paid off ahead": ("PU", "1200000", [("118000", "2026-02-15"), (None, "2026-02-20")]),
    # PP: annuity, accrual basis, 2 %/month after 7 days: the penalty gets its own entry.
    "PP late, penalty per month": (
        "PP", "6000000", [("100000", "2026-04-01"), ("1200000", "2026-05-20")]
    ),
    # PD: flat, a flat penalty once per missed instalment, money left over goes to savings.
    "PD late, flat penalty": ("PD", "1000000", [("50000", "2026-03-01")]),
    "PD more than due: to savings": ("PD", "1000000", [("2000000", "2026-02-15")]),
}  # fmt: skip


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_it_writes_what_the_ordinary_way_writes(coop, people, scenario):
    code, principal, payments = SCENARIOS[scenario]
    fast, slow = _twins(coop, people, code, principal)
    teller = people["teller"]
    for n, (amount, on) in enumerate(payments):
        day = dt.date.fromisoformat(on)
        value = D(amount) if amount is not None else _owed(fast)
        done = _one_statement(coop, teller, fast, value, f"fast-{n}", day)
        _ordinary(coop, teller, slow, value, f"slow-{n}", day)
        assert done.pk and done.journal_entry_id and done.amount == value
    assert _written(fast) == _written(slow)
    if payments[-1][0] is None:
        assert Loan.objects.get(pk=fast.pk).status == Loan.Status.CLOSED
    check_books(coop)


@pytest.mark.parametrize(
    ("payments", "klass"),
    [
        ([("100000", "2026-05-20")], 3),  # principal overdue > 3 months: Kurang Lancar
        ([("100000", "2026-08-20")], 4),  # > 6 months, collateral covers the debt: Diragukan
    ],
)
def test_the_ksp_regime_classes_as_the_ordinary_way(coop, people, payments, klass):
    administration.update_cooperative(cooperative=coop, actor=None, collectibility_regime="ksp")
    coop = Cooperative.objects.get(pk=coop.pk)
    fast, slow = _twins(coop, people, "PP", "6000000")
    for n, (amount, on) in enumerate(payments):
        day = dt.date.fromisoformat(on)
        _one_statement(coop, people["teller"], fast, D(amount), f"fast-{n}", day)
        _ordinary(coop, people["teller"], slow, D(amount), f"slow-{n}", day)
    assert _written(fast) == _written(slow)
    assert Loan.objects.get(pk=fast.pk).collectibility == klass
    check_books(coop)


def test_unusual_cases_get_the_ordinary_answer(coop, product, officer, manager, teller):
    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    first = _one_statement(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15))

    # A retry returns the first movement and posts nothing.
    before = books_snapshot(coop)
    assert _repay(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15)).pk == first.pk
    assert books_snapshot(coop) == before

    # More than the whole debt on a prepaying product: refused, nothing written.
    with pytest.raises(ServiceError) as refused:
        _repay(coop, teller, loan, D("99000000"), "too-much", dt.date(2026, 2, 16))
    assert refused.value.code == "overpayment"
    assert books_snapshot(coop) == before

    # A date before the disbursement, and a closed day: refused with the ordinary message.
    with pytest.raises(ServiceError) as early:
        _repay(coop, teller, loan, D("1000"), "early", dt.date(2026, 1, 1))
    assert early.value.code == "before_disbursement"
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=dt.date(2026, 2, 28))
    with pytest.raises(ServiceError) as closed:
        _repay(coop, teller, loan, D("1000"), "closed", dt.date(2026, 2, 20))
    assert closed.value.code == "day_closed"
    assert books_snapshot(coop) == before

    # A paid-off loan: nothing owed.
    _repay(coop, teller, loan, _owed(loan), "all", dt.date(2026, 3, 2))
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.CLOSED
    after = books_snapshot(coop)
    with pytest.raises(ServiceError) as paid:
        _repay(coop, teller, loan, D("1000"), "more", dt.date(2026, 3, 3))
    assert paid.value.code == "loan_closed"
    assert books_snapshot(coop) == after
    check_books(coop)


def test_a_payment_after_a_reversal_the_same_day(coop, people):
    """A reversed late payment and the payment made again that day: the same rows, penalties
    and keys either way."""
    teller, manager = people["teller"], people["manager"]
    day = dt.date(2026, 3, 20)
    loans_ = _twins(coop, people, "PU", "1200000")
    for loan, pay in zip(loans_, (_one_statement, _ordinary), strict=True):
        paid = pay(coop, teller, loan, D("150000"), f"late-{loan.pk}", day)
        loans.reverse_repayment(
            cooperative=coop, actor=manager, transaction_id=paid.pk, reason="salah input",
            idempotency_key=f"rev-{loan.pk}",
        )  # fmt: skip
        pay(coop, teller, loan, D("150000"), f"again-{loan.pk}", day)
    fast, slow = (_written(loan) for loan in loans_)
    assert fast == slow
    check_books(coop)


payments = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=250_000_000).map(lambda sen: D(sen) / 100),
        st.integers(min_value=0, max_value=120),  # days after the previous payment
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=st.sampled_from(["PU", "PP", "PD"]), payments=payments)
def test_any_payments_write_what_the_ordinary_way_writes(coop, people, code, payments):
    """Random amounts (a sen to Rp 2.5 million) on random days: the same rows written, or the
    same refusal, either way."""
    fast, slow = _twins(coop, people, code, "6000000" if code == "PP" else "1000000")
    teller, day = people["teller"], ON
    for n, (amount, days) in enumerate(payments):
        day += dt.timedelta(days=days)
        answers = []
        for loan, side in ((fast, "fast"), (slow, "slow")):
            pay = _repay if side == "fast" else _ordinary
            try:
                pay(coop, teller, loan, amount, f"{side}-{loan.pk}-{n}", day)
                answers.append("ok")
            except ServiceError as exc:
                answers.append(exc.code)
        assert answers[0] == answers[1]
    assert _written(fast) == _written(slow)
    check_books(coop)


@pytest.mark.parametrize(
    ("closed_to", "payments"),
    [
        # Interest accrued by the day-end, then paid: part from the receivable, the rest
        # recognised on its row when paid.
        (dt.date(2026, 2, 10), [("200000", "2026-02-11"), ("551000", "2026-02-16")]),
        # Late and accrued: the penalty entry, then receivable and income in one payment.
        (dt.date(2026, 3, 25), [("700000", "2026-03-26")]),
    ],
)
def test_interest_accrued_by_the_day_end_is_taken_from_the_receivable(
    coop, people, closed_to, payments
):
    from tests.closing.conftest import close_days, start_closing_after, today_is

    fast, slow = _twins(coop, people, "PP", "6000000")
    start_closing_after(coop, ON)
    with today_is(closed_to + dt.timedelta(days=1)):
        close_days(coop, closed_to)
    coop = Cooperative.objects.get(pk=coop.pk)
    assert Loan.objects.get(pk=fast.pk).accrued_interest > 0
    for n, (amount, on) in enumerate(payments):
        day = dt.date.fromisoformat(on)
        _one_statement(coop, people["teller"], fast, D(amount), f"fast-{n}", day)
        _ordinary(coop, people["teller"], slow, D(amount), f"slow-{n}", day)
    assert _written(fast) == _written(slow)
    lines = {code for *_memo, code, _d, credit in _written(fast)["postings"] if credit}
    assert "1301" in lines  # interest receivable credited
    check_books(coop)


def test_a_request_without_an_address_is_audited_without_one(
    coop, product, officer, manager, teller
):
    """Behind a unix socket REMOTE_ADDR is empty: stored as NULL, as Django stores it."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from koperasi.audit.middleware import RequestContextMiddleware

    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)

    def view(request):
        _one_statement(coop, teller, loan, D("118000"), "no-ip", dt.date(2026, 2, 15))
        return HttpResponse()

    RequestContextMiddleware(view)(RequestFactory().post("/", REMOTE_ADDR=""))
    audit = AuditLog.objects.filter(object_type="Loan", action="loans.repayment").get()
    assert audit.ip_address is None
