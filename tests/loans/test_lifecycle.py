"""Money on a loan against a real database: disbursement, repayments, reversal, early payoff,
penalties and the quality class. Every figure is computed by hand in the comments.

The test loan (fixture `product`): Rp 1.200.000 over 12 months, declining balance 1,5 %/month,
no rounding, fees 1 % provisi + Rp 10.000 administration deducted, penalty 0,1 % of the overdue
instalment per day after 3 grace days, cash basis. Disbursed 15/01/2026, so instalment k is due
on the 15th, k months later, and pays principal 100.000 + interest (1.200.000 − 100.000·(k−1))
× 1,5 %:

    no  due         principal  interest  payment
     1  15/02/2026    100.000    18.000  118.000
     2  15/03/2026    100.000    16.500  116.500
     3  15/04/2026    100.000    15.000  115.000
     4  15/05/2026    100.000    13.500  113.500
    ...
    12  15/01/2027    100.000     1.500  101.500
                              Σ 117.000 (= 1.500 × (12 + 11 + … + 1) = 1.500 × 78)
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from koperasi.administration import services as administration
from koperasi.domain.schedule import LoanTerms, build_schedule
from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.ledger.models import Account, JournalEntry
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.selectors import loan_violations
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import books_snapshot, make_member, sukarela_account
from tests.loans.conftest import (
    analysed_application,
    approved_application,
    check_books,
    disbursed_loan,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")

ON = dt.date(2026, 1, 15)
D = Decimal


def lines(entry):
    """The entry as sorted (account code, debit, credit)."""
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


def balance(coop, code):
    return Account.objects.get(cooperative=coop, code=code).balance


def rows(loan, version=1):
    return list(Instalment.objects.filter(loan=loan, version=version).order_by("no"))


def refused(exc_type, call, **kwargs):
    with pytest.raises(exc_type) as info:
        call(**kwargs)
    return info.value


def repay(coop, actor, loan, amount, key, on, **kw):
    return loans.repay(
        cooperative=coop,
        actor=actor,
        loan_id=loan.pk,
        amount=amount,
        idempotency_key=key,
        business_date_=on,
        **kw,
    )


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    return disbursed_loan(coop, borrower, product, officer, manager, teller, ON)


def make_product(coop, admin_user, code, **changes):
    """The fixture product's terms with some changed."""
    terms = {
        "method": "menurun",
        "rate": D("1.5"),
        "rate_period": "month",
        "min_term": 1,
        "max_term": 24,
        "min_principal": D("100000"),
        "max_principal": D("20000000"),
        "provisi_pct": D("1"),
        "admin_fee": D("10000"),
        "penalty_kind": "pct_day",
        "penalty_rate": D("0.1"),
        "penalty_grace_days": 3,
    }
    return loans.create_product(
        cooperative=coop, actor=admin_user, code=code, name=code, **{**terms, **changes}
    )


# ---------------------------------------------------------------- disbursement


def test_cash_disbursement_deducts_the_fees(coop, borrower, product, officer, manager, teller):
    cash_before = balance(coop, "1101")
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, ON)
    txn = LoanTransaction.objects.get(loan=loan)
    # Fees: provisi 1 % × 1.200.000 = 12.000 + administration 10.000 = 22.000; paid out
    # 1.200.000 − 22.000 = 1.178.000.
    assert lines(txn.journal_entry) == [
        ("1101", D("0"), D("1178000")),
        ("1201", D("1200000"), D("0")),
        ("4201", D("0"), D("22000")),
    ]
    assert (txn.kind, txn.amount, txn.principal, txn.fee, txn.outstanding_after) == (
        "disbursement",
        D("1178000"),
        D("1200000"),
        D("22000"),
        D("1200000"),
    )
    assert txn.journal_entry.business_date == ON
    assert balance(coop, "1101") == cash_before - D("1178000")
    assert (loan.status, loan.outstanding_principal, loan.disbursed_to) == (
        "active",
        D("1200000"),
        "cash",
    )
    assert (loan.disbursed_on, loan.maturity_date) == (ON, dt.date(2027, 1, 15))
    assert LoanApplication.objects.get(pk=loan.application_id).status == "disbursed"
    check_books(coop)


