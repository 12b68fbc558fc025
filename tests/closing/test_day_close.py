"""Day-end close: exact postings of each step, catching up, idempotency, refusals."""

import datetime as dt

import pytest

from koperasi.closing.models import CloseRun, CloseStep
from koperasi.errors import ServiceError
from koperasi.ledger.models import Account, JournalEntry
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanAccrual, LoanTransaction, QualitySnapshot
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from tests.closing.conftest import (
    ON,
    TODAY,
    D,
    close_days,
    make_loan,
    staff,
    start_closing_after,
    today_is,
)
from tests.conftest import books_snapshot, gl_balances, sukarela_account
from tests.loans.conftest import check_books

pytestmark = pytest.mark.django_db


def lines(entry):
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


def row(loan, no):
    return Instalment.objects.get(loan=loan, version=loan.schedule_version, no=no)


@pytest.fixture
def people(coop):
    return staff(coop)


@pytest.fixture
def pp_loan(coop, people):
    loan = make_loan(coop, people)
    start_closing_after(coop, ON)
    return loan


# ---------------------------------------------------------------- interest accrual


def test_one_day_accrues_one_day_of_the_period(coop, pp_loan):
    close_days(coop, dt.date(2026, 1, 16))
    # Instalment 1 earns 90.000 over 15/01–15/02 (31 days): one day is 2.903,23.
    accrual = LoanAccrual.objects.get(loan=pp_loan)
    assert (accrual.business_date, accrual.amount) == (dt.date(2026, 1, 16), D("2903.23"))
    assert lines(accrual.journal_entry) == [
        ("1301", D("2903.23"), D("0")),
        ("4101", D("0"), D("2903.23")),
    ]
    assert accrual.journal_entry.business_date == dt.date(2026, 1, 16)
    pp_loan.refresh_from_db()
    assert pp_loan.accrued_interest == D("2903.23")
    assert row(pp_loan, 1).interest_accrued == D("2903.23")
    check_books(coop)


def test_a_whole_period_accrues_exactly_the_instalments_interest(coop, pp_loan):
    close_days(coop, dt.date(2026, 2, 15))
    assert row(pp_loan, 1).interest_accrued == D("90000")
    assert sum(a.amount for a in LoanAccrual.objects.filter(instalment=row(pp_loan, 1))) == D(
        "90000"
    )
    # Instalment 2's period starts on the due date of 1: nothing yet.
    assert row(pp_loan, 2).interest_accrued == 0
    check_books(coop)


def test_a_repayment_after_the_accrual_clears_the_receivable(coop, people, pp_loan):
    close_days(coop, dt.date(2026, 2, 15))
    txn = loans.repay(
        cooperative=coop,
        actor=people["teller"],
        loan_id=pp_loan.pk,
        amount="551000",
        idempotency_key="r1",
        business_date_=dt.date(2026, 2, 16),
    )
    assert lines(txn.journal_entry) == sorted(
        [
            ("1101", D("551000"), D("0")),
            ("1301", D("0"), D("90000")),
            (pp_loan.product.gl_account.code, D("0"), D("461000")),
        ]
    )
    pp_loan.refresh_from_db()
    assert pp_loan.accrued_interest == 0
    check_books(coop)


def test_interest_paid_before_it_accrued_is_not_accrued_again(coop, people, pp_loan):
    close_days(coop, dt.date(2026, 1, 19))  # 4 days: round(90.000 × 4 / 31) = 11.612,90
    txn = loans.repay(
        cooperative=coop,
        actor=people["teller"],
        loan_id=pp_loan.pk,
        amount="551000",
        idempotency_key="early",
        business_date_=dt.date(2026, 1, 20),
    )
    assert lines(txn.journal_entry) == sorted(
        [
            ("1101", D("551000"), D("0")),
            ("1301", D("0"), D("11612.90")),
            ("4101", D("0"), D("78387.10")),
            (pp_loan.product.gl_account.code, D("0"), D("461000")),
        ]
    )
    close_days(coop, dt.date(2026, 2, 15))
    first = row(pp_loan, 1)
    assert (first.interest_accrued, first.interest_paid) == (D("90000"), D("90000"))
    # Nothing more for instalment 1 after the payment; income over the period is 90.000 once.
    assert not LoanAccrual.objects.filter(
        instalment=first, business_date__gt=dt.date(2026, 1, 19)
    ).exists()
    income = Account.objects.get(cooperative=coop, code="4101").balance
    assert income == D("-90000")
    check_books(coop)


