"""Many accounts credited at once (`savings.services.credit_accounts`, the SHU's payment): one
balanced entry, a movement per account, the balances moved; refused whole, nothing changed, for
an amount finer than the sen, an account that is not open, or another cooperative's account."""

from decimal import Decimal

import pytest

from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from tests.conftest import books_snapshot, make_coop, make_member, sukarela_account


def _credit(coop, credits, key="bulk"):
    return savings.credit_accounts(
        cooperative=coop,
        actor=None,
        credits=credits,
        from_account=ledger.account_by_role(coop, "shu_payable"),
        kind=SavingsTransaction.Kind.SHU,
        memo="SHU",
        note="SHU",
        source="test",
        source_ref="",
        idempotency_key=key,
    )


def test_each_account_gets_its_amount_in_one_entry(coop, teller):
    accounts = [sukarela_account(coop, make_member(coop, teller)) for _ in range(3)]
    entry = _credit(coop, [(a.pk, Decimal(f"{1000 * (n + 1)}.50")) for n, a in enumerate(accounts)])
    for n, account in enumerate(accounts):
        account.refresh_from_db()
        assert account.balance == Decimal(f"{1000 * (n + 1)}.50")
        move = SavingsTransaction.objects.get(account=account, journal_entry=entry)
        assert (move.kind, move.amount, move.balance_after) == (
            "shu",
            account.balance,
            account.balance,
        )
    debit = sum(p.debit for p in entry.postings.all())
    assert debit == sum(p.credit for p in entry.postings.all()) == Decimal("6001.50")


@pytest.mark.parametrize("case", ["finer_than_sen", "closed", "other_cooperative"])
def test_a_bad_credit_is_refused_whole(coop, teller, case):
    good = sukarela_account(coop, make_member(coop, teller))
    other = sukarela_account(coop, make_member(coop, teller))
    amount = Decimal("1000")
    if case == "finer_than_sen":
        amount = Decimal("1000.005")
    elif case == "closed":
        SavingsAccount.objects.filter(pk=other.pk).update(status=SavingsAccount.Status.CLOSED)
    else:
        stranger = make_coop(code="lain", name="KSP Lain")
        other = sukarela_account(stranger, make_member(stranger))
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as refused:
        _credit(coop, [(good.pk, Decimal("500")), (other.pk, amount)])
    assert refused.value.code in ("too_precise", "account_closed")
    assert refused.value.status == 400
    assert books_snapshot(coop) == before
