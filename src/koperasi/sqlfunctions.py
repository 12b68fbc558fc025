"""The PostgreSQL functions of the fast paths and the books' guards, each kept in one SQL file
under its app (`ledger/sql/`, `savings/sql/`, `loans/sql/`, package data).

A file is the only text of its functions. A migration installs it with `install_step(app,
file, sha256)`, which runs the file's text *as it is when the migration runs*: the usual
trade-off of a migration that reads a file. A database migrated from scratch therefore ends
with the current text (the newest migration naming a file installs it last), and an old
migration re-run today installs today's text. The sha256 names the text the migration was
written for, so that tests can hold the rule (docs/architecture.md, "Fast SQL paths"):

* a change to a .sql file needs a new migration that re-installs it: a test fails when the
  newest migration naming a file gives another sha256 than the file's (`migration_drift`);
* what the database holds is what the file says: a test compares each installed function
  (`pg_get_functiondef`) with the same text installed in a scratch schema (`installed_drift`),
  so a hand-edited function or a stale overload fails.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import migrations, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The apps that keep SQL files, in the order their migrations install them.
APPS = ("ledger", "savings", "loans")
_FUNCTION = re.compile(r"^CREATE OR REPLACE FUNCTION\s+(\w+)\s*\(", re.MULTILINE | re.IGNORECASE)
_SCRATCH = "koperasi_sql_check"


def files() -> Iterator[tuple[str, str]]:
    """Every (app, file name) of the apps' sql folders."""
    for app in APPS:
        folder = resources.files(f"koperasi.{app}") / "sql"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                yield app, entry.name


def text(app: str, name: str) -> str:
    return (resources.files(f"koperasi.{app}") / "sql" / name).read_text(encoding="utf-8")


def sha256(app: str, name: str) -> str:
    """The digest of the file's bytes, as a migration names the text it installs."""
    data = (resources.files(f"koperasi.{app}") / "sql" / name).read_bytes()
    return hashlib.sha256(data).hexdigest()


def function_names(sql: str) -> list[str]:
    """The functions a file creates, in order."""
    return _FUNCTION.findall(sql)


@dataclass(frozen=True)
class Install:
    """A migration's step (RunPython code): install an app's SQL file as it is now."""

    app: str
    name: str
    sha256: str

    def __call__(self, apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            install(schema_editor, self.app, self.name)


def install_step(
    app: str,
    name: str,
    sha256: str,
    reverse: Callable[[Any, BaseDatabaseSchemaEditor], None] = migrations.RunPython.noop,
) -> migrations.RunPython:
    """The migration operation that installs `<app>/sql/<name>`, written for the text whose
    sha256 is given. `reverse` puts back what was there before (the previous text lives in
    version control, so later re-installs reverse to nothing)."""
    return migrations.RunPython(Install(app, name, sha256), reverse)


def install(schema_editor: BaseDatabaseSchemaEditor, app: str, name: str) -> None:
    """Create (or replace) the file's functions. An older version with other parameters or
    another result would stay beside the new one (or block it): those are dropped first.
    Trigger functions keep their signature, so the triggers using them stay attached."""
    sql = text(app, name)
    with schema_editor.connection.cursor() as cursor:
        for function in function_names(sql):
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                " WHERE p.proname = %s AND p.pronamespace = current_schema()::regnamespace"
                " AND p.prorettype <> 'trigger'::regtype",
                [function],
            )
            for (signature,) in cursor.fetchall():
                schema_editor.execute(f"DROP FUNCTION {signature}")
    # No parameters: a `%ROWTYPE` or a `%` in a message is not a placeholder.
    schema_editor.execute(sql, params=None)


def drop(schema_editor: BaseDatabaseSchemaEditor, app: str, name: str) -> None:
    """Drop the file's functions, every version of them (a migration's reverse)."""
    with schema_editor.connection.cursor() as cursor:
        for function in function_names(text(app, name)):
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                " WHERE p.proname = %s AND p.pronamespace = current_schema()::regnamespace",
                [function],
            )
            for (signature,) in cursor.fetchall():
                schema_editor.execute(f"DROP FUNCTION {signature}")


