"""Paying the distributed SHU: into the members' sukarela savings at once, or one share in
cash at the teller; each share once, the books balanced, a refusal changes nothing; and a
distributed (approved) SHU never changes afterwards."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from koperasi.errors import KeyReused, NotFound, ServiceError
from koperasi.ledger.models import Account
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsTransaction
from koperasi.shu import figures, services
from koperasi.shu.models import ShuDistribution, ShuShare
from tests.conftest import books_snapshot

D = Decimal


def _distribute(coop, year, admin, key="rat", **kwargs):
    if figures.closed_year(coop, year).surplus <= 0:
        pytest.skip("the demo's year made no surplus")
    return services.distribute(
        cooperative=coop,
        actor=admin,
        year=year,
        approved_on=dt.date(year + 1, 3, 15),
        approval_reference="Keputusan RAT No. 3",
        idempotency_key=key,
        **kwargs,
    )


def _payable(coop) -> D:
    return -Account.objects.get(cooperative=coop, system_role="shu_payable").balance


def _sukarela_balances(coop) -> dict[int, D]:
    return dict(
        SavingsAccount.objects.filter(
            cooperative=coop, product__kind=SavingsKind.SUKARELA
        ).values_list("member_id", "balance")
    )


def test_shares_paid_into_savings_at_the_distribution(closed):
    coop, year, admin = closed
    before = _sukarela_balances(coop)
    done = _distribute(coop, year, admin, pay_into_savings=True)
    shares = list(ShuShare.objects.filter(distribution=done))
    paid = [s for s in shares if s.paid_on]
    assert paid and all(s.paid_via == ShuShare.PaidVia.SAVINGS for s in paid)
    after = _sukarela_balances(coop)
    for share in paid:
        assert after[share.member_id] - before[share.member_id] == share.total
    moves = SavingsTransaction.objects.filter(cooperative=coop, kind=SavingsTransaction.Kind.SHU)
    assert moves.count() == len(paid)
    assert {m.amount for m in moves} <= {s.total for s in paid}
    # What is still owed is exactly the unpaid shares.
    assert _payable(coop) == sum((s.total for s in shares if not s.paid_on), D(0))
    snapshot = books_snapshot(coop)
    again = _distribute(coop, year, admin, pay_into_savings=True)
    assert again == done and books_snapshot(coop) == snapshot  # a retry pays nothing twice
    call_command("books_check", coop=coop.code)


def test_payable_shares_paid_later_in_cash_or_into_savings(closed):
    coop, year, admin = closed
    done = _distribute(coop, year, admin)
    shares = list(ShuShare.objects.filter(distribution=done).order_by("member_id"))
    assert shares and not any(s.paid_on for s in shares)
    assert _payable(coop) == done.members_total
    first = shares[0]
    paid = services.pay_in_cash(
        cooperative=coop, actor=admin, year=year, member_id=first.member_id, idempotency_key="c1"
    )
    assert (paid.paid_via, paid.total) == (ShuShare.PaidVia.CASH, first.total)
    assert paid.payment_entry.postings.get(debit__gt=0).account.system_role == "shu_payable"
    snapshot = books_snapshot(coop)
    retry = services.pay_in_cash(
        cooperative=coop, actor=admin, year=year, member_id=first.member_id, idempotency_key="c1"
    )
    assert retry.pk == paid.pk and books_snapshot(coop) == snapshot
    with pytest.raises(ServiceError) as twice:
        services.pay_in_cash(
            cooperative=coop,
            actor=admin,
            year=year,
            member_id=first.member_id,
            idempotency_key="c2",
        )
    assert (twice.value.code, twice.value.status) == ("shu_share_paid", 409)
    assert books_snapshot(coop) == snapshot

    count = services.pay_into_savings(cooperative=coop, actor=admin, year=year, idempotency_key="s")
    with_sukarela = set(savings_members(coop))
    expected = [s for s in shares[1:] if s.member_id in with_sukarela]
    assert count == len(expected)
    paid_first = ShuShare.objects.get(pk=first.pk)
    assert paid_first.paid_via == ShuShare.PaidVia.CASH  # not paid a second time
    snapshot = books_snapshot(coop)
    assert (
        services.pay_into_savings(cooperative=coop, actor=admin, year=year, idempotency_key="s")
        == count
    )
    with pytest.raises(ServiceError) as nothing:
        services.pay_into_savings(cooperative=coop, actor=admin, year=year, idempotency_key="s2")
    assert (nothing.value.code, nothing.value.status) == ("shu_nothing_to_pay", 409)
    assert books_snapshot(coop) == snapshot
    assert _payable(coop) == sum(
        (s.total for s in ShuShare.objects.filter(distribution=done, paid_on__isnull=True)),
        D(0),
    )
    call_command("books_check", coop=coop.code)


def savings_members(coop):
    return SavingsAccount.objects.filter(
        cooperative=coop,
        product__kind=SavingsKind.SUKARELA,
        status=SavingsAccount.Status.OPEN,
        member__status=Member.Status.ACTIVE,
    ).values_list("member_id", flat=True)


def test_a_cash_payment_key_is_one_request_of_one_operation(closed):
    coop, year, admin = closed
    done = _distribute(coop, year, admin)
    share = ShuShare.objects.filter(distribution=done).order_by("member_id").first()
    account = SavingsAccount.objects.filter(
        cooperative=coop, member_id=share.member_id, product__kind=SavingsKind.SUKARELA
    ).first()
    savings.deposit(
        cooperative=coop, actor=admin, account_id=account.pk, amount="10000", idempotency_key="k"
    )
    snapshot = books_snapshot(coop)
    with pytest.raises(KeyReused):  # the deposit's key, asked for an SHU payment
        services.pay_in_cash(
            cooperative=coop, actor=admin, year=year, member_id=share.member_id, idempotency_key="k"
        )
    assert books_snapshot(coop) == snapshot
    assert ShuShare.objects.get(pk=share.pk).paid_on is None
    with pytest.raises(NotFound):
        services.pay_in_cash(
            cooperative=coop, actor=admin, year=year, member_id=10**9, idempotency_key="k3"
        )
    with pytest.raises(ServiceError) as not_yet:
        services.pay_in_cash(
            cooperative=coop,
            actor=admin,
            year=year + 1,
            member_id=share.member_id,
            idempotency_key="k4",
        )
    assert not_yet.value.status == 404
    assert books_snapshot(coop) == snapshot
    services.pay_in_cash(
        cooperative=coop, actor=admin, year=year, member_id=share.member_id, idempotency_key="k5"
    )
    with pytest.raises(KeyReused):  # and the SHU payment's key, asked for a deposit
        savings.deposit(
            cooperative=coop,
            actor=admin,
            account_id=account.pk,
            amount="10000",
            idempotency_key="k5",
        )


def test_an_approved_shu_does_not_change(closed, client):
    """Once distributed, the year's SHU, its shares and each member's working stay as the RAT
    approved them: new rules apply to later years only, and a second distribution or close is
    refused with nothing changed."""
    coop, year, admin = closed
    done = _distribute(coop, year, admin)
    shares = sorted(ShuShare.objects.filter(distribution=done).values_list("member_id", "total"))
    member = Member.objects.get(pk=shares[0][0])
    mine = next(i for i in figures.my_shu(cooperative=coop, member=member) if i.year.year == year)
    assert mine.total == shares[0][1] and mine.share.total == shares[0][1]
    services.update_settings(
        cooperative=coop,
        actor=admin,
        allocation={"cadangan": "10", "jasa_modal": "80", "jasa_usaha": "10"},
        savings_kinds=["pokok", "wajib", "sukarela"],
        transaction_weights={"loan_interest": "1", "loan_principal": "1"},
        rounding="0.01",
        savings_basis="average",
    )
    sim = figures.simulate(cooperative=coop, year=year)
    assert sorted((int(s.id), s.total) for s in sim.result.members if s.total) == shares
    again = next(i for i in figures.my_shu(cooperative=coop, member=member) if i.year.year == year)
    assert again.total == mine.total and not again.average
    snapshot = books_snapshot(coop)
    with pytest.raises(ServiceError) as reclose:
        services.close_year(cooperative=coop, actor=admin, year=year)
    assert reclose.value.status in (400, 409)
    with pytest.raises(ServiceError) as twice:
        _distribute(coop, year, admin, key="another")
    assert twice.value.code == "shu_distributed"
    assert books_snapshot(coop) == snapshot and ShuDistribution.objects.count() == 1
    assert (
        sorted(ShuShare.objects.filter(distribution=done).values_list("member_id", "total"))
        == shares
    )


def test_the_average_basis_counts_month_end_balances(closed):
    """A deposit made in December counts once of twelve month ends, one made before the year
    in all twelve: the figure is the sum of the twelve month-end balances."""
    coop, year, admin = closed
    settings = figures.settings_of(coop)
    year_end = figures.member_figures(coop, year, settings)
    settings.savings_basis = "average"
    average = {f.id: f.savings for f in figures.member_figures(coop, year, settings)}
    kinds = settings.savings_kinds or list(figures.DEFAULT_KINDS)
    member_id = int(year_end[0].id)
    rows = SavingsTransaction.objects.filter(
        account__member_id=member_id,
        account__product__kind__in=kinds,
        business_date__lte=dt.date(year, 12, 31),
    ).values_list("business_date", "amount")
    expected = sum(
        (amount * (12 if on.year < year else 13 - on.month) for on, amount in rows), D(0)
    )
    assert average[str(member_id)] == expected
    assert {f.id for f in year_end} == set(average)
