"""Repaying a loan: allocation, paying ahead, excess to savings, closing, and refusals.

The test loan and its schedule: see conftest.py.
"""

import datetime as dt

import pytest

from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import (
    LoanProduct,
    LoanTransaction,
)
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from tests.conftest import books_snapshot, make_member, sukarela_account
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


# ---------------------------------------------------------------- repayments


def test_allocation_penalty_then_interest_then_principal(coop, teller, loan):
    # Paid on 25/03/2026. Instalment 1 (due 15/02, 118.000) is late from 19/02 (3 grace days):
    # 35 days (19/02–25/03) × 0,1 % × 118.000 = 4.130. Instalment 2 (due 15/03, 116.500) is
    # late from 19/03: 7 days × 0,1 % × 116.500 = 815,50 → 816 (half up). Penalties 4.946.
    # 30.000 pays the penalties 4.946, then the interest of instalment 1 (18.000) and 7.054 of
    # instalment 2's 16.500; no principal.
    paid_on = dt.date(2026, 3, 25)
    txn = repay(coop, teller, loan, "30000", "r1", paid_on)
    assert (txn.penalty, txn.interest, txn.principal, txn.excess) == (
        D("4946"),
        D("25054"),
        D("0"),
        D("0"),
    )
    assert lines(txn.journal_entry) == [
        ("1101", D("30000"), D("0")),
        ("4101", D("0"), D("25054")),
        ("4202", D("0"), D("4946")),
    ]
    penalty = LoanTransaction.objects.get(loan=loan, kind="penalty")
    # Cash basis: the penalty is owed but booked as income only when paid.
    assert (penalty.amount, penalty.journal_entry, penalty.business_date) == (
        D("4946"),
        None,
        paid_on,
    )
    first, second = rows(loan)[:2]
    assert (first.penalty, first.penalty_paid, first.interest_paid, first.principal_paid) == (
        D("4130"),
        D("4130"),
        D("18000"),
        D("0"),
    )
    assert (second.penalty, second.penalty_paid, second.interest_paid) == (
        D("816"),
        D("816"),
        D("7054"),
    )
    assert first.paid_on is None
    loan.refresh_from_db()
    # 38 days past due since 15/02: Dalam Perhatian Khusus.
    assert (loan.outstanding_principal, loan.days_past_due, loan.collectibility) == (
        D("1200000"),
        38,
        2,
    )
    # The rest of what is due: instalment 2's interest 9.446 + principal 2 × 100.000.
    txn = repay(coop, teller, loan, "209446", "r2", paid_on)
    assert (txn.penalty, txn.interest, txn.principal) == (D("0"), D("9446"), D("-200000"))
    loan.refresh_from_db()
    assert (loan.outstanding_principal, loan.days_past_due, loan.collectibility) == (
        D("1000000"),
        0,
        1,
    )
    assert [r.paid_on for r in rows(loan)[:3]] == [paid_on, paid_on, None]
    check_books(coop)


def test_a_custom_allocation_order(coop, borrower, officer, manager, teller, admin_user):
    principal_first = make_product(
        coop, admin_user, "POKOK", allocation_order="principal,interest,penalty"
    )
    loan = disbursed_loan(coop, borrower, principal_first, officer, manager, teller, ON)
    # Same arrears as above on 25/03 (penalties 4.946). 110.000 pays principal first, across
    # the late instalments oldest first: 100.000 of no. 1 and 10.000 of no. 2.
    txn = repay(coop, teller, loan, "110000", "r1", dt.date(2026, 3, 25))
    assert (txn.principal, txn.interest, txn.penalty) == (D("-110000"), D("0"), D("0"))
    assert lines(txn.journal_entry) == [
        ("1101", D("110000"), D("0")),
        ("1201", D("0"), D("110000")),
    ]
    first, second = rows(loan)[:2]
    assert (first.principal_paid, second.principal_paid) == (D("100000"), D("10000"))
    assert (first.penalty_due, second.penalty_due) == (D("4130"), D("816"))
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1090000")
    check_books(coop)


