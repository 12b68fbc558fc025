"""One key space for the requests the savings and loan sub-ledgers post.

A request's idempotency key names one request of one operation in a cooperative. Each
sub-ledger answers a retry from its own rows (a savings movement, a loan movement) and compares
what they record with what is asked (the operation, account or loan, amount, note), refusing
anything else with KeyReused (409). What one sub-ledger cannot see is the other's rows: they
meet here, in the journal entry keys. Savings posts a request under `savings:<key>`, loans
under `loan:<key>`; an entry under either is that request's, so the other sub-ledger refuses
the key (`post_entry` looks up both keys at once; the one-statement postings run only
`WHERE_KEY_FREE`).

Two *different* requests sent at the same moment with one key to the two sub-ledgers can still
both post: their entry keys differ, so no unique index stops the second. Posting both under
one entry key (in `post_entry` and the SQL functions alike) would close that gap.
"""

from typing import Any

from koperasi.errors import KeyReused
from koperasi.ledger.models import JournalEntry
from koperasi.tenancy.models import Cooperative

REQUEST_KEY_SPACES = ("savings", "loan")


def other_request_keys(entry_key: str) -> list[str]:
    """The entry keys under which the other sub-ledgers would post the request of
    `entry_key` (none for a key outside the shared space, such as the close's)."""
    space, sep, key = entry_key.partition(":")
    if not sep or space not in REQUEST_KEY_SPACES:
        return []
    return [f"{other}:{key}" for other in REQUEST_KEY_SPACES if other != space]


# The condition a one-statement posting (`SELECT … FROM a_function(…)`) runs under, with the
# two parameters `key_free_params(…)`: no other sub-ledger has posted under the request's key.
# PostgreSQL evaluates it once, before the function (a one-time filter), and runs the function
# only if it holds; otherwise the statement returns no row and the ordinary way answers.
WHERE_KEY_FREE = (
    f" WHERE NOT EXISTS (SELECT 1 FROM {JournalEntry._meta.db_table} claimed"
    " WHERE claimed.cooperative_id = %s::bigint AND claimed.idempotency_key = ANY(%s::text[]))"
)


def key_free_params(cooperative: Cooperative, entry_key: str) -> list[Any]:
    return [cooperative.pk, other_request_keys(entry_key)]


def refuse_used_key(cooperative: Cooperative, entry_key: str) -> None:
    """KeyReused when an entry was posted under the request key of `entry_key` (for a
    request that uses its key without posting, such as a refused write-off)."""
    keys = [entry_key, *other_request_keys(entry_key)]
    if JournalEntry.objects.filter(cooperative=cooperative, idempotency_key__in=keys).exists():
        raise KeyReused()