def test_reversing_an_early_payment_gives_back_what_it_recognised(coop, people, pp_loan):
    close_days(coop, dt.date(2026, 1, 19))
    with today_is(dt.date(2026, 1, 20)):
        _pay_and_reverse(coop, people, pp_loan)
    first = row(pp_loan, 1)
    assert (first.interest_accrued, first.interest_paid) == (D("11612.90"), D("0"))
    check_books(coop)
    close_days(coop, dt.date(2026, 2, 15))
    assert row(pp_loan, 1).interest_accrued == D("90000")
    check_books(coop)


def _pay_and_reverse(coop, people, pp_loan):
    txn = loans.repay(
        cooperative=coop,
        actor=people["teller"],
        loan_id=pp_loan.pk,
        amount="551000",
        idempotency_key="early",
        business_date_=dt.date(2026, 1, 20),
    )
    loans.reverse_repayment(
        cooperative=coop,
        actor=people["manager"],
        transaction_id=txn.pk,
        reason="salah input",
        idempotency_key="rev",
    )


def test_cash_basis_loans_accrue_nothing(coop, people):
    loan = make_loan(coop, people, code="PU", principal="1000000")
    assert loan.product.accounting == "cash"
    start_closing_after(coop, ON)
    close_days(coop, dt.date(2026, 1, 31))
    assert not LoanAccrual.objects.filter(loan=loan).exists()
    check_books(coop)


def test_a_non_performing_loan_stops_accruing(coop, pp_loan):
    Loan.objects.filter(pk=pp_loan.pk).update(collectibility=3)
    close_days(coop, dt.date(2026, 1, 16))
    assert not LoanAccrual.objects.filter(loan=pp_loan).exists()


# ---------------------------------------------------------------- catching up


