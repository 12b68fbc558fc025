"""The accounts' maintained balances: each posting adds to a slot of its account
(`BalanceSlot`), last in the transaction, in account order."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger.models import BalanceSlot
from koperasi.ledger.services.lines import Line

# SQLite keeps decimals as doubles, exact to 15 significant digits: 13 rupiah digits + 2 sen.
SQLITE_BALANCE_LIMIT = Decimal("10000000000000")


# Balance changes of the entries posted inside `balances_at_end`, applied when it ends:
# (cooperative id, account id) → the signed change.
_pending_balances: ContextVar[dict[tuple[int, int], Decimal] | None] = ContextVar(
    "ledger_pending_balances", default=None
)


@contextmanager
def balances_at_end() -> Iterator[None]:
    """Within one transaction that posts several entries, apply all their balance changes
    together when the block ends, in account order.

    Each entry alone locks its accounts in key order; two transactions each posting two entries
    (a penalty, then a repayment) would lock them in an order no one chose and could deadlock.
    Use it inside `transaction.atomic()`; nested blocks leave the work to the outermost.
    """
    if _pending_balances.get() is not None:
        yield
        return
    pending: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    token = _pending_balances.set(pending)
    try:
        yield
    finally:
        _pending_balances.reset(token)
    _apply_deltas(pending)


def _line_deltas(lines: Sequence[Line]) -> dict[tuple[int, int], Decimal]:
    deltas: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        deltas[(line.account.cooperative_id, line.account.pk)] += line.debit - line.credit
    return deltas


def apply_to_balances(lines: Sequence[Line]) -> None:
    deltas = _line_deltas(lines)
    pending = _pending_balances.get()
    if pending is not None:
        for key, delta in deltas.items():
            pending[key] += delta
        return
    _apply_deltas(deltas)


# PostgreSQL: add to this session's slot of each account, creating it on first use. The rows
# go in account order, so two transactions sharing a slot lock them in the same order.
SLOT_UPSERT = (
    f"INSERT INTO {BalanceSlot._meta.db_table} (cooperative_id, account_id, slot, amount)"
    f" SELECT c, a, mod(pg_backend_pid(), {BalanceSlot.SLOTS}), d"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS t(c, a, d) ORDER BY a"
    " ON CONFLICT (account_id, slot) DO UPDATE"
    f" SET amount = {BalanceSlot._meta.db_table}.amount + EXCLUDED.amount"
)


def _apply_deltas(deltas: dict[tuple[int, int], Decimal]) -> None:
    """Add the changes to the accounts' maintained balances (their slots, see `BalanceSlot`).

    SQLite would add `amount + x` in floating point, so there slot 0 is read under the write
    lock (SQLite serialises writers) and the sum is done in Decimal.
    """
    changed = sorted((key for key, delta in deltas.items() if delta), key=lambda k: k[1])
    if not changed:
        return
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                SLOT_UPSERT,
                [[c for c, _a in changed], [a for _c, a in changed], [deltas[k] for k in changed]],
            )
        return
    held = dict(
        BalanceSlot.objects.filter(account_id__in=[a for _c, a in changed], slot=0).values_list(
            "account_id", "amount"
        )
    )
    BalanceSlot.objects.bulk_create(
        [
            BalanceSlot(
                cooperative_id=coop,
                account_id=pk,
                slot=0,
                amount=held.get(pk, ZERO) + deltas[(coop, pk)],
            )
            for coop, pk in changed
        ],
        update_conflicts=True,
        unique_fields=["account", "slot"],
        update_fields=["amount"],
    )


def check_sqlite_range(lines: Sequence[Line]) -> None:
    """Refuse, before any write, a balance beyond what SQLite keeps exactly."""
    deltas = _line_deltas(lines)
    held = dict(
        BalanceSlot.objects.filter(account_id__in=[a for _c, a in deltas]).values_list(
            "account_id", "amount"
        )
    )
    if any(
        abs(held.get(pk, ZERO) + delta) >= SQLITE_BALANCE_LIMIT
        for (_c, pk), delta in deltas.items()
    ):
        raise ServiceError(
            "too_large_for_sqlite",
            _("Balances of Rp 10 trillion or more need the PostgreSQL database."),
        )
