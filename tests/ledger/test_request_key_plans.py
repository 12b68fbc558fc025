"""A request key is looked up by both columns of the journal entry's unique index, however old
the table's statistics: `idempotency_key = ANY(…)` was planned as a scan of the cooperative's
every entry with the keys as a filter (benchmarks/loans.py: repayments fell from 26 % to 9 % of
pgbench c=8 as the books grew)."""

import json

import pytest
from django.db import connection

from koperasi.ledger.request_keys import (
    WHERE_KEY_FREE,
    entry_under_request_key,
    key_free_params,
    request_entry_key,
)
from tests.ledger.test_posting import post


def _scans_of_entries(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "ledger_journalentry" else []
    for child in plan.get("Plans", []):
        found += _scans_of_entries(child)
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL's")
def test_the_one_statement_condition_looks_each_key_up_in_the_unique_index(coop):
    post(coop, key="loan:other")
    with connection.cursor() as cursor:
        # As with statistics older than the entries: the planner counts on an index scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1" + WHERE_KEY_FREE,
            key_free_params(coop, request_entry_key("abc")),
        )
        raw = cursor.fetchone()[0]
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    scans = _scans_of_entries(plan)
    assert scans, plan
    for scan in scans:
        assert "idempotency_key" in scan.get("Index Cond", ""), scan
        assert "idempotency_key" not in scan.get("Filter", ""), scan


def test_an_entry_is_found_under_the_requests_key_or_a_former_one(coop, other_coop):
    assert entry_under_request_key(coop, request_entry_key("k1")) is None
    legacy = post(coop, key="loan:k1")
    post(other_coop, key="request:k2")
    assert entry_under_request_key(coop, request_entry_key("k1")) == legacy.pk
    assert entry_under_request_key(coop, request_entry_key("k2")) is None  # other cooperative
    current = post(coop, key="request:k3")
    assert entry_under_request_key(coop, request_entry_key("k3")) == current.pk
    assert entry_under_request_key(coop, "close:2026-12-01") is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the condition is PostgreSQL SQL")
def test_the_one_statement_condition_sees_a_former_key(coop, other_coop):
    post(coop, key="savings:k1")
    post(other_coop, key="loan:k2")

    def free(key: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1" + WHERE_KEY_FREE, key_free_params(coop, key))
            return cursor.fetchone() is not None

    assert not free(request_entry_key("k1"))
    assert free(request_entry_key("k2"))  # another cooperative's
    assert free(request_entry_key("k3"))
