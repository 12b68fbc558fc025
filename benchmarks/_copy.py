"""Rows into PostgreSQL tables by COPY for the benchmarks' data loads: the columns left out get
their field defaults, big tables load with their secondary indexes dropped and rebuilt, and
what the foreign-key triggers would have checked is checked after."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# The columns of a savings movement as the loaders COPY them (tab-separated lines).
SAVINGS_MOVEMENT_COLUMNS = [
    "cooperative_id",
    "account_id",
    "kind",
    "amount",
    "balance_after",
    "business_date",
    "journal_entry_id",
    "note",
    "idempotency_key",
    "channel",
    "reverses_id",
    "actor_id",
    "created_at",
]


def _fill_columns(model: Any, given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """The columns not given and their constant values (field defaults); refuses a column
    that has neither a value nor a default, so a new NOT NULL field fails loudly here."""
    from django.db import models

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in given or f.primary_key:
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.blank and f.empty_strings_allowed:
            value = ""  # what the ORM stores for a blank text field
        else:
            raise RuntimeError(f"{model.__name__}.{f.name} needs a value in the benchmark load")
        if isinstance(f, models.JSONField):
            value = json.dumps(value)
        columns.append(f.column)
        values.append(value)
    return columns, tuple(values)


# Seconds each COPY took (generating the rows included), by table.
COPY_SECONDS: dict[str, float] = {}


def copy_rows(model: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY tuples into the model's table (other columns get their defaults); returns rows."""
    from django.db import connection

    t0 = time.monotonic()
    extra_columns, extra = _fill_columns(model, columns)
    names = ", ".join([*columns, *extra_columns])
    count = 0
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *extra))
            count += 1
    COPY_SECONDS[model._meta.db_table] = time.monotonic() - t0
    return count


def copy_text(model: Any, columns: Sequence[str], lines: Iterable[str]) -> int:
    """COPY preformatted text lines (tab-separated, `\\N` for NULL) for the bulk tables."""
    from django.db import connection

    t0 = time.monotonic()
    extra_columns, _extra = _fill_columns(model, columns)
    if extra_columns:
        raise RuntimeError(f"{model.__name__}: give every column, missing {extra_columns}")
    names = ", ".join(columns)
    count = 0
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write("".join(chunk))
            count += len(chunk)
    COPY_SECONDS[model._meta.db_table] = time.monotonic() - t0
    return count


@contextlib.contextmanager
def bulk_load(*big_tables: str) -> Iterator[None]:
    """Inside one transaction: foreign-key triggers off for this session (the rows are built
    consistent; checking ~8 million references at commit would take minutes) and the secondary
    indexes of `big_tables` dropped, then rebuilt in one pass each after the COPY."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        saved: list[str] = []
        for table in big_tables:
            # Not one a foreign key refers to (the tenant keys): it stays, as its index.
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS ("
                " SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'"
                " AND f.conindid = c.conindid)",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                "  WHERE c.conindid = i.indexrelid AND c.contype = 'u')",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append(definition)
                cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        t0 = time.monotonic()
        for statement in saved:
            cursor.execute(statement)
        COPY_SECONDS["rebuild_indexes"] = time.monotonic() - t0


def dangling_references(models: Iterable[Any]) -> dict[str, int]:
    """What the foreign-key triggers would have checked, as one anti-join per reference:
    rows pointing at a row that does not exist (must all be 0)."""
    from django.db import connection

    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta.db_table
                cursor.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.{f.column} IS NOT NULL AND NOT "
                    f"EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{f.column})"
                )
                found[f"{table}.{f.column}"] = cursor.fetchone()[0]
    return found


def next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