def test_disbursement_to_savings(coop, borrower, product, officer, manager, teller):
    account = sukarela_account(coop, borrower)
    assert account.balance == D("2000000")
    application = approved_application(coop, borrower, product, officer, manager)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d-sav",
        to="savings",
        business_date_=ON,
    )
    account.refresh_from_db()
    # 2.000.000 + the net 1.178.000.
    assert account.balance == D("3178000")
    movement = SavingsTransaction.objects.get(account=account, kind="loan_credit")
    assert (movement.amount, movement.balance_after) == (D("1178000"), D("3178000"))
    txn = LoanTransaction.objects.get(loan=loan)
    assert movement.journal_entry_id == txn.journal_entry_id
    assert lines(txn.journal_entry) == [
        ("1201", D("1200000"), D("0")),
        ("2101", D("0"), D("1178000")),
        ("4201", D("0"), D("22000")),
    ]
    assert (loan.disbursed_to, loan.savings_account_id) == ("savings", account.pk)
    check_books(coop)


def test_disbursement_to_savings_needs_the_members_own_sukarela(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    stranger = make_member(coop, teller)
    theirs = sukarela_account(coop, stranger)
    before = books_snapshot(coop)
    error = refused(
        NotFound,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d1",
        to="savings",
        savings_account_id=theirs.pk,
    )
    assert error.field == "savings_account"
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d2",
        to="bank",
    )
    assert (error.code, error.field) == ("invalid", "to")
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists()
    # A member without a sukarela account cannot be paid into one.
    other = make_member(coop, teller)
    other_app = approved_application(coop, other, product, officer, manager)
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=other_app.pk,
        idempotency_key="d3",
        to="savings",
    )
    assert (error.code, error.field) == ("no_sukarela", "savings_account")
    assert books_snapshot(coop) == before
    other_app.refresh_from_db()
    assert other_app.status == "approved"


def test_fees_paid_separately_post_two_entries(coop, borrower, officer, manager, teller):
    # PD: flat 1 %/month, administration Rp 10.000 paid separately, no provisi.
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    disbursement, fee = LoanTransaction.objects.filter(loan=loan).order_by("id")
    assert (disbursement.kind, disbursement.amount, disbursement.fee) == (
        "disbursement",
        D("1200000"),
        D("0"),
    )
    assert lines(disbursement.journal_entry) == [
        ("1101", D("0"), D("1200000")),
        ("1201", D("1200000"), D("0")),
    ]
    assert (fee.kind, fee.amount, fee.fee) == ("fee", D("10000"), D("10000"))
    assert lines(fee.journal_entry) == [("1101", D("10000"), D("0")), ("4201", D("0"), D("10000"))]
    assert disbursement.journal_entry_id != fee.journal_entry_id
    check_books(coop)


def test_disbursing_twice_is_refused_and_a_retry_returns_the_loan(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    first = loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d1"
    )
    before = books_snapshot(coop)
    # The same key (a double click, a retried request): the same loan, nothing posted.
    again = loans.disburse(
        cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d1"
    )
    assert again.pk == first.pk
    assert books_snapshot(coop) == before
    # Another key: refused.
    error = refused(
        Conflict,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d2",
    )
    assert (error.code, error.status) == ("already_disbursed", 409)
    assert books_snapshot(coop) == before
    assert Loan.objects.count() == 1
    assert JournalEntry.objects.filter(source="loans").count() == 1
    check_books(coop)


def test_the_same_key_for_another_application_is_refused(
    coop, borrower, product, officer, manager, teller
):
    first = approved_application(coop, borrower, product, officer, manager)
    second = approved_application(coop, borrower, product, officer, manager, principal="500000")
    loans.disburse(cooperative=coop, actor=teller, application_id=first.pk, idempotency_key="k")
    before = books_snapshot(coop)
    error = refused(
        Conflict,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=second.pk,
        idempotency_key="k",
    )
    assert error.code == "idempotency_key_reused"
    assert books_snapshot(coop) == before


