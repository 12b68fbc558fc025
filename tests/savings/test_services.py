import datetime as dt
from decimal import Decimal

import pytest

from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import selectors as ledger_selectors
from koperasi.ledger.models import Account
from koperasi.members.models import Member
from koperasi.membership import services as membership
from koperasi.savings import selectors, services
from koperasi.savings.models import SavingsAccount
from tests.conftest import books_snapshot, make_member, sukarela_account

D = Decimal


def balance(coop, code):
    return Account.objects.get(cooperative=coop, code=code).normal_balance


def assert_books_reconcile(coop):
    assert ledger_selectors.ledger_violations(cooperative=coop) == []
    assert selectors.savings_violations(cooperative=coop) == []


def test_paying_pokok_activates_the_member_and_posts_to_equity(coop, teller):
    member = make_member(coop, teller, active=False)
    assert member.status == Member.Status.APPLICANT
    pokok = SavingsAccount.objects.get(member=member, product__kind="pokok")
    services.deposit(
        cooperative=coop,
        actor=teller,
        account_id=pokok.pk,
        amount="100000",
        idempotency_key="p1",
    )
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert member.joined_on is not None
    assert balance(coop, "3101") == D("100000.00")
    assert balance(coop, "1101") == D("100000.00")
    assert_books_reconcile(coop)


def test_pokok_cannot_exceed_the_cooperative_amount(coop, teller, member):
    pokok = SavingsAccount.objects.get(member=member, product__kind="pokok")
    with pytest.raises(ServiceError) as err:
        services.deposit(
            cooperative=coop, actor=teller, account_id=pokok.pk, amount="1", idempotency_key="x"
        )
    assert err.value.code == "pokok_exceeded"


def test_deposit_and_withdrawal_post_to_cash_and_sukarela(coop, teller, funded_sukarela):
    txn = services.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="125000.50",
        idempotency_key="w1",
    )
    assert txn.amount == D("-125000.50")
    assert txn.balance_after == D("374999.50")
    assert balance(coop, "2101") == D("374999.50")
    lines = {(p.account.code, p.debit, p.credit) for p in txn.journal_entry.postings.all()}
    assert lines == {("2101", D("125000.50"), D("0")), ("1101", D("0"), D("125000.50"))}
    assert_books_reconcile(coop)


def test_repeating_a_key_posts_nothing(coop, teller, funded_sukarela):
    before = books_snapshot(coop)
    again = services.deposit(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="500000",
        idempotency_key="fund-1",
    )
    assert again.amount == D("500000.00")
    assert books_snapshot(coop) == before


@pytest.mark.parametrize(
    "amount,code",
    [
        ("0", "not_positive"),
        ("-5", "not_positive"),
        ("10.001", "too_precise"),
        ("abc", "invalid"),
        ("", "required"),
        ("500000.01", "insufficient_balance"),
    ],
)
def test_bad_withdrawals_change_nothing(coop, teller, funded_sukarela, amount, code):
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        services.withdraw(
            cooperative=coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount=amount,
            idempotency_key="bad",
        )
    assert err.value.code == code
    assert books_snapshot(coop) == before


def test_float_amounts_are_refused(coop, teller, funded_sukarela):
    with pytest.raises(ServiceError) as err:
        services.deposit(
            cooperative=coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount=0.1,
            idempotency_key="f",
        )
    assert err.value.code == "invalid"


@pytest.mark.parametrize("kind", ["pokok", "wajib"])
def test_pokok_and_wajib_are_locked_while_a_member(coop, teller, member, kind):
    account = SavingsAccount.objects.get(member=member, product__kind=kind)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        services.withdraw(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount="1",
            idempotency_key="locked",
        )
    assert err.value.code == "savings_locked"
    assert books_snapshot(coop) == before


def test_applicant_cannot_save_sukarela(coop, teller):
    applicant = make_member(coop, teller, active=False)
    account = sukarela_account(coop, applicant, teller)
    with pytest.raises(ServiceError) as err:
        services.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount="1000",
            idempotency_key="a",
        )
    assert err.value.code == "member_inactive"


def test_account_of_another_cooperative_is_not_found(coop, other_coop, teller, funded_sukarela):
    before = books_snapshot()
    with pytest.raises(NotFound):
        services.deposit(
            cooperative=other_coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount="1000",
            idempotency_key="x",
        )
    assert books_snapshot() == before


