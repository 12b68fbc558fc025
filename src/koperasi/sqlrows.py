"""The few statements on the hottest paths: prepared on PostgreSQL, rows into model instances.

Building a query through the ORM costs more Python than the query costs the database (a teller's
deposit over the API made four such reads, about a millisecond each), and PostgreSQL planning a
joined read anew each time cost six times running it. These statements name their columns once,
at import, run through `hot_cursor` (prepared on the connection after five runs, so parsed and
planned once per connection) and turn a joined row back into the instances the ORM would make.
Everything else keeps Django's client-side binding, planned afresh for its parameters (member
search relies on that: a generic plan for its patterns was measured twenty times slower).
"""

import functools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.db import DatabaseError, connection, connections, transaction
from django.db.models import DEFERRED, Model

M = TypeVar("M", bound=Model)


@contextmanager
def hot_cursor() -> Iterator[Any]:
    """A cursor for the hot statements: on PostgreSQL bound by the server, so that psycopg
    prepares a statement the fifth time the connection runs it (settings: prepare_threshold);
    wrapped like any Django cursor (errors, query logging, execute wrappers)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    wrapped = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    try:
        yield wrapped
    finally:
        raw.close()


def alone() -> AbstractContextManager[Any] | None:
    """How to run a statement that must be its caller's whole transaction (a one-statement
    posting): as it is when no transaction is open, in a savepoint inside a test case's
    wrapping transaction (which stands in for none, as for Django's durable blocks); None when
    the caller has a transaction of its own, which the statement must not end up part of."""
    blocks = connection.atomic_blocks
    if not blocks:
        return nullcontext()
    if getattr(blocks[-1], "_from_testcase", False):
        return transaction.atomic()
    return None


# What a one-statement posting raises when the ordinary way should answer instead; its message
# is the reason, one of `Fallback`.
USE_ORDINARY_WAY = "KD409"


class Fallback(StrEnum):
    """Why a fast path left the work to the ordinary way: the reason codes of the log and the
    counts. The SQL functions raise the ones they find (KD409 with the code as message); the
    Python side of each fast path the others."""

    IN_TRANSACTION = "in_transaction"  # the caller has a transaction of its own
    REFUSED = "refused"  # the ordinary way's checks refuse it (Python, before the call)
    UNSUPPORTED = "unsupported"  # a kind of work the fast path does not do
    RETRY = "retry"  # the idempotency key is used already: a retry, or a reused key
    KEY_USED = "key_used"  # the other sub-ledger posted under the request's key
    CLOSED_DAY = "closed_day"  # the date is in a closed day or month
    DATE_RANGE = "date_range"  # past the last date Python can read
    CHANGED = "changed"  # the row changed since Python read it (under the lock)
    MEMBER_INACTIVE = "member_inactive"
    NOT_ACTIVE = "not_active"  # the loan is missing or not active
    BEFORE_DISBURSEMENT = "before_disbursement"
    NOT_POSITIVE = "not_positive"
    ALLOCATION_ORDER = "allocation_order"  # the product's order does not parse
    ACCOUNT_MISSING = "account_missing"  # the chart lacks a postable account
    OVERPAYMENT = "overpayment"  # more than owed, on a product that takes no excess
    NO_EXCESS_ACCOUNT = "no_excess_account"  # no open sukarela account for the excess
    FREQUENCY = "frequency"  # a frequency the KSP regime's table does not know
    REGIME = "regime"  # no regime's table to class the loan by
    PENALTY_KIND = "penalty_kind"  # a penalty kind the SQL does not know
    # A sum of the books read more than two months of postings: no closed month's totals
    # to start from (ledger.period_sums).
    NO_MONTH_TOTALS = "no_month_totals"
    UNKNOWN = "unknown"  # a reason this Python does not know (logged as a warning)


# Fast path name → outcome ("done" or a `Fallback`) → count, since the process started.
DONE = "done"
_outcomes: Counter[tuple[str, str]] = Counter()


def fast_path_counts() -> dict[tuple[str, str], int]:
    """How often each fast path ran (`DONE`) or fell back (by reason) in this process, for an
    operator or a benchmark to read: {(path, outcome): count}."""
    return dict(_outcomes)


def ran(path: str) -> None:
    _outcomes[(path, DONE)] += 1


def fell_back(logger: logging.Logger, path: str, reason: Fallback, detail: str = "") -> None:
    """Count a fallback and log it with its reason (DEBUG for a caller inside a transaction of
    its own, which is how batches such as payroll call; a reason unknown here is a WARNING)."""
    _outcomes[(path, reason.value)] += 1
    level = (
        logging.DEBUG
        if reason is Fallback.IN_TRANSACTION
        else logging.WARNING
        if reason is Fallback.UNKNOWN
        else logging.INFO
    )
    logger.log(
        level,
        "%s: the ordinary way answers (%s%s)",
        path,
        reason.value,
        f": {detail}" if detail else "",
        extra={"fast_path": path, "fallback": reason.value, "detail": detail},
    )


@dataclass(frozen=True)
class FellBack:
    """A one-statement posting's answer when the ordinary way has to do the work."""

    reason: Fallback
    detail: str = ""


def call_alone(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | FellBack | None:
    """Run a one-statement posting (a PostgreSQL function returning one row) as its caller's
    whole transaction: its row, or why not when the caller has a transaction of its own or the
    function sends the work the ordinary way (SQLSTATE KD409, the reason as its message); None
    when the statement's own condition kept the function from running (no row)."""
    alone_ = alone()
    if alone_ is None:
        return FellBack(Fallback.IN_TRANSACTION)
    with hot_cursor() as cursor:
        try:
            with alone_:
                cursor.execute(sql, params)
                row: tuple[Any, ...] | None = cursor.fetchone()
        except DatabaseError as exc:
            cause = exc.__cause__
            if getattr(cause, "sqlstate", None) == USE_ORDINARY_WAY:
                message = getattr(getattr(cause, "diag", None), "message_primary", None) or ""
                try:
                    return FellBack(Fallback(message))
                except ValueError:
                    return FellBack(Fallback.UNKNOWN, message)
            raise
    return row


def saved(instance: M) -> M:
    """Mark an instance built from values a statement wrote as loaded from the database."""
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def columns(alias: str, model: type[Model], names: Sequence[str] | None = None) -> str:
    """`alias.col, …` for the given attribute names (default: every concrete field)."""
    names = names if names is not None else [f.attname for f in model._meta.concrete_fields]
    return ", ".join(f"{alias}.{model._meta.get_field(_field(model, n)).column}" for n in names)


def _field(model: type[Model], attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.name
    raise LookupError(f"{model.__name__} has no column {attname}")


@functools.cache
def _plan(
    model: type[Model], names: tuple[str, ...] | None, alias: str
) -> tuple[list[str], list[int], list[tuple[int, Any, list[Any]]]]:
    """Worked out once per model, column list and database: every attribute name, where each
    read value goes, and the converters the ORM's compiler would apply to it (SQLite's text
    dates and decimals, JSON text …)."""
    db = connections[alias]
    fields = model._meta.concrete_fields
    attnames = [f.attname for f in fields]
    names = names if names is not None else tuple(attnames)
    positions = [attnames.index(name) for name in names]
    converting = []
    for index, position in enumerate(positions):
        col = fields[position].get_col(model._meta.db_table)
        converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if converters:
            converting.append((index, col, converters))
    return attnames, positions, converting


def instance(model: type[M], names: Sequence[str] | None, values: Sequence[Any]) -> M:
    """The instance for one row's values (in `names` order, default every concrete field);
    fields not read are deferred, loaded from the database if anything asks for them."""
    alias = connection.alias
    attnames, positions, converting = _plan(model, tuple(names) if names else None, alias)
    values = list(values)
    if converting:
        db = connections[alias]
        for index, col, converters in converting:
            value = values[index]
            if value is not None:
                for convert in converters:
                    value = convert(value, col, db)
                values[index] = value
    ordered: list[Any] = [DEFERRED] * len(attnames)
    for value, position in zip(values, positions, strict=True):
        ordered[position] = value
    return model.from_db(alias, attnames, ordered)


def split(row: Sequence[Any], *parts: tuple[type[Model], Sequence[str] | None]) -> list[Any]:
    """Cut a joined row into one instance per (model, names) part, in order."""
    out, start = [], 0
    for model, names in parts:
        width = len(names) if names is not None else len(model._meta.concrete_fields)
        out.append(instance(model, names, row[start : start + width]))
        start += width
    return out