def test_only_an_approved_application_is_disbursed(
    coop, other_coop, borrower, product, officer, manager, teller
):
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    analysed = analysed_application(coop, borrower, product, officer)
    rejected = analysed_application(coop, borrower, product, officer)
    loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=rejected.pk,
        reason="Tidak layak",
    )
    before = books_snapshot(coop)
    for application in (submitted, analysed, rejected):
        error = refused(
            ServiceError,
            loans.disburse,
            cooperative=coop,
            actor=teller,
            application_id=application.pk,
            idempotency_key=f"d-{application.pk}",
        )
        assert error.code == "not_approved"
    approved = approved_application(coop, borrower, product, officer, manager)
    refused(
        NotFound,
        loans.disburse,
        cooperative=other_coop,
        actor=teller,
        application_id=approved.pk,
        idempotency_key="d-x",
    )
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=approved.pk,
        idempotency_key="",
    )
    assert error.code == "idempotency_key_required"
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists()


def test_disbursement_in_a_closed_period_writes_nothing(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    Cooperative.objects.filter(pk=coop.pk).update(books_closed_through=dt.date(2026, 1, 31))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.disburse,
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d1",
        business_date_=ON,
    )
    assert error.code == "period_closed"
    assert books_snapshot(coop) == before
    assert not Loan.objects.exists() and not Instalment.objects.exists()
    application.refresh_from_db()
    assert application.status == "approved"


@pytest.mark.parametrize("code", ["UJI", "PP", "PD"])
def test_schedule_rows_are_the_calculators(coop, borrower, officer, manager, teller, code, product):
    chosen = LoanProduct.objects.get(cooperative=coop, code=code)
    collateral = {}
    if code == "PP":
        collateral = {
            "collaterals": [loans.CollateralInput("shm", "SHM", "6000000")],
            "guarantor_ids": [make_member(coop, teller).pk],
        }
    principal = "6000000" if code == "PP" else "1200000"
    application = analysed_application(
        coop, borrower, chosen, officer, principal=principal, **collateral
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=ON,
    )
    expected = build_schedule(
        LoanTerms(
            principal=D(principal),
            rate=chosen.rate,
            rate_period=chosen.rate_period,
            periods=12,
            method=chosen.method,
            frequency=chosen.frequency,
            rounding=chosen.rounding,
        ),
        disbursed_on=ON,
    )
    stored = [(r.no, r.due_date, r.principal, r.interest, r.payment, r.balance) for r in rows(loan)]
    assert stored == [
        (r.no, r.due_date, r.principal, r.interest, r.payment, r.balance)
        for r in expected.instalments
    ]
    assert sum(r[2] for r in stored) == D(principal)
    if code == "UJI":
        assert stored[0][2:] == (D("100000"), D("18000"), D("118000"), D("1100000"))
        assert stored[11][1:4] == (dt.date(2027, 1, 15), D("100000"), D("1500"))
    if code == "PP":
        # A = 90.000 / (1 − 1,015^−12) = 550.079,96, rounded up to 551.000.
        assert stored[0][2:5] == (D("461000"), D("90000"), D("551000"))
    check_books(coop)


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


# ---------------------------------------------------------------- reversal


