"""PostgreSQL keeps a movement in its account's cooperative and a wajib bill in its member's:
one composite foreign key each (savings migration 0005)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from koperasi.savings.models import SavingsTransaction, WajibBill
from tests.conftest import make_member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL constraint"),
    pytest.mark.django_db,
]


def _checked_now(create):
    """Create a row and check the deferred constraints at once (as the COMMIT would)."""
    with transaction.atomic():
        row = create()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return row


def _movement_of(account, cooperative):
    pokok = SavingsTransaction.objects.filter(account=account).first()
    return SavingsTransaction.objects.create(
        cooperative=cooperative,
        account=account,
        kind="deposit",
        amount=0,
        balance_after=account.balance,
        business_date=dt.date(2026, 1, 1),
        journal_entry=pokok.journal_entry,
        idempotency_key="tenant-test",
    )


def test_a_movement_must_be_in_its_accounts_cooperative(coop, other_coop, teller):
    member = make_member(coop, teller)
    account = member.savings_accounts.get(product__kind="pokok")
    with pytest.raises(IntegrityError):
        _checked_now(lambda: _movement_of(account, other_coop))
    assert _checked_now(lambda: _movement_of(account, coop)).pk


def test_a_wajib_bill_must_be_in_its_members_cooperative(coop, other_coop, teller):
    member = make_member(coop, teller)

    def bill(cooperative):
        return WajibBill.objects.create(
            cooperative=cooperative, member=member, period=dt.date(2026, 2, 1), amount=50000
        )

    with pytest.raises(IntegrityError):
        _checked_now(lambda: bill(other_coop))
    assert _checked_now(lambda: bill(coop)).pk