@pytest.mark.parametrize("days", [1, 3, 31, 75])
def test_closing_day_by_day_equals_catching_up_at_once(coop, other_coop, days):
    """The same loan, with a repayment in the middle, in two cooperatives: one closes each day
    separately, the other catches up all the days in one run. The books end the same."""
    results = []
    for index, cooperative in enumerate((coop, other_coop)):
        people = staff(cooperative, suffix=str(index))
        loan = make_loan(cooperative, people)
        start_closing_after(cooperative, ON)
        last = ON + dt.timedelta(days=days)
        middle = ON + dt.timedelta(days=max(1, days // 2))
        if index == 0:
            day = ON
            while day < last:
                day += dt.timedelta(days=1)
                close_days(cooperative, day)
                if day == middle:
                    _pay(cooperative, people, loan, day)
        else:
            close_days(cooperative, middle)
            _pay(cooperative, people, loan, middle)
            close_days(cooperative, last)
        loan.refresh_from_db()
        check_books(cooperative)
        results.append(_state(cooperative, loan))
    assert results[0] == results[1]


def _pay(cooperative, people, loan, day):
    loans.repay(
        cooperative=cooperative,
        actor=people["teller"],
        loan_id=loan.pk,
        amount="300000",
        idempotency_key=f"pay-{day}",
        business_date_=day + dt.timedelta(days=1),
    )


def _state(cooperative, loan):
    return {
        "balances": gl_balances(cooperative),
        "loan": (
            loan.accrued_interest,
            loan.penalty_receivable,
            loan.days_past_due,
            loan.collectibility,
            loan.outstanding_principal,
        ),
        "rows": list(
            Instalment.objects.filter(loan=loan)
            .order_by("no")
            .values_list("interest_accrued", "interest_paid", "penalty", "principal_paid")
        ),
    }


# ---------------------------------------------------------------- arrears and quality


def test_late_loans_are_assessed_like_a_single_assessment(coop, other_coop):
    """The close's penalties and class equal `loans.assess` on a twin loan."""
    day = dt.date(2026, 4, 20)  # instalments 1–3 unpaid: 64 days past due
    twins = []
    for index, cooperative in enumerate((coop, other_coop)):
        people = staff(cooperative, suffix=str(index))
        twins.append(make_loan(cooperative, people))
    start_closing_after(coop, day - dt.timedelta(days=1))
    close_days(coop, day)
    loans.assess(cooperative=other_coop, actor=None, loan_id=twins[1].pk, on=day)
    closed, assessed = (Loan.objects.get(pk=loan.pk) for loan in twins)
    assert closed.days_past_due == assessed.days_past_due == 64
    assert (closed.collectibility, closed.penalty_receivable) == (
        assessed.collectibility,
        assessed.penalty_receivable,
    )
    assert closed.penalty_receivable > 0
    penalty = LoanTransaction.objects.get(loan=closed, kind="penalty")
    assert lines(penalty.journal_entry) == [
        ("1302", closed.penalty_receivable, D("0")),
        ("4202", D("0"), closed.penalty_receivable),
    ]
    check_books(coop)


def test_a_loan_paid_up_is_lancar_again(coop, people, pp_loan):
    close_days(coop, dt.date(2026, 2, 20))
    pp_loan.refresh_from_db()
    assert (pp_loan.days_past_due, pp_loan.collectibility) == (5, 2)
    loans.repay(
        cooperative=coop,
        actor=people["teller"],
        loan_id=pp_loan.pk,
        amount=str(row(pp_loan, 1).amount_due),
        idempotency_key="catch-up",
        business_date_=dt.date(2026, 2, 21),
    )
    close_days(coop, dt.date(2026, 2, 22))
    pp_loan.refresh_from_db()
    assert (pp_loan.days_past_due, pp_loan.collectibility) == (0, 1)
    check_books(coop)


def test_the_allowance_follows_the_classes(coop, pp_loan):
    close_days(coop, dt.date(2026, 1, 16))
    lancar = QualitySnapshot.objects.get(
        cooperative=coop, business_date=dt.date(2026, 1, 16), collectibility=1
    )
    # 0,5 % of 6.000.000 = 30.000 (Lancar: on the whole outstanding).
    assert (lancar.loans, lancar.outstanding, lancar.allowance) == (1, D("6000000"), D("30000"))
    entry = JournalEntry.objects.get(cooperative=coop, memo__startswith="Penyesuaian CKPN")
    assert lines(entry) == [("1209", D("0"), D("30000")), ("5203", D("30000"), D("0"))]
    # Five days late on 20/02: DPK, 3 % net of the collateral (6.000.000 SHM covers it all).
    close_days(coop, dt.date(2026, 2, 20))
    dpk = QualitySnapshot.objects.get(
        cooperative=coop, business_date=dt.date(2026, 2, 20), collectibility=2
    )
    assert (dpk.loans, dpk.allowance) == (1, D("0"))
    assert Account.objects.get(cooperative=coop, code="1209").balance == 0
    check_books(coop)


# ---------------------------------------------------------------- the business date


def test_work_after_the_close_is_dated_the_next_day(coop, teller, funded_sukarela):
    start_closing_after(coop, TODAY - dt.timedelta(days=1))
    close_days(coop, TODAY)
    txn = savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="10000",
        idempotency_key="after-close",
    )
    assert txn.business_date == TODAY + dt.timedelta(days=1)


def test_posting_into_a_closed_day_is_refused(coop, teller, funded_sukarela):
    start_closing_after(coop, TODAY - dt.timedelta(days=1))
    close_days(coop, TODAY)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as caught:
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount="10000",
            idempotency_key="into-closed",
            business_date=TODAY,
        )
    assert caught.value.code == "day_closed"
    assert books_snapshot(coop) == before


def test_a_day_that_has_not_begun_cannot_be_closed(coop):
    with pytest.raises(ServiceError) as caught:
        close_days(coop, TODAY + dt.timedelta(days=1))
    assert (caught.value.code, caught.value.field) == ("future_day", "to")
    assert not CloseRun.objects.exists()
    coop.refresh_from_db()
    assert coop.days_closed_through is None