def test_reversal_restores_rows_outstanding_status_and_savings(coop, borrower, teller, loan):
    account = sukarela_account(coop, borrower)
    before_rows = [(r.principal_paid, r.interest_paid, r.paid_on) for r in rows(loan)]
    # The whole debt, 1.317.000, from savings: the loan closes.
    payment = repay(coop, teller, loan, "1317000", "r1", dt.date(2026, 2, 15), channel="savings")
    loan.refresh_from_db()
    account.refresh_from_db()
    assert (loan.status, account.balance) == ("closed", D("683000"))
    reversal = loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah pinjaman",
        idempotency_key="rev1",
    )
    loan.refresh_from_db()
    account.refresh_from_db()
    assert (loan.status, loan.closed_on, loan.outstanding_principal) == (
        "active",
        None,
        D("1200000"),
    )
    assert account.balance == D("2000000")
    assert [(r.principal_paid, r.interest_paid, r.paid_on) for r in rows(loan)] == before_rows
    assert (reversal.kind, reversal.reverses_id, reversal.amount, reversal.principal) == (
        "reversal",
        payment.pk,
        D("-1317000"),
        D("1200000"),
    )
    assert reversal.journal_entry.reversal_of_id == payment.journal_entry_id
    assert lines(reversal.journal_entry) == [
        ("1201", D("1200000"), D("0")),
        ("2101", D("0"), D("1317000")),
        ("4101", D("117000"), D("0")),
    ]
    assert SavingsTransaction.objects.filter(account=account, kind="reversal").count() == 1
    # The same key again returns the reversal; another key is refused.
    again = loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah pinjaman",
        idempotency_key="rev1",
    )
    assert again.pk == reversal.pk
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Lagi",
        idempotency_key="rev2",
    )
    assert error.code == "already_reversed"
    assert books_snapshot(coop) == before
    check_books(coop)


def test_reversal_takes_back_an_excess_paid_into_savings(coop, borrower, officer, manager, teller):
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    account = sukarela_account(coop, borrower)
    payment = repay(coop, teller, loan, "150000", "r1", dt.date(2026, 2, 15))
    # The member withdraws everything (2.038.000): the 38.000 excess cannot be taken back.
    savings.withdraw(
        cooperative=coop, actor=teller, account_id=account.pk, amount="2038000", idempotency_key="w"
    )
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    assert error.code == "insufficient_balance"
    assert books_snapshot(coop) == before
    savings.deposit(
        cooperative=coop, actor=teller, account_id=account.pk, amount="40000", idempotency_key="d"
    )
    loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    account.refresh_from_db()
    loan.refresh_from_db()
    assert account.balance == D("2000")  # 40.000 − 38.000
    assert loan.outstanding_principal == D("1200000")
    assert rows(loan)[0].amount_due == D("112000")
    check_books(coop)


def test_reversing_an_older_repayment_while_a_later_stands(coop, teller, loan):
    older = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    later = repay(coop, teller, loan, "116500", "r2", dt.date(2026, 3, 15))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=older.pk,
        reason="Salah",
        idempotency_key="rev1",
    )
    assert error.code == "later_movements"
    assert books_snapshot(coop) == before
    for txn, key in ((later, "rev2"), (older, "rev1")):
        loans.reverse_repayment(
            cooperative=coop,
            actor=teller,
            transaction_id=txn.pk,
            reason="Salah",
            idempotency_key=key,
        )
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1200000")
    assert all(r.principal_paid == 0 and r.interest_paid == 0 for r in rows(loan))
    check_books(coop)


def test_only_repayments_are_reversed_and_with_a_reason(coop, teller, loan):
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=disbursement.pk,
        reason="Batal",
        idempotency_key="rev1",
    )
    assert error.code == "not_reversible"
    payment = repay(coop, teller, loan, "118000", "r1", dt.date(2026, 2, 15))
    before = books_snapshot(coop)
    error = refused(
        ServiceError,
        loans.reverse_repayment,
        cooperative=coop,
        actor=teller,
        transaction_id=payment.pk,
        reason=" ",
        idempotency_key="rev2",
    )
    assert (error.code, error.field) == ("required", "reason")
    assert books_snapshot(coop) == before


