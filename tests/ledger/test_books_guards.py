"""The books refuse, in the database itself, what no service does (ledger migration 0009):
removing or changing a posting, a journal entry or an audit record, and (PostgreSQL) a journal
entry whose debits and credits differ when its transaction commits, whichever writer wrote it.
Tried through raw SQL, as a mistaken script or a hand at the console would."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from koperasi.audit.models import AuditLog
from koperasi.ledger import services
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.ledger.selectors import ledger_violations
from koperasi.sqlfunctions import wipe_statements

D = Decimal
ON = dt.date(2026, 1, 15)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's"
)


def _account(coop, code):
    return Account.objects.get(cooperative=coop, code=code)


def _posted(coop, key="k1"):
    """A manual entry (Dr cash, Cr other income) with its audit record."""
    return services.post_manual_entry(
        cooperative=coop, actor=None, lines=[("1101", D("1000"), D(0)), ("4301", D(0), D("1000"))],
        memo="Pendapatan lain", idempotency_key=key, business_date=ON,
    )  # fmt: skip


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def _refused(sql, params=()):
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        _raw(sql, params)
    return str(refused.value)


def _raw_entry(coop, key, lines):
    """A journal entry and its postings written by hand, each line its own statement."""
    entry = _raw(
        "INSERT INTO ledger_journalentry (cooperative_id, business_date, source, source_ref,"
        " memo, idempotency_key, created_at) VALUES (%s, %s, 'manual', '', 'tangan', %s, %s)"
        " RETURNING id",
        [coop.pk, ON, key, timezone.now()],
    )[0]
    for code, debit, credit in lines:
        _raw(
            "INSERT INTO ledger_posting (entry_id, cooperative_id, account_id, business_date,"
            " debit, credit) VALUES (%s, %s, %s, %s, %s, %s)",
            [entry, coop.pk, _account(coop, code).pk, ON, D(debit), D(credit)],
        )
    return entry


@pytest.mark.django_db
def test_posted_rows_refuse_delete_and_update(coop):
    entry = _posted(coop)
    posting = entry.postings.first()
    audit = AuditLog.objects.get(action="ledger.post", object_id=str(entry.pk))
    for table, pk in (
        ("ledger_posting", posting.pk),
        ("ledger_journalentry", entry.pk),
        ("audit_auditlog", audit.pk),
    ):
        assert "immutable" in _refused(f"DELETE FROM {table} WHERE id = %s", [pk])
    assert "immutable" in _refused(
        "UPDATE audit_auditlog SET summary = 'x' WHERE id = %s", [audit.pk]
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).delete()
    assert Posting.objects.filter(entry=entry).count() == 2
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert AuditLog.objects.get(pk=audit.pk).summary == "Pendapatan lain"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's wipe of the whole database")
def test_sqlite_lets_only_a_wipe_of_the_whole_database_delete_the_books(coop):
    _posted(coop)
    assert "immutable" in _refused("DELETE FROM ledger_posting")
    with transaction.atomic():
        for sql in wipe_statements(["DELETE FROM ledger_posting", "DELETE FROM audit_auditlog"]):
            _raw(sql)
    assert not Posting.objects.exists() and not AuditLog.objects.exists()
    # The guard is back once the wipe is over.
    _posted(coop, key="k2")
    assert "immutable" in _refused("DELETE FROM ledger_posting")


@pytest.mark.django_db(transaction=True)
def test_the_test_suites_flush_still_empties_the_books(coop):
    """Between transactional tests the database is flushed (TRUNCATE on PostgreSQL, a wipe on
    SQLite): posted rows must not stop it (the next test would find them)."""
    _posted(coop)
    assert Posting.objects.exists()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_leaves_the_balance_to_post_entry_and_the_check(coop):
    """SQLite has no deferred trigger: an unbalanced entry written by hand goes in, and
    `koperasi check` (ledger_violations) names it; post_entry refuses one before writing."""
    entry = _raw_entry(coop, "tangan", [("1101", "100", "0"), ("4301", "0", "50")])
    assert any(f"JU-{entry:07d} is not balanced" in p for p in ledger_violations(cooperative=coop))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_entry_is_refused_at_the_commit(coop):
    entries = JournalEntry.objects.count()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _raw_entry(coop, "tangan", [("1101", "100", "0"), ("4301", "0", "50")])
    assert "does not balance" in str(refused.value)
    assert JournalEntry.objects.count() == entries

    # Lines written one statement at a time balance at the commit: accepted (deferred).
    with transaction.atomic():
        entry = _raw_entry(coop, "seimbang", [("1101", "100", "0"), ("4301", "0", "60"),
                                               ("4301", "0", "40")])  # fmt: skip
    assert Posting.objects.filter(entry_id=entry).count() == 3

    # A line added later to a balanced entry unbalances it: refused at its commit.
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(
            "INSERT INTO ledger_posting (entry_id, cooperative_id, account_id, business_date,"
            " debit, credit) VALUES (%s, %s, %s, %s, 5, 0)",
            [entry, coop.pk, _account(coop, "1101").pk, ON],
        )
    assert Posting.objects.filter(entry_id=entry).count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_sql_writer_is_held_to_the_same_check(coop):
    """ledger_write_entry (the one-statement postings' writer) gets no pass either."""
    cash, income = _account(coop, "1101").pk, _account(coop, "4301").pk
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _raw(
            "SELECT ledger_write_entry(%s, %s, 'manual', '', 'tangan', 'sql', NULL, now(),"
            " %s::bigint[], %s::numeric[], %s::numeric[])",
            [coop.pk, ON, [cash, income], [D("100"), D(0)], [D(0), D("99.99")]],
        )
    assert "does not balance" in str(refused.value)
    assert not JournalEntry.objects.filter(idempotency_key="sql").exists()
