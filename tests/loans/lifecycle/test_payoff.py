"""Early payoff: the settlement quote and settling the loan.

The test loan and its schedule: see conftest.py.
"""

import datetime as dt

import pytest

from koperasi.errors import ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import LoanTransaction
from tests.conftest import books_snapshot, sukarela_account
from tests.loans.conftest import (
    check_books,
    disbursed_loan,
)
from tests.loans.lifecycle.conftest import (
    ON,
    D,
    lines,
    make_product,
    refused,
    repay,
    rows,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


# ---------------------------------------------------------------- early payoff


def test_settlement_quote_interest_to_date_and_payoff(coop, teller, loan):
    repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    on = dt.date(2026, 3, 1)
    quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=on)
    # Principal 1.100.000 + the current period's interest (no. 2, 16.500); the interest of
    # nos. 3–12 is forgiven: 1.500 × (10 + 9 + … + 1) = 82.500.
    assert (quote.principal, quote.interest, quote.penalty, quote.fee) == (
        D("1100000"),
        D("16500"),
        D("0"),
        D("0"),
    )
    assert (quote.interest_waived, quote.total) == (D("82500"), D("1116500"))
    assert quote.valid_until == dt.date(2026, 3, 14)  # the eve of the next due date
    before = books_snapshot(coop)
    for wrong in ("1116499", "1116501"):
        error = refused(
            ServiceError,
            loans.pay_off,
            cooperative=coop,
            actor=teller,
            loan_id=loan.pk,
            amount=wrong,
            idempotency_key=f"p-{wrong}",
            business_date_=on,
        )
        assert (error.code, error.field) == ("payoff_amount", "amount")
        assert "1.116.500" in error.message
    assert books_snapshot(coop) == before
    txn = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1116500",
        idempotency_key="p1",
        business_date_=on,
    )
    assert (txn.kind, txn.principal, txn.interest, txn.fee) == (
        "payoff",
        D("-1100000"),
        D("16500"),
        D("0"),
    )
    assert lines(txn.journal_entry) == [
        ("1101", D("1116500"), D("0")),
        ("1201", D("0"), D("1100000")),
        ("4101", D("0"), D("16500")),
    ]
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on, loan.outstanding_principal) == ("closed", on, D("0"))
    schedule = rows(loan)
    assert [r.interest_waived for r in schedule[2:]] == [r.interest for r in schedule[2:]]
    assert schedule[1].interest_waived == 0 and schedule[1].interest_paid == D("16500")
    assert all(r.amount_due == 0 and r.paid_on is not None for r in schedule)
    # The same key replays; a closed loan has no quote.
    again = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1116500",
        idempotency_key="p1",
        business_date_=on,
    )
    assert again.pk == txn.pk
    error = refused(ServiceError, loans.settlement_quote, cooperative=coop, loan_id=loan.pk, on=on)
    assert error.code == "loan_closed"
    check_books(coop)


def test_reversing_a_payoff_gives_back_the_forgiven_interest(coop, teller, loan):
    repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    before = [(r.interest_paid, r.principal_paid, r.interest_waived, r.paid_on) for r in rows(loan)]
    payoff = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1116500",
        idempotency_key="p1",
        business_date_=dt.date(2026, 3, 1),
    )
    # An earlier repayment cannot be reversed while the payoff stands.
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=LoanTransaction.objects.get(idempotency_key="r1").pk,
        reason="Salah",
        idempotency_key="rev0",
    )
    assert error.code == "later_movements"
    loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payoff.pk,
        reason="Uang palsu",
        idempotency_key="rev1",
    )
    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_principal) == ("active", D("1100000"))
    after = [(r.interest_paid, r.principal_paid, r.interest_waived, r.paid_on) for r in rows(loan)]
    assert after == before
    assert sum(r.interest_waived for r in rows(loan)) == 0
    check_books(coop)


def test_settlement_with_all_interest_and_a_fee(
    coop, borrower, officer, manager, teller, admin_user
):
    product = make_product(
        coop, admin_user, "PENUH", early_payoff="full_interest", early_payoff_fee_pct=D("2")
    )
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, ON)
    repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    on = dt.date(2026, 3, 1)
    quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=on)
    # All remaining interest 16.500 + 82.500 = 99.000; fee 2 % × 1.100.000 = 22.000.
    assert (quote.principal, quote.interest, quote.fee, quote.interest_waived, quote.total) == (
        D("1100000"),
        D("99000"),
        D("22000"),
        D("0"),
        D("1221000"),
    )
    txn = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1221000",
        idempotency_key="p1",
        business_date_=on,
    )
    assert lines(txn.journal_entry) == [
        ("1101", D("1221000"), D("0")),
        ("1201", D("0"), D("1100000")),
        ("4101", D("0"), D("99000")),
        ("4201", D("0"), D("22000")),
    ]
    loan.refresh_from_db()
    assert loan.status == "closed"
    check_books(coop)


def test_payoff_of_a_late_loan_includes_the_penalty(coop, teller, loan):
    on = dt.date(2026, 3, 25)
    quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=on)
    # Penalties 4.946 (as in the allocation test); interest of the late nos. 1 and 2 (18.000
    # + 16.500) and of the current no. 3 (15.000) = 49.500; nos. 4–12 forgiven: 1.500 × 45.
    assert (quote.principal, quote.interest, quote.penalty, quote.interest_waived) == (
        D("1200000"),
        D("49500"),
        D("4946"),
        D("67500"),
    )
    assert quote.total == D("1254446")
    assert quote.valid_until == on  # a daily penalty grows tomorrow
    txn = loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1254446",
        idempotency_key="p1",
        business_date_=on,
    )
    assert lines(txn.journal_entry) == [
        ("1101", D("1254446"), D("0")),
        ("1201", D("0"), D("1200000")),
        ("4101", D("0"), D("49500")),
        ("4202", D("0"), D("4946")),
    ]
    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due, loan.collectibility) == ("closed", 0, 1)
    check_books(coop)


def test_payoff_refuses_an_unknown_channel(coop, teller, loan):
    on = dt.date(2026, 3, 1)
    total = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=on).total
    before = books_snapshot(coop)
    for channel in ("system", "cheque"):
        error = refused(
            ServiceError,
            loans.pay_off,
            cooperative=coop,
            actor=teller,
            loan_id=loan.pk,
            amount=total,
            idempotency_key=f"p-{channel}",
            channel=channel,
            business_date_=on,
        )
        assert (error.code, error.field) == ("invalid", "channel")
    assert books_snapshot(coop) == before


def test_payoff_from_savings(coop, borrower, teller, loan):
    on = dt.date(2026, 2, 1)
    # Nothing due yet: principal 1.200.000 + the current period's interest 18.000.
    quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=on)
    assert quote.total == D("1218000")
    loans.pay_off(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1218000",
        idempotency_key="p1",
        channel="savings",
        business_date_=on,
    )
    account = sukarela_account(coop, borrower)
    assert account.balance == D("782000")
    check_books(coop)