def test_closed_period_refuses_a_backdated_deposit(coop, teller, funded_sukarela):
    from koperasi.ledger import services as ledger

    ledger.close_month(cooperative=coop, actor=None, year=2025, month=1)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        services.deposit(
            cooperative=coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount="1000",
            idempotency_key="old",
            business_date=dt.date(2025, 1, 15),
        )
    assert err.value.code == "period_closed"
    assert books_snapshot(coop) == before


def test_transfer_between_own_accounts(coop, teller, member, funded_sukarela):
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    out, into = services.transfer(
        cooperative=coop,
        actor=teller,
        from_account_id=funded_sukarela.pk,
        to_account_id=wajib.pk,
        amount="50000",
        idempotency_key="t1",
    )
    assert out.balance_after == D("450000.00")
    assert into.balance_after == D("50000.00")
    assert balance(coop, "3102") == D("50000.00")
    assert balance(coop, "2101") == D("450000.00")
    assert_books_reconcile(coop)


def test_transfer_to_another_members_account_is_refused(coop, teller, funded_sukarela):
    other = make_member(coop, teller)
    wajib = SavingsAccount.objects.get(member=other, product__kind="wajib")
    with pytest.raises(ServiceError) as err:
        services.transfer(
            cooperative=coop,
            actor=teller,
            from_account_id=funded_sukarela.pk,
            to_account_id=wajib.pk,
            amount="1000",
            idempotency_key="t",
        )
    assert err.value.code == "different_member"


def test_reversal_of_a_wrong_deposit(coop, teller, funded_sukarela):
    txn = services.deposit(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="70000",
        idempotency_key="oops",
    )
    services.reverse_transaction(
        cooperative=coop,
        actor=teller,
        transaction_id=txn.pk,
        reason="salah rekening",
        idempotency_key="oops-rev",
    )
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("500000.00")
    assert_books_reconcile(coop)
    with pytest.raises(ServiceError) as err:
        services.reverse_transaction(
            cooperative=coop,
            actor=teller,
            transaction_id=txn.pk,
            reason="lagi",
            idempotency_key="oops-rev-2",
        )
    assert err.value.code == "already_reversed"


def test_statement_running_balance_and_date_filter(coop, teller, funded_sukarela):
    day = dt.date.today()
    services.withdraw(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount="100000",
        idempotency_key="s1",
    )
    opening, rows = selectors.statement(
        cooperative=coop, account=funded_sukarela, date_from=day - dt.timedelta(days=1)
    )
    assert opening == D("0")
    assert [r.balance_after for r in rows] == [D("500000.00"), D("400000.00")]


def test_wajib_arrears(coop, teller):
    member = make_member(coop, teller)
    member.joined_on = dt.date(2026, 1, 10)
    member.save()
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    services.deposit(
        cooperative=coop,
        actor=teller,
        account_id=wajib.pk,
        amount="150000",
        idempotency_key="w",
    )
    arrears = selectors.wajib_arrears(cooperative=coop, member=member, as_of=dt.date(2026, 6, 30))
    assert arrears.months_due == 6
    assert arrears.amount_due == D("300000.00")
    assert arrears.arrears == D("150000.00")


def test_exit_refunds_every_balance_and_closes_accounts(coop, teller, member, funded_sukarela):
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    services.deposit(
        cooperative=coop,
        actor=teller,
        account_id=wajib.pk,
        amount="50000",
        idempotency_key="w",
    )
    cash_before = balance(coop, "1101")
    membership.exit_member(
        cooperative=coop,
        actor=teller,
        member=member,
        status="resigned",
        reason="pindah",
        idempotency_key="exit",
    )
    member.refresh_from_db()
    assert member.status == "resigned"
    assert balance(coop, "1101") == cash_before - D("650000.00")
    assert not SavingsAccount.objects.filter(member=member, status="open").exists()
    assert SavingsAccount.objects.filter(member=member, balance__gt=0).count() == 0
    assert_books_reconcile(coop)
    with pytest.raises(ServiceError) as err:
        services.deposit(
            cooperative=coop,
            actor=teller,
            account_id=funded_sukarela.pk,
            amount="1",
            idempotency_key="after",
        )
    assert err.value.code == "account_closed"


def test_rate_above_cap_is_refused(coop):
    with pytest.raises(ServiceError) as err:
        services.create_product(
            cooperative=coop,
            actor=None,
            code="SX",
            name="X",
            kind="sukarela",
            annual_rate=D("9.5"),
        )
    assert err.value.code == "rate_above_cap"
