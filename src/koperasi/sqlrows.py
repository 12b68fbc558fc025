"""Model instances from one plain SQL row, for the few reads on the hottest paths.

Building a query through the ORM costs more Python than the query costs the database (a teller's
deposit over the API made four such reads, about a millisecond each). These reads name their
columns once, at import, and turn a joined row back into the instances the ORM would have made.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
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


def instance(model: type[M], names: Sequence[str] | None, values: Sequence[Any]) -> M:
    """The instance for one row's values (in `names` order, default every concrete field);
    fields not read are deferred, loaded from the database if anything asks for them."""
    fields = model._meta.concrete_fields
    if names is None:
        names = [f.attname for f in fields]
    read = dict(zip(names, values, strict=True))
    ordered = []
    for field in fields:
        value = read.get(field.attname, DEFERRED)
        if value is not DEFERRED and value is not None:
            # What the ORM's compiler applies (SQLite's text dates, decimals, JSON text …).
            col = field.get_col(model._meta.db_table)
            for convert in connection.ops.get_db_converters(col) + col.get_db_converters(
                connection
            ):
                value = convert(value, col, connection)
        ordered.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], ordered)


def split(row: Sequence[Any], *parts: tuple[type[Model], Sequence[str] | None]) -> list[Any]:
    """Cut a joined row into one instance per (model, names) part, in order."""
    out, start = [], 0
    for model, names in parts:
        width = len(names) if names is not None else len(model._meta.concrete_fields)
        out.append(instance(model, names, row[start : start + width]))
        start += width
    return out
