"""Two requests with one idempotency key, at the same moment: one entry, both get it."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from koperasi.ledger import services
from koperasi.ledger.models import JournalEntry
from koperasi.ledger.selectors import ledger_violations
from tests.conftest import make_coop

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions"
)


@pytest.mark.django_db(transaction=True)
def test_racing_manual_entries_with_one_key_post_once():
    coop = make_coop(code="race")
    barrier = threading.Barrier(6)
    results = []

    def post() -> None:
        try:
            barrier.wait()
            entry = services.post_manual_entry(
                cooperative=coop,
                actor=None,
                lines=[
                    ("5202", Decimal("75000"), Decimal("0")),
                    ("1101", Decimal("0"), Decimal("75000")),
                ],
                memo="Beli ATK",
                idempotency_key="double-click",
            )
            results.append(entry.pk)
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1, results
    assert JournalEntry.objects.filter(cooperative=coop).count() == 1
    assert ledger_violations(cooperative=coop) == []
