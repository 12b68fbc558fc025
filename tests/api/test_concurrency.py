"""Simultaneous retries with one Idempotency-Key post once (PostgreSQL: real concurrency)."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from koperasi.ledger.selectors import ledger_violations
from koperasi.savings.models import SavingsTransaction
from koperasi.savings.selectors import savings_violations
from koperasi.tenancy.models import Role
from tests.api.conftest import token_for
from tests.conftest import books_snapshot, make_coop, make_member, make_user, sukarela_account

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions"
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_post_once():
    coop = make_coop(code="apiconc")
    teller = make_user("kasir-conc", coop, Role.TELLER)
    account = sukarela_account(coop, make_member(coop, teller), teller)
    token = token_for(teller, coop)
    before = books_snapshot(coop)
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        try:
            barrier.wait()
            response = Client().post(
                f"/api/v1/savings/accounts/{account.pk}/deposits",
                data=json.dumps({"amount": "75000.00"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY="sekali-saja",
            )
            results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [status for status, _ in results] == [201] * 6
    assert all(body == results[0][1] for _, body in results)
    assert SavingsTransaction.objects.filter(account=account).count() == 1
    assert books_snapshot(coop)["entries"] == before["entries"] + 1
    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []
