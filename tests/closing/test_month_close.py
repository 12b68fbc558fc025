"""Month-end close: savings interest by method with the final tax, wajib bills, month lock."""

import datetime as dt

import pytest

from koperasi.errors import ServiceError
from koperasi.ledger.models import Account, JournalEntry
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction, WajibBill
from koperasi.savings.services.close_steps import withholding_list
from koperasi.tenancy.models import Cooperative
from tests.closing.conftest import D, close_days, close_month, start_closing_after
from tests.conftest import books_snapshot, make_member, sukarela_account
from tests.loans.conftest import check_books

pytestmark = pytest.mark.django_db

JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


def lines(entry):
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


@pytest.fixture
def january(coop):
    """Days closed through 31/12/2025 and December locked: January is the month to close."""
    Cooperative.objects.filter(pk=coop.pk).update(books_closed_through=dt.date(2025, 12, 31))
    start_closing_after(coop, dt.date(2025, 12, 31))
    return coop


def deposit(coop, teller, account, amount, day, key):
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=amount,
        idempotency_key=key,
        business_date=day,
    )


def interest_of(account):
    return SavingsTransaction.objects.get(account=account, kind="interest").amount


def test_daily_balance_interest_with_a_deposit_in_the_month(january, teller, member):
    coop = january
    account = sukarela_account(coop, member, teller)  # SS: harian, 3 % a year, actual/365
    deposit(coop, teller, account, "1000000", dt.date(2026, 1, 1), "a")
    deposit(coop, teller, account, "500000", dt.date(2026, 1, 10), "b")
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    # Σ daily balances = 1.000.000 × 9 + 1.500.000 × 22 = 42.000.000; × 3 % / 365 = 3.452,05.
    assert interest_of(account) == D("3452.05")
    txn = SavingsTransaction.objects.get(account=account, kind="interest")
    assert txn.business_date == JAN[1]
    assert lines(txn.journal_entry) == [
        ("2101", D("0"), D("3452.05")),
        ("5101", D("3452.05"), D("0")),
    ]
    assert not SavingsTransaction.objects.filter(account=account, kind="tax").exists()
    coop.refresh_from_db()
    assert coop.books_closed_through == JAN[1]
    check_books(coop)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # Balances: 1.000.000 on days 1–9, 400.000 on days 10–19, 1.400.000 on days 20–31.
        # Lowest 400.000 × 3 % × 31/365 = 1.019,18.
        ("terendah", D("1019.18")),
        # Σ = 9.000.000 + 4.000.000 + 16.800.000 = 29.800.000 × 3 % / 365 = 2.449,32.
        ("harian", D("2449.32")),
        # Average 29.800.000 / 31 = 961.290,32 (to the sen) × 3 % × 31/365 = 2.449,32.
        ("rata_rata", D("2449.32")),
    ],
)
def test_each_interest_method(january, teller, member, method, expected):
    coop = january
    SavingsProduct.objects.filter(cooperative=coop, kind="sukarela").update(interest_method=method)
    account = sukarela_account(coop, member, teller)
    deposit(coop, teller, account, "1000000", dt.date(2026, 1, 1), "a")
    savings.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount="600000",
        idempotency_key="w",
        business_date=dt.date(2026, 1, 10),
    )
    deposit(coop, teller, account, "1000000", dt.date(2026, 1, 20), "c")
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    assert interest_of(account) == expected
    check_books(coop)


def _two_products_of_150_000_each(coop, teller, member):
    """Two sukarela products at 12 % a year, lowest balance, 30/360: a constant 15.000.000
    earns 15.000.000 × 12 % × 30/360 = 150.000 in each account."""
    SavingsProduct.objects.filter(cooperative=coop, kind="sukarela").update(
        annual_rate=D("12"), interest_method="terendah", day_count="30/360"
    )
    first = SavingsProduct.objects.get(cooperative=coop, kind="sukarela")
    second = SavingsProduct.objects.create(
        cooperative=coop,
        code="SS2",
        name="Sukarela Kedua",
        kind="sukarela",
        annual_rate=D("12"),
        interest_method="terendah",
        day_count="30/360",
        accounting_class="liability",
        gl_account=first.gl_account,
    )
    accounts = []
    for product in (first, second):
        account = savings.open_account(
            cooperative=coop, actor=teller, member=member, product=product
        )
        deposit(coop, teller, account, "15000000", dt.date(2026, 1, 1), f"d{product.pk}")
        accounts.append(account)
    return accounts