def test_accrual_penalty_is_booked_and_repaid_from_the_receivable(
    coop, borrower, officer, manager, teller
):
    # PP (accrual): annuity 6.000.000 / 12 at 18 % a year, instalment 551.000; penalty 2 % of
    # the overdue instalment per month after 7 grace days. Instalment 1 is due 15/02/2026; its
    # first month of lateness completes on 22/03 (15/02 + 7 days + 1 month): 2 % × 551.000 =
    # 11.020. Instalment 2 (due 15/03) has no complete month yet.
    pp = LoanProduct.objects.get(cooperative=coop, code="PP")
    guarantor = make_member(coop, teller)
    application = analysed_application(
        coop,
        borrower,
        pp,
        officer,
        principal="6000000",
        collaterals=[loans.CollateralInput("shm", "SHM", "6000000")],
        guarantor_ids=[guarantor.pk],
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=ON,
    )
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 21))
    assert not LoanTransaction.objects.filter(loan=loan, kind="penalty").exists()
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 22))
    penalty = LoanTransaction.objects.get(loan=loan, kind="penalty")
    assert penalty.amount == D("11020")
    assert lines(penalty.journal_entry) == [
        ("1302", D("11020"), D("0")),
        ("4202", D("0"), D("11020")),
    ]
    loan.refresh_from_db()
    assert loan.penalty_receivable == D("11020")
    check_books(coop)
    txn = repay(coop, teller, loan, "11020", "r1", dt.date(2026, 3, 22))
    assert txn.penalty == D("11020")
    # Income was booked at assessment: the payment clears the receivable.
    assert lines(txn.journal_entry) == [
        ("1101", D("11020"), D("0")),
        ("1302", D("0"), D("11020")),
    ]
    loan.refresh_from_db()
    assert loan.penalty_receivable == D("0")
    check_books(coop)


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


# ---------------------------------------------------------------- penalties and quality


def test_assessing_a_date_twice_posts_one_penalty(coop, loan):
    on = dt.date(2026, 3, 25)
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=on)
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=on)

    def penalties():
        return [p.amount for p in LoanTransaction.objects.filter(loan=loan, kind="penalty")]

    assert penalties() == [D("4946")]
    assert sum(r.penalty for r in rows(loan)) == D("4946")
    # The next day adds one day on each late instalment. Increments telescope (the rounded
    # total to date minus the rounded total before): no. 1, 36 × 118 − 4.130 = 118; no. 2,
    # 8 days × 116,50 = 932 − 816 = 116. Together 234.
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 26))
    assert penalties() == [D("4946"), D("234")]
    # An earlier date is refused: it would put back an older class; nothing is added.
    with pytest.raises(ServiceError) as refused:
        loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 20))
    assert (refused.value.code, refused.value.field) == ("before_last_assessment", "on")
    assert len(penalties()) == 2
    assert loans.assess_portfolio(cooperative=coop, actor=None, on=dt.date(2026, 3, 26)) == 1
    assert len(penalties()) == 2
    check_books(coop)


def test_a_second_assessment_on_the_same_day_after_a_reversal(coop, teller, loan):
    # 25/02: instalment 1 is 7 days late (7 × 118 = 826) and paid with its penalty.
    early = repay(coop, teller, loan, "118826", "r1", dt.date(2026, 2, 25))
    assert early.penalty == D("826")
    # 25/03: the day's assessment finds only instalment 2 late: 7 × 116,50 = 815,50 → 816.
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 3, 25))
    # The February payment was wrong and is reversed: instalment 1 is late again, and a
    # payment on 25/03 assesses it again: 35 days × 118 = 4.130, less the 826 already charged.
    loans.reverse_repayment(
        cooperative=coop,
        actor=teller,
        transaction_id=early.pk,
        reason="Salah anggota",
        idempotency_key="rev1",
    )
    txn = repay(coop, teller, loan, "10000", "r2", dt.date(2026, 3, 25))
    assert txn.penalty == D("4946")  # 4.130 + 816
    assessed = LoanTransaction.objects.filter(loan=loan, kind="penalty").order_by("id")
    assert [p.amount for p in assessed] == [D("826"), D("816"), D("3304")]
    assert sum(r.penalty for r in rows(loan)) == D("4946")


