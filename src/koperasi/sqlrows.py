"""Model instances from one plain SQL row, for the few reads on the hottest paths.

Building a query through the ORM costs more Python than the query costs the database (a teller's
deposit over the API made four such reads, about a millisecond each). These reads name their
columns once, at import, and turn a joined row back into the instances the ORM would have made.
"""

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, connections
from django.db.models import DEFERRED, Model

M = TypeVar("M", bound=Model)


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