def test_partial_payment(coop, teller, loan):
    # 50.000 on the due date: interest 18.000 first, then 32.000 of principal; not late yet.
    txn = repay(coop, teller, loan, "50000", "r1", dt.date(2026, 2, 15))
    assert (txn.interest, txn.principal, txn.outstanding_after) == (
        D("18000"),
        D("-32000"),
        D("1168000"),
    )
    first = rows(loan)[0]
    assert (first.amount_due, first.paid_on) == (D("68000"), None)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.collectibility) == (0, 1)
    # A day later the remaining 68.000 is 1 day past due (no penalty inside the grace days).
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 2, 16))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.collectibility) == (1, 2)
    assert not LoanTransaction.objects.filter(loan=loan, kind="penalty").exists()
    view = selectors.arrears(loan=loan, as_of=dt.date(2026, 2, 16))
    assert (view.overdue_principal, view.overdue_interest, view.overdue_instalments) == (
        D("68000"),
        D("0"),
        1,
    )
    assert (view.next_due_date, view.next_due_amount) == (dt.date(2026, 3, 15), D("116500"))
    check_books(coop)


def test_overpayment_pays_the_next_instalments_in_advance(coop, teller, loan):
    # 300.000 on 15/02: instalment 1 (118.000); 182.000 left pays no. 2 whole (16.500 +
    # 100.000) and then no. 3 horizontally: interest 15.000 and principal 50.500.
    txn = repay(coop, teller, loan, "300000", "r1", dt.date(2026, 2, 15))
    assert (txn.interest, txn.principal, txn.excess) == (D("49500"), D("-250500"), D("0"))
    assert lines(txn.journal_entry) == [
        ("1101", D("300000"), D("0")),
        ("1201", D("0"), D("250500")),
        ("4101", D("0"), D("49500")),
    ]
    first, second, third = rows(loan)[:3]
    assert (first.paid_on, second.paid_on, third.paid_on) == (
        dt.date(2026, 2, 15),
        dt.date(2026, 2, 15),
        None,
    )
    assert (third.interest_paid, third.principal_paid) == (D("15000"), D("50500"))
    assert {item["no"] for item in txn.allocation} == {1, 2, 3}
    # Instalment 2 is already paid, so on 16/03 nothing is late.
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 16))
    loan.refresh_from_db()
    assert (loan.outstanding_principal, loan.days_past_due) == (D("949500"), 0)
    check_books(coop)


def test_overpayment_to_savings(coop, borrower, officer, manager, teller):
    # PD: flat 1 %/month on 1.200.000 over 12: 100.000 + 12.000 = 112.000 a month; an excess
    # goes to the member's sukarela.
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    account = sukarela_account(coop, borrower)
    txn = repay(coop, teller, loan, "150000", "r1", dt.date(2026, 2, 15))
    # 150.000 − 112.000 = 38.000 to savings.
    assert (txn.interest, txn.principal, txn.excess) == (D("12000"), D("-100000"), D("38000"))
    assert lines(txn.journal_entry) == [
        ("1101", D("150000"), D("0")),
        ("1201", D("0"), D("100000")),
        ("2101", D("0"), D("38000")),
        ("4101", D("0"), D("12000")),
    ]
    account.refresh_from_db()
    assert account.balance == D("2038000")
    credit = SavingsTransaction.objects.get(account=account, kind="loan_credit")
    assert (credit.amount, credit.journal_entry_id) == (D("38000"), txn.journal_entry_id)
    assert rows(loan)[1].amount_due == D("112000")  # nothing paid in advance
    check_books(coop)


def test_more_than_the_whole_debt_without_savings_is_refused(
    coop, officer, manager, teller, product
):
    member = make_member(coop, teller)  # pokok only: no sukarela account for an excess
    loan = disbursed_loan(coop, member, product, officer, manager, teller, ON)
    before = books_snapshot(coop)
    # The whole debt: 1.200.000 + all interest 117.000 = 1.317.000.
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1317000.01",
        idempotency_key="r1",
        business_date_=dt.date(2026, 2, 15),
    )
    assert (error.code, error.field) == ("overpayment", "amount")
    assert "1.317.000" in error.message
    assert books_snapshot(coop) == before
    assert not LoanTransaction.objects.filter(idempotency_key="r1").exists()
    # Exactly the whole debt closes the loan.
    txn = repay(coop, teller, loan, "1317000", "r2", dt.date(2026, 2, 15))
    assert (txn.principal, txn.interest) == (D("-1200000"), D("117000"))
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on, loan.outstanding_principal) == (
        "closed",
        dt.date(2026, 2, 15),
        D("0"),
    )
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1000",
        idempotency_key="r3",
        business_date_=dt.date(2026, 3, 15),
    )
    assert error.code == "loan_closed"
    assert books_snapshot(coop) == before
    check_books(coop)


