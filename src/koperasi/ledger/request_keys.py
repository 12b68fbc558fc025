"""One key space for the requests the savings and loan sub-ledgers post.

A request's idempotency key names one request of one operation in a cooperative. Each
sub-ledger answers a retry from its own rows (a savings movement, a loan movement) and compares
what they record with what is asked (the operation, account or loan, amount, note), refusing
anything else with KeyReused (409). What one sub-ledger cannot see is the other's rows: they
meet here, in the journal entry key. Both post a request's entry under `request:<key>`
(`request_entry_key`), so the unique index on (cooperative, entry key) lets one request have it:
two different requests sent at the same moment with one key, one to savings and one to loans,
are serialised by the index, and the second finds the first's entry and is refused (`post_entry`
with `replay=False`; in the one-statement functions `ledger_write_entry` sends it the ordinary
way, which refuses it).

Entries written before that used `savings:<key>` and `loan:<key>`; `other_request_keys` names
them, so a key used then is still refused (`post_entry` looks them up with the request's own
key; the one-statement postings run only `WHERE_KEY_FREE`).
"""

from typing import Any

from koperasi.errors import KeyReused
from koperasi.ledger.models import JournalEntry
from koperasi.tenancy.models import Cooperative

REQUEST_PREFIX = "request:"
# `request_entry_key` as a %-template, for code that hands the rule on (the SQL functions).
REQUEST_ENTRY_KEY = REQUEST_PREFIX + "%s"
LEGACY_SPACES = ("savings", "loan")


def request_entry_key(key: str) -> str:
    """The journal entry key of the request with idempotency key `key`, in either sub-ledger."""
    return REQUEST_PREFIX + key


def other_request_keys(entry_key: str) -> list[str]:
    """The keys under which the sub-ledgers posted the request of `entry_key` before they
    shared one (none for a key outside the request space, such as the close's)."""
    if not entry_key.startswith(REQUEST_PREFIX):
        return []
    key = entry_key.removeprefix(REQUEST_PREFIX)
    return [f"{space}:{key}" for space in LEGACY_SPACES]


# The condition a one-statement posting (`SELECT … FROM a_function(…)`) runs under, with the
# two parameters `key_free_params(…)`: no entry was posted under the request's key in the
# sub-ledgers' former key spaces. PostgreSQL evaluates it once, before the function (a one-time
# filter), and runs the function only if it holds; otherwise the statement returns no row and
# the ordinary way answers.
# One equality lookup per key, on both columns of the unique index: `idempotency_key = ANY(…)`
# was planned as a scan of the cooperative's every entry with the keys as a filter whenever the
# statistics were older than the entries (seen in benchmarks/loans.py: 3.5 ms a repayment,
# growing with the books).
WHERE_KEY_FREE = (
    " WHERE NOT EXISTS (SELECT 1 FROM unnest(%s::text[]) AS legacy(key)"
    f" JOIN LATERAL (SELECT 1 FROM {JournalEntry._meta.db_table} claimed"
    " WHERE claimed.cooperative_id = %s::bigint AND claimed.idempotency_key = legacy.key"
    " LIMIT 1) AS hit ON true)"
)


def key_free_params(cooperative: Cooperative, entry_key: str) -> list[Any]:
    return [other_request_keys(entry_key), cooperative.pk]


def refuse_used_key(cooperative: Cooperative, entry_key: str) -> None:
    """KeyReused when an entry was posted under the request key of `entry_key` (for a
    request that uses its key without posting, such as a refused write-off)."""
    if entry_under_request_key(cooperative, entry_key) is not None:
        raise KeyReused()


def entry_under_request_key(cooperative: Cooperative, entry_key: str) -> int | None:
    """The id of the entry posted under `entry_key`, or under the same request's key in a
    former key space; None if there is none. One equality lookup per key (see WHERE_KEY_FREE:
    an `IN` list may be planned as a scan of every entry)."""
    entries = JournalEntry.objects.filter(cooperative=cooperative).order_by()
    for key in (entry_key, *other_request_keys(entry_key)):
        found = list(entries.filter(idempotency_key=key).values_list("pk", flat=True)[:1])
        if found:
            return found[0]
    return None
