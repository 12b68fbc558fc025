"""Concurrent withdrawals never overdraw (PostgreSQL row locks; SQLite serialises writers)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from koperasi.errors import ServiceError
from koperasi.ledger.selectors import ledger_violations
from koperasi.savings import services
from koperasi.savings.selectors import savings_violations
from tests.conftest import make_coop, make_member, sukarela_account

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions"
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_cannot_overdraw():
    coop = make_coop(code="conc")
    member = make_member(coop)
    account = sukarela_account(coop, member)
    services.deposit(
        cooperative=coop,
        actor=None,
        account_id=account.pk,
        amount="100000",
        idempotency_key="fund",
    )
    successes, refusals = [], []
    barrier = threading.Barrier(8)

    def withdraw(n: int) -> None:
        try:
            barrier.wait()
            services.withdraw(
                cooperative=coop,
                actor=None,
                account_id=account.pk,
                amount="30000",
                idempotency_key=f"w-{n}",
            )
            successes.append(n)
        except ServiceError as exc:
            refusals.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=withdraw, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    account.refresh_from_db()
    assert len(successes) == 3
    assert refusals == ["insufficient_balance"] * 5
    assert account.balance == Decimal("10000.00")
    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_post_once():
    coop = make_coop(code="conc2")
    member = make_member(coop)
    account = sukarela_account(coop, member)
    barrier = threading.Barrier(6)
    results = []

    def deposit() -> None:
        try:
            barrier.wait()
            results.append(
                services.deposit(
                    cooperative=coop,
                    actor=None,
                    account_id=account.pk,
                    amount="5000",
                    idempotency_key="double-click",
                ).pk
            )
        except Exception as exc:  # noqa: BLE001 - any error is a test failure below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deposit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    account.refresh_from_db()
    assert account.balance == Decimal("5000.00")
    assert len(set(results)) == 1, results
    assert savings_violations(cooperative=coop) == []