def test_the_penalty_cap(coop, borrower, officer, manager, teller, admin_user):
    capped = make_product(coop, admin_user, "CAP", penalty_cap_pct=D("5"))
    loan = disbursed_loan(coop, borrower, capped, officer, manager, teller, ON)
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 4, 30))
    # On 30/04: no. 1, 71 days (19/02–30/04) × 118 = 8.378, capped at 5 % × 118.000 = 5.900;
    # no. 2, 43 days × 116,50 = 5.009,50 → 5.010 (cap 5.825); no. 3, 12 days × 115 = 1.380.
    assert [r.penalty for r in rows(loan)[:4]] == [D("5900"), D("5010"), D("1380"), D("0")]
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 5, 31))
    # 31 more days: no. 1 stays at its cap; no. 2 reaches its cap 5.825 (+815 of 3.611,50);
    # no. 3 + 31 × 115 = 3.565 → 4.945; no. 4 (due 15/05, 113.500) 13 days → 1.475,50 → 1.476.
    assert [r.penalty for r in rows(loan)[:5]] == [
        D("5900"),
        D("5825"),
        D("4945"),
        D("1476"),
        D("0"),
    ]
    amounts = LoanTransaction.objects.filter(loan=loan, kind="penalty").order_by("id")
    assert [p.amount for p in amounts] == [D("12290"), D("5856")]
    check_books(coop)


def test_a_flat_penalty_is_charged_once_per_missed_instalment(
    coop, borrower, officer, manager, teller
):
    # PD: Rp 10.000 per missed instalment, no grace days. Instalment 1 (due 15/02) is missed
    # from 16/02; instalment 2 (due 15/03) from 16/03.
    pd = LoanProduct.objects.get(cooperative=coop, code="PD")
    loan = disbursed_loan(coop, borrower, pd, officer, manager, teller, ON)
    loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2026, 2, 15))
    assert rows(loan)[0].penalty == 0
    for day in (dt.date(2026, 2, 16), dt.date(2026, 3, 1), dt.date(2026, 3, 20)):
        loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=day)
    assert [r.penalty for r in rows(loan)[:3]] == [D("10000"), D("10000"), D("0")]
    # Paying on 20/03: penalties 20.000, interest 2 × 12.000, then 56.000 of principal.
    txn = repay(coop, teller, loan, "100000", "r1", dt.date(2026, 3, 20))
    assert (txn.penalty, txn.interest, txn.principal) == (D("20000"), D("24000"), D("-56000"))
    check_books(coop)


@pytest.mark.parametrize(
    ("days", "klass"),
    [(0, 1), (1, 2), (90, 2), (91, 3), (180, 3), (181, 4), (270, 4), (271, 5)],
)
def test_bank_regime_classes(coop, borrower, product, officer, manager, teller, days, klass):
    # Disbursed 15/01/2025: instalment 1 is due 15/02/2025 and nothing is paid.
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, dt.date(2025, 1, 15))
    on = dt.date(2025, 2, 15) + dt.timedelta(days=days)
    assessed = loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=on)
    assert (assessed.days_past_due, assessed.collectibility, assessed.assessed_on) == (
        days,
        klass,
        on,
    )
    loan.refresh_from_db()
    assert loan.collectibility == klass
    assert selectors.portfolio_summary(cooperative=coop) == [(klass, 1, D("1200000"))]


def test_paying_the_arrears_restores_the_class(coop, teller, loan):
    on = dt.date(2026, 6, 20)  # nos. 1–4 late; no. 1 by 125 days
    assert loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=on).collectibility == 3
    owed = sum((r.amount_due for r in rows(loan) if r.due_date <= on), D(0))
    repay(coop, teller, loan, owed, "r1", on)
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.collectibility) == (0, 1)
    check_books(coop)


def ksp(coop):
    administration.update_cooperative(cooperative=coop, actor=None, collectibility_regime="ksp")