def installs_in_order(loader: Any) -> list[tuple[tuple[str, str], Install]]:
    """Every install step of every migration, in the order `migrate` runs them
    (`loader`: a django.db.migrations.loader.MigrationLoader)."""
    graph, seen, steps = loader.graph, set(), []
    for leaf in sorted(graph.leaf_nodes()):
        for node in graph.forwards_plan(leaf):
            if node in seen:
                continue
            seen.add(node)
            for operation in loader.disk_migrations[node].operations:
                code = getattr(operation, "code", None)
                if isinstance(code, Install):
                    steps.append((node, code))
    return steps


def migration_drift(loader: Any) -> list[str]:
    """What breaks the rule "a change to a .sql file needs a new migration that re-installs
    it": a file whose newest installing migration was written for another text (the file
    changed and no migration installs the change), a file no migration installs, a migration
    naming a file that does not exist."""
    newest: dict[tuple[str, str], tuple[tuple[str, str], Install]] = {}
    problems = []
    present = set(files())
    for node, step in installs_in_order(loader):
        if (step.app, step.name) not in present:
            problems.append(
                f"{node[0]}.{node[1]} installs {step.app}/sql/{step.name}: no such file"
            )
        newest[(step.app, step.name)] = (node, step)
    for app, name in sorted(present):
        if (app, name) not in newest:
            problems.append(f"{app}/sql/{name}: no migration installs it")
            continue
        node, step = newest[(app, name)]
        if step.sha256 != sha256(app, name):
            problems.append(
                f"{app}/sql/{name} changed since {node[0]}.{node[1]} installed it:"
                " add a migration that re-installs it (sqlfunctions.install_step)"
            )
    return problems


def _definitions(cursor: Any, schema: str, names: list[str]) -> dict[str, list[str]]:
    """pg_get_functiondef of every function of these names in the schema, schema removed."""
    cursor.execute(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = %s AND p.proname = ANY(%s) ORDER BY p.proname, p.oid",
        [schema, names],
    )
    found: dict[str, list[str]] = {name: [] for name in names}
    for proname, definition in cursor.fetchall():
        found[proname].append(definition.replace(f"{schema}.", "", 1))
    return found


def installed_drift(connection: BaseDatabaseWrapper, app: str, name: str) -> list[str]:
    """How the functions in the database differ from the file: the file's text is installed
    in a scratch schema (rolled back), and the server's own rendering of both compared, so
    only a real difference (body, parameters, result, volatility) counts."""
    sql = text(app, name)
    names = function_names(sql)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        cursor.execute(f"SAVEPOINT {_SCRATCH}")
        try:
            cursor.execute(f"CREATE SCHEMA {_SCRATCH}")
            # Both rendered under one search path: the tables' types read alike.
            cursor.execute(f"SET LOCAL search_path = {_SCRATCH}, {schema}")
            cursor.execute(sql)
            expected = _definitions(cursor, _SCRATCH, names)
            installed = _definitions(cursor, schema, names)
        finally:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SCRATCH}")
            cursor.execute(f"RELEASE SAVEPOINT {_SCRATCH}")
    return [
        f"{app}/sql/{name}: {function} in the database differs from the file"
        if installed[function]
        else f"{app}/sql/{name}: {function} is not in the database"
        for function in names
        if installed[function] != expected[function]
    ]


# ---------------------------------------------------------------- SQLite

# The books' DELETE triggers on SQLite (ledger migration 0009) let a row go only while this
# table holds a row: a wipe of the whole database puts one there (`wipe_statements`), as
# TRUNCATE, which fires no row trigger, wipes a PostgreSQL database.
SQLITE_WIPE = "koperasi_wipe"


def wipe_statements(statements: list[str]) -> list[str]:
    """A whole-database wipe's DELETE statements (Django's flush on SQLite, the test suite's
    reset between transactional tests) with the books' guard lifted around them."""
    if not statements:
        return statements
    return [
        f"INSERT INTO {SQLITE_WIPE} VALUES (datetime('now'))",
        *statements,
        f"DELETE FROM {SQLITE_WIPE}",
    ]