def test_more_than_the_whole_debt_is_refused_on_a_prepayment_product(coop, borrower, teller, loan):
    # 1.400.000 on 15/02 would pay every instalment in advance (1.317.000) and still leave
    # 83.000: on a product that prepays, that is a typo until proven otherwise.
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as refused:
        repay(coop, teller, loan, "1400000", "r1", dt.date(2026, 2, 15))
    assert (refused.value.code, refused.value.field) == ("overpayment", "amount")
    assert "Rp 1.317.000" in str(refused.value.message)
    assert books_snapshot(coop) == before


def test_excess_goes_to_savings_on_a_product_that_says_so(coop, admin_user, borrower, teller, loan):
    loans.update_product(
        cooperative=coop, actor=admin_user, product_id=loan.product_id, overpayment="savings"
    )
    account = sukarela_account(coop, borrower)
    # 400.000 on 15/02: 118.000 is due (100.000 principal + 18.000 interest); 282.000 is saved.
    txn = repay(coop, teller, loan, "400000", "r1", dt.date(2026, 2, 15))
    assert (txn.principal, txn.interest, txn.excess) == (D("-100000"), D("18000"), D("282000"))
    assert lines(txn.journal_entry) == [
        ("1101", D("400000"), D("0")),
        ("1201", D("0"), D("100000")),
        ("2101", D("0"), D("282000")),
        ("4101", D("0"), D("18000")),
    ]
    account.refresh_from_db()
    assert account.balance == D("2282000")
    check_books(coop)


def test_repayment_from_savings(coop, borrower, teller, loan):
    account = sukarela_account(coop, borrower)
    txn = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15), channel="savings")
    account.refresh_from_db()
    assert account.balance == D("1882000")  # 2.000.000 − 118.000
    debit = SavingsTransaction.objects.get(account=account, kind="loan_debit")
    assert (debit.amount, debit.journal_entry_id) == (D("-118000"), txn.journal_entry_id)
    assert lines(txn.journal_entry) == [
        ("1201", D("0"), D("100000")),
        ("2101", D("118000"), D("0")),
        ("4101", D("0"), D("18000")),
    ]
    # More than is owed cannot come out of savings (no excess back into the same account).
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1500000",
        idempotency_key="r2",
        channel="savings",
        business_date_=dt.date(2026, 3, 15),
    )
    assert error.code == "overpayment"
    assert books_snapshot(coop) == before
    check_books(coop)


def test_repayment_from_savings_refused_when_the_balance_is_too_low(
    coop, officer, manager, teller, product
):
    member = make_member(coop, teller)
    account = sukarela_account(coop, member)
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount="50000", idempotency_key="f"
    )
    loan = disbursed_loan(coop, member, product, officer, manager, teller, ON)
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="118000",
        idempotency_key="r1",
        channel="savings",
        business_date_=dt.date(2026, 2, 15),
    )
    assert (error.code, error.field) == ("insufficient_balance", "amount")
    assert books_snapshot(coop) == before
    assert rows(loan)[0].interest_paid == 0


@pytest.mark.parametrize(
    ("amount", "channel", "code"),
    [("0", "teller", "not_positive"), ("-5", "teller", "not_positive"), ("1", "system", "invalid")],
)
def test_bad_repayments_change_nothing(coop, teller, loan, amount, channel, code):
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount=amount,
        idempotency_key="bad",
        channel=channel,
        business_date_=dt.date(2026, 2, 15),
    )
    assert error.code == code
    assert books_snapshot(coop) == before


def test_repayment_before_the_disbursement_is_refused(coop, teller, loan):
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1000",
        idempotency_key="early",
        business_date_=dt.date(2026, 1, 14),
    )
    assert error.code == "before_disbursement"
    assert books_snapshot(coop) == before


def test_repayment_on_another_cooperatives_loan_is_not_found(coop, other_coop, teller, loan):
    refused(
        NotFound,
        loans.repay,
        cooperative=other_coop,
        actor=teller,
        loan_id=loan.pk,
        amount="1000",
        idempotency_key="x",
    )


def test_the_same_key_posts_once(coop, teller, loan, borrower, product, officer, manager):
    first = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    before = books_snapshot(coop)
    again = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    assert again.pk == first.pk
    assert books_snapshot(coop) == before
    assert LoanTransaction.objects.filter(kind="repayment").count() == 1
    other = disbursed_loan(coop, borrower, product, officer, manager, teller, ON)
    error = refused(
        Conflict,
        loans.repay,
        cooperative=coop,
        actor=teller,
        loan_id=other.pk,
        amount="118000",
        idempotency_key="r1",
    )
    assert error.code == "idempotency_key_reused"
    check_books(coop)