@pytest.mark.parametrize(
    ("on", "klass"),
    [
        # Instalment 1 due 15/02/2025. Up to 3 months of principal overdue: Lancar (the bank
        # regime would say DPK at 89 days); more than 3 up to 6: Kurang Lancar; beyond 6
        # without collateral: Macet.
        (dt.date(2025, 5, 15), 1),
        (dt.date(2025, 5, 16), 3),
        (dt.date(2025, 8, 15), 3),
        (dt.date(2025, 8, 16), 5),
    ],
)
def test_ksp_regime_classes(coop, borrower, product, officer, manager, teller, on, klass):
    ksp(coop)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, dt.date(2025, 1, 15))
    assert (
        loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=on).collectibility == klass
    )


def test_ksp_regime_with_collateral_is_doubtful_then_loss_after_21_months(
    coop, borrower, product, officer, manager, teller
):
    ksp(coop)
    application = analysed_application(
        coop,
        borrower,
        product,
        officer,
        collaterals=[loans.CollateralInput("bpkb", "Motor", "1500000")],
    )
    loans.approve(cooperative=coop, actor=manager, role=Role.MANAGER, application_id=application.pk)
    loan = loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key="d",
        business_date_=dt.date(2025, 1, 15),
    )
    # Beyond 6 months with collateral 1.500.000 ≥ 75 % of the debt (at most 1.317.000):
    # Diragukan from 16/08/2025, and Macet 21 months later, on 16/05/2027.
    assessed = loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2025, 8, 16))
    assert (assessed.collectibility, assessed.doubtful_since) == (4, dt.date(2025, 8, 16))
    assessed = loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2027, 5, 15))
    assert assessed.collectibility == 4
    assessed = loans.assess(cooperative=coop, actor=None, loan_id=loan.pk, on=dt.date(2027, 5, 16))
    assert assessed.collectibility == 5


# ---------------------------------------------------------------- the books check
# Each test breaks one invariant behind the services' back, sees it reported, and puts it
# back (the module's teardown check then passes again).


def test_books_check_detects_a_broken_loan_sub_ledger(coop, loan):
    check_books(coop)
    Loan.objects.filter(pk=loan.pk).update(outstanding_principal=D("1100000"))
    problems = loan_violations(cooperative=coop)
    assert any("sum of its movements 1200000" in p for p in problems), problems
    assert any("unpaid principal of its schedule" in p for p in problems), problems
    assert any(p.startswith("account 1201 balance 1200000") for p in problems), problems
    with pytest.raises(CommandError):
        call_command("books_check")
    Loan.objects.filter(pk=loan.pk).update(outstanding_principal=D("1200000"))


def test_books_check_detects_a_schedule_out_of_step(coop, loan):
    Instalment.objects.filter(loan=loan, no=1).update(principal_paid=D("100000"))
    problems = loan_violations(cooperative=coop)
    assert problems == [
        f"loan {loan.number} outstanding 1200000.00 != unpaid principal of its schedule 1100000.00"
    ]
    with pytest.raises(CommandError):
        call_command("books_check")
    Instalment.objects.filter(loan=loan, no=1).update(principal_paid=D("0"))


def test_books_check_detects_a_closed_loan_with_principal(coop, loan):
    Loan.objects.filter(pk=loan.pk).update(status="closed")
    problems = loan_violations(cooperative=coop)
    assert any("is closed but still has" in p for p in problems), problems
    Loan.objects.filter(pk=loan.pk).update(status="active")


def test_books_check_detects_a_penalty_receivable_out_of_step(coop, loan):
    Loan.objects.filter(pk=loan.pk).update(penalty_receivable=D("5000"))
    problems = loan_violations(cooperative=coop)
    assert problems == ["account 1302 balance 0.00 != loan sub-ledger total 5000.00"]
    Loan.objects.filter(pk=loan.pk).update(penalty_receivable=D("0"))


def test_a_member_who_left_after_approval_is_not_paid_out(
    coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    Member.objects.filter(pk=borrower.pk).update(status="resigned")
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as refused:
        loans.disburse(
            cooperative=coop, actor=teller, application_id=application.pk, idempotency_key="d"
        )
    assert refused.value.code == "member_inactive"
    assert books_snapshot(coop) == before