def test_tax_threshold_per_member_takes_all_accounts_together(january, teller, member):
    coop = january
    accounts = _two_products_of_150_000_each(coop, teller, member)
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    # 300.000 for the member > 240.000: 10 % of the whole, 15.000 from each account.
    for account in accounts:
        assert interest_of(account) == D("150000")
        tax = SavingsTransaction.objects.get(account=account, kind="tax")
        assert tax.amount == D("-15000")
    entry = JournalEntry.objects.get(cooperative=coop, memo__startswith="Jasa simpanan")
    assert lines(entry) == [
        ("2101", D("0"), D("270000")),
        ("2104", D("0"), D("30000")),
        ("5101", D("300000"), D("0")),
    ]
    assert withholding_list(cooperative=coop, year=2026, month=1) == [
        {
            "number": member.number,
            "name": member.name,
            "nik": member.nik,
            "gross": D("300000"),
            "tax": D("30000"),
        }
    ]
    check_books(coop)


def test_tax_threshold_per_account(january, teller, member):
    coop = january
    Cooperative.objects.filter(pk=coop.pk).update(interest_tax_per_account=True)
    coop.refresh_from_db()
    _two_products_of_150_000_each(coop, teller, member)
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    assert not SavingsTransaction.objects.filter(kind="tax").exists()
    # The slip is due even at 0 %.
    assert withholding_list(cooperative=coop, year=2026, month=1)[0]["tax"] == 0
    check_books(coop)


def test_wajib_bills_for_the_next_month(january, teller):
    coop = january
    active = make_member(coop, teller)
    applicant = make_member(coop, teller, active=False)
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    bills = WajibBill.objects.filter(cooperative=coop, period=dt.date(2026, 2, 1))
    assert list(bills.values_list("member_id", "amount")) == [(active.pk, coop.wajib_amount)]
    assert not bills.filter(member=applicant).exists()


def test_a_month_with_open_days_is_refused(january):
    coop = january
    close_days(coop, dt.date(2026, 1, 30))
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as caught:
        close_month(coop, 2026, 1)
    assert (caught.value.code, caught.value.field) == ("days_open", "month")
    assert books_snapshot(coop) == before
    coop.refresh_from_db()
    assert coop.books_closed_through == dt.date(2025, 12, 31)


def test_closing_a_month_twice_is_refused_and_changes_nothing(january, teller, member):
    coop = january
    account = sukarela_account(coop, member, teller)
    deposit(coop, teller, account, "1000000", dt.date(2026, 1, 1), "a")
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as caught:
        close_month(coop, 2026, 1)
    assert caught.value.code == "already_closed"
    assert books_snapshot(coop) == before
    assert SavingsAccount.objects.get(pk=account.pk).balance == D("1000000") + interest_of(account)


def test_after_the_month_lock_postings_into_it_are_refused(january, teller, member):
    coop = january
    account = sukarela_account(coop, member, teller)
    close_days(coop, JAN[1])
    close_month(coop, 2026, 1)
    with pytest.raises(ServiceError) as caught:
        deposit(coop, teller, account, "1000", dt.date(2026, 1, 31), "late")
    assert caught.value.code == "period_closed"
    assert Account.objects.get(cooperative=coop, code="2101").balance == 0


def test_a_month_the_day_end_did_not_cover_is_refused(coop):
    # The close history starts in the middle of January: January's interest cannot be known.
    start_closing_after(coop, dt.date(2026, 1, 14))
    close_days(coop, JAN[1])
    with pytest.raises(ServiceError) as caught:
        close_month(coop, 2026, 1)
    assert caught.value.code == "days_not_closed_by_close"


def test_the_plain_month_lock_is_refused_once_the_day_end_runs(january):
    from koperasi.ledger import services as ledger

    close_days(january, JAN[1])
    with pytest.raises(ServiceError) as caught:
        ledger.close_month(cooperative=january, actor=None, year=2026, month=1)
    assert caught.value.code == "use_month_end"
    january.refresh_from_db()
    assert january.books_closed_through == dt.date(2025, 12, 31)


def test_an_account_closed_while_the_month_end_runs_fails_the_batch_and_loses_nothing(
    january, teller, member, monkeypatch
):
    """The accounts are read without a lock; one closed between the read and the credit fails
    the batch (nothing written), and the rerun goes on."""
    from koperasi.closing.models import CloseRun
    from koperasi.savings.services import close_steps

    coop = january
    account = sukarela_account(coop, member, teller)
    deposit(coop, teller, account, "1000000", dt.date(2026, 1, 1), "a")
    close_days(coop, JAN[1])
    read = close_steps._interest_accounts

    def read_then_close(*args):
        rows = read(*args)
        # As another transaction would (here it is undone with the failed batch).
        SavingsAccount.objects.filter(pk=account.pk).update(status="closed")
        return rows

    monkeypatch.setattr(close_steps, "_interest_accounts", read_then_close)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as caught:
        close_month(coop, 2026, 1)
    assert caught.value.code == "account_closed"
    run = CloseRun.objects.get(cooperative=coop, kind="month")
    assert run.status == "failed" and str(caught.value.message) in run.error
    assert books_snapshot(coop) == before
    assert not SavingsTransaction.objects.filter(kind="interest").exists()
    monkeypatch.undo()
    assert close_month(coop, 2026, 1).status == "done"
    assert interest_of(account) > 0
    check_books(coop)
