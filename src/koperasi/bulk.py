"""Batch work (close steps, payroll): the batches a step is cut into, writing many rows at
once, and exact money arithmetic inside SQL on both databases.

Django's `bulk_update` builds one `CASE WHEN id = … THEN …` per field, which the database
evaluates branch by branch for every row: quadratic, minutes for a close batch of 50,000 rows.
Here PostgreSQL joins the table to a `VALUES` list (linear), SQLite runs one prepared UPDATE
per row (its statements are cheap and a write transaction is serialised anyway).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Max, Min, QuerySet

from koperasi.tenancy.models import Cooperative

CHUNK = 1000  # rows per statement: 1,000 × a few fields stays far below parameter limits


def batch_size() -> int:
    # settings.CLOSE_BATCH_SIZE (50,000; tests cut a small cooperative into many batches).
    return int(settings.CLOSE_BATCH_SIZE)


@dataclass(frozen=True)
class Batch:
    """What a step's batch works on: one cooperative, one business date, ids first..last."""

    cooperative: Cooperative
    day: dt.date
    step: str
    first_id: int
    last_id: int
    actor: Any

    def key(self, *parts: object) -> str:
        """An idempotency key for an entry this batch posts (unique per step, day, batch)."""
        tail = ":".join(str(p) for p in parts)
        return f"close:{self.day.isoformat()}:{self.step}:{self.first_id}" + (
            f":{tail}" if tail else ""
        )


def id_ranges(queryset: QuerySet[Any], size: int | None = None) -> list[tuple[int, int]]:
    """Fixed ranges covering the ids of the queryset: [k·size, (k+1)·size − 1]."""
    size = size or batch_size()
    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    first = bounds["low"] // size
    last = bounds["high"] // size
    return [(k * size, (k + 1) * size - 1) for k in range(first, last + 1)]


def update_rows(
    model: type[models.Model], rows: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """UPDATE `fields` of each row (by primary key) to the row's in-memory values."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(meta.pk.column)  # type: ignore[union-attr]
    names = [connection.ops.quote_name(f.column) for f in columns]

    def values(row: models.Model) -> list[Any]:
        return [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{name} = %s" for name in names)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {pk} = %s",
                [[*values(row), row.pk] for row in rows],
            )
            return
        casts = [f.db_type(connection) for f in columns]
        sets = ", ".join(
            f"{name} = v.c{i}::{cast}"
            for i, (name, cast) in enumerate(zip(names, casts, strict=True))
        )
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            placeholders = ", ".join(
                "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")" for _ in chunk
            )
            params = [value for row in chunk for value in (row.pk, *values(row))]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {placeholders}) AS v(id, {aliases})"
                f" WHERE {table}.{pk} = v.id",
                params,
            )


def load_temp_table(
    name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> None:
    """(Re)create the temporary table `name` with `columns` (name, SQL type) and fill it with
    `rows`: by COPY on PostgreSQL, the fastest way in; then ANALYZE, so the planner joins it to
    the big tables knowing its size (temporary tables have no statistics otherwise)."""
    definition = ", ".join(f"{column} {kind}" for column, kind in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMP TABLE {name} ({definition})")
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", list(rows))
        cursor.execute(f"ANALYZE {name}")


def drop_temp_table(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


# SQLite keeps decimals as doubles. Money arithmetic in SQL is therefore done in whole sen
# (integers are exact on both databases) and divided once at the end, which yields the double
# nearest the exact amount, as Python would store it. PostgreSQL's numeric is exact anyway.


def to_sen(expression: str) -> str:
    """SQL for a money expression as an integer number of sen."""
    kind = "BIGINT" if connection.vendor == "postgresql" else "INTEGER"
    return f"CAST(ROUND(({expression}) * 100) AS {kind})"


def from_sen(expression: str) -> str:
    """SQL for an integer number of sen as money."""
    if connection.vendor == "postgresql":
        return f"(({expression}) * 0.01)"
    return f"(({expression}) / 100.0)"
