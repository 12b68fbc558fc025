"""Penalties, the quality class (kolektibilitas), and the books check.

The test loan and its schedule: see conftest.py.
"""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from koperasi.administration import services as administration
from koperasi.errors import ServiceError
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.selectors import loan_violations
from koperasi.members.models import Member
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot
from tests.loans.conftest import (
    analysed_application,
    approved_application,
    check_books,
    disbursed_loan,
)
from tests.loans.lifecycle.conftest import (
    ON,
    D,
    make_product,
    repay,
    rows,
)

# `koperasi check` passes after every test here.
pytestmark = pytest.mark.usefixtures("books_checked")


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
