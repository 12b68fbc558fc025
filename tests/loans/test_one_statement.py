"""A cash repayment in one statement (PostgreSQL's `loans_repay`).

It must write exactly what the ordinary way writes, row for row, for every kind of payment it
makes (on time, part, ahead, late with each kind of penalty, accrual and cash basis, money left
to savings, the last payment closing the loan, both kolektibilitas regimes), and leave every
unusual case (a retry, a refusal, a closed day) to the ordinary way.
"""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koperasi.administration import services as administration
from koperasi.audit.models import AuditLog
from koperasi.domain import loan_quality, repayment
from koperasi.errors import ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import Loan, LoanProduct
from koperasi.sqlrows import Fallback
from koperasi.tenancy.models import Cooperative
from tests.conftest import books_snapshot
from tests.loans import twins
from tests.loans.conftest import check_books, disbursed_loan

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one-statement way exists on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]
D = Decimal
ON = twins.ON
_repay, _ordinary, _one_statement = twins.repay, twins.ordinary, twins.one_statement_
_member, _written, _twins, _owed = twins.member, twins.written, twins.twins, twins.owed


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


def _falls_back(caplog, reason, call):
    """Run `call`; assert that loans_repay left it to the ordinary way for `reason`, logged on
    the loans logger and counted, and return what the ordinary way answered (or raised)."""
    done, before = twins.ran(), twins.fell_back(reason)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="koperasi.loans"):
        try:
            answer = call()
        except ServiceError as refused:
            answer = refused
    assert twins.ran() == done
    assert twins.fell_back(reason) == before + 1
    logged = [r for r in caplog.records if r.name == "koperasi.loans"]
    assert [(r.fast_path, r.fallback) for r in logged] == [("loans_repay", reason.value)]
    return answer


def test_unusual_cases_get_the_ordinary_answer(caplog, coop, product, officer, manager, teller):
    loan = disbursed_loan(coop, _member(coop, teller), product, officer, manager, teller, ON)
    first = _one_statement(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15))

    # A retry returns the first movement and posts nothing.
    before = books_snapshot(coop)
    again = _falls_back(
        caplog,
        Fallback.RETRY,
        lambda: _repay(coop, teller, loan, D("118000"), "pay-1", dt.date(2026, 2, 15)),
    )
    assert again.pk == first.pk
    assert books_snapshot(coop) == before

    # More than the whole debt on a prepaying product: refused, nothing written.
    refused = _falls_back(
        caplog,
        Fallback.OVERPAYMENT,
        lambda: _repay(coop, teller, loan, D("99000000"), "too-much", dt.date(2026, 2, 16)),
    )
    assert refused.code == "overpayment"
    assert books_snapshot(coop) == before

    # A date before the disbursement, and a closed day: refused with the ordinary message.
    early = _falls_back(
        caplog,
        Fallback.BEFORE_DISBURSEMENT,
        lambda: _repay(coop, teller, loan, D("1000"), "early", dt.date(2026, 1, 1)),
    )
    assert early.code == "before_disbursement"
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=dt.date(2026, 2, 28))
    closed = _falls_back(
        caplog,
        Fallback.CLOSED_DAY,
        lambda: _repay(coop, teller, loan, D("1000"), "closed", dt.date(2026, 2, 20)),
    )
    assert closed.code == "day_closed"
    assert books_snapshot(coop) == before

    # Inside a transaction of the caller's own: the ordinary way, logged at DEBUG only.
    inside = _falls_back(
        caplog,
        Fallback.IN_TRANSACTION,
        lambda: _ordinary(coop, teller, loan, D("1000"), "inside", dt.date(2026, 3, 1)),
    )
    assert inside.pk and caplog.records[-1].levelno == logging.DEBUG

    # A paid-off loan: nothing owed.
    _repay(coop, teller, loan, _owed(loan), "all", dt.date(2026, 3, 2))
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.CLOSED
    after = books_snapshot(coop)
    paid = _falls_back(
        caplog,
        Fallback.NOT_ACTIVE,
        lambda: _repay(coop, teller, loan, D("1000"), "more", dt.date(2026, 3, 3)),
    )
    assert paid.code == "loan_closed"
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
# A product's rules, drawn from the domain's and the model's tables.
rules = st.fixed_dictionaries(
    {
        "allocation_order": st.permutations(repayment.COMPONENTS).map(",".join),
        "penalty_kind": st.sampled_from(repayment.PENALTY_KINDS),
        "overpayment": st.sampled_from(LoanProduct.Overpayment.values),
        "accounting": st.sampled_from(LoanProduct.Accounting.values),
    }
)
PENALTY_SETTINGS = {
    "none": {},
    "pct_day": {"penalty_rate": D("0.1"), "penalty_grace_days": 3, "penalty_cap_pct": D("10")},
    "pct_month": {"penalty_rate": D("2"), "penalty_grace_days": 7},
    "flat": {"penalty_flat": D("10000")},
}


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=rules, regime=st.sampled_from(loan_quality.REGIMES), payments=payments)
def test_any_payments_write_what_the_ordinary_way_writes(coop, people, rules, regime, payments):
    """Random products, regimes, amounts (a sen to Rp 2.5 million) and days: the same rows
    written, or the same refusal, either way; and every payment the ordinary way makes,
    loans_repay made on its twin (so the test fails, rather than compare the ordinary way with
    itself, when the function is not used)."""
    administration.update_cooperative(cooperative=coop, actor=None, collectibility_regime=regime)
    coop = Cooperative.objects.get(pk=coop.pk)
    product = twins.product_with(coop, **rules, **PENALTY_SETTINGS[rules["penalty_kind"]])
    fast, slow = _twins(coop, people, product, "1200000")
    teller, day = people["teller"], ON
    for n, (amount, days) in enumerate(payments):
        day += dt.timedelta(days=days)
        answers = []
        for loan, side in ((fast, "fast"), (slow, "slow")):
            pay = _repay if side == "fast" else _ordinary
            done = twins.ran()
            try:
                pay(coop, teller, loan, amount, f"{side}-{loan.pk}-{n}", day)
                answers.append("ok")
            except ServiceError as exc:
                answers.append(exc.code)
            if side == "fast":
                fast_ran = twins.ran() == done + 1
        assert answers[0] == answers[1]
        assert fast_ran == (answers[0] == "ok"), (answers, "loans_repay did not make it")
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