def test_closing_again_changes_nothing(coop, pp_loan):
    close_days(coop, dt.date(2026, 1, 31))
    before = (books_snapshot(coop), CloseStep.objects.count(), LoanAccrual.objects.count())
    run = close_days(coop, dt.date(2026, 1, 31))
    assert run.status == CloseRun.Status.DONE
    assert (books_snapshot(coop), CloseStep.objects.count(), LoanAccrual.objects.count()) == before


def test_missed_days_are_caught_up_in_order(coop, pp_loan):
    close_days(coop, dt.date(2026, 1, 20))
    coop.refresh_from_db()
    assert coop.days_closed_through == dt.date(2026, 1, 20)
    days = sorted(
        set(CloseStep.objects.filter(step="loan_accrual").values_list("business_date", flat=True))
    )
    assert days == [dt.date(2026, 1, d) for d in range(16, 21)]
    assert LoanAccrual.objects.filter(loan=pp_loan).count() == 5


def test_one_cooperative_does_not_touch_another(coop, other_coop, pp_loan):
    other_people = staff(other_coop, suffix="x")
    other_loan = make_loan(other_coop, other_people)
    before = books_snapshot(other_coop)["accounts"]
    close_days(coop, dt.date(2026, 1, 31))
    assert books_snapshot(other_coop)["accounts"] == before
    assert not LoanAccrual.objects.filter(loan=other_loan).exists()


# ---------------------------------------------------------------- savings at day-end


def test_end_of_day_balances_of_accounts_that_moved(coop, teller, member):
    from koperasi.savings.models import SavingsDayBalance

    account = sukarela_account(coop, member, teller)
    start_closing_after(coop, dt.date(2026, 3, 31))
    for day, amount in ((1, "100000"), (1, "50000"), (3, "25000")):
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount=amount,
            idempotency_key=f"dep-{day}-{amount}",
            business_date=dt.date(2026, 4, day),
        )
    close_days(coop, dt.date(2026, 4, 3))
    assert list(
        SavingsDayBalance.objects.filter(account=account).values_list("business_date", "balance")
    ) == [(dt.date(2026, 4, 1), D("150000")), (dt.date(2026, 4, 3), D("175000"))]


def test_matured_time_deposits(coop, teller, member):
    from koperasi.savings.models import SavingsAccount

    start_closing_after(coop, dt.date(2026, 1, 9))
    product = coop.savingsproduct_set.get(kind="berjangka")
    paid_out = savings.open_account(cooperative=coop, actor=teller, member=member, product=product)
    SavingsAccount.objects.filter(pk=paid_out.pk).update(on_maturity="sukarela")
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=paid_out.pk,
        amount="5000000",
        idempotency_key="bj",
        business_date=dt.date(2026, 1, 10),
    )
    SavingsAccount.objects.filter(pk=paid_out.pk).update(maturity_date=dt.date(2026, 1, 12))
    close_days(coop, dt.date(2026, 1, 12))
    paid_out.refresh_from_db()
    assert paid_out.balance == 0
    into = SavingsTransaction.objects.get(account__member=member, kind="transfer_in")
    assert (into.amount, into.business_date) == (D("5000000"), dt.date(2026, 1, 12))
    check_books(coop)


def test_a_misconfigured_product_stops_the_step_naming_the_loan(coop, pp_loan):
    from koperasi.loans.models import LoanProduct

    LoanProduct.objects.filter(pk=pp_loan.product_id).update(penalty_rate=D("-1"))
    with pytest.raises(ServiceError) as caught:
        close_days(coop, dt.date(2026, 2, 20))
    assert caught.value.code == "product_misconfigured"
    assert pp_loan.number in caught.value.message and "PP" in caught.value.message
    run = CloseRun.objects.get(cooperative=coop)
    failed = CloseStep.objects.get(cooperative=coop, status="failed")
    assert run.status == "failed" and pp_loan.number in run.error
    assert (failed.step, failed.business_date) == ("loan_arrears", dt.date(2026, 2, 16))
    check_books(coop)  # the failed batch left nothing behind
    # Fixed, the next run resumes at the failed day and finishes.
    LoanProduct.objects.filter(pk=pp_loan.product_id).update(penalty_rate=D("2"))
    assert close_days(coop, dt.date(2026, 2, 20)).status == "done"
    coop.refresh_from_db()
    assert coop.days_closed_through == dt.date(2026, 2, 20)
    check_books(coop)
