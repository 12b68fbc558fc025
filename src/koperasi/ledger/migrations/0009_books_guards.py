"""The books refuse, in the database, what no service does: an unbalanced journal entry, and
changing or removing a posting, a journal entry or an audit record.

PostgreSQL: `ledger/sql/guards.sql` holds the trigger functions. Each table gets a BEFORE
UPDATE OR DELETE trigger (it refused UPDATE only, migration 0002), and ledger_posting a
deferred constraint trigger that checks, at the commit, Σ debit = Σ credit of each entry a
posting was written to, whichever writer wrote it (post_entry or the SQL writers).

SQLite has no deferred triggers and no functions: a BEFORE DELETE trigger beside the BEFORE
UPDATE one, and the balance stays `post_entry`'s check (with `koperasi check` after). A wipe of
the whole database (the test suite's flush) may delete rows while the table `koperasi_wipe`
holds a row, as TRUNCATE, which fires no row trigger, does on PostgreSQL.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from koperasi import sqlfunctions

TABLES = ["ledger_posting", "ledger_journalentry", "audit_auditlog"]


def forward(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION ledger_immutable_row()"
            )
        schema_editor.execute("DROP FUNCTION IF EXISTS koperasi_refuse_update()")
        schema_editor.execute(
            "CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE TABLE {sqlfunctions.SQLITE_WIPE} (since text)")
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
                f" WHEN NOT EXISTS (SELECT 1 FROM {sqlfunctions.SQLITE_WIPE})"
                f" BEGIN SELECT RAISE(ABORT, '{table} rows are immutable: DELETE refused'); END"
            )


def backward(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting")
        old = __import__("koperasi.ledger.migrations.0002_immutable_books", fromlist=["TABLES"])
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        old.forward(apps, schema_editor)
        sqlfunctions.drop(schema_editor, "ledger", "guards.sql")
    elif schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        schema_editor.execute(f"DROP TABLE IF EXISTS {sqlfunctions.SQLITE_WIPE}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_sql_writers_from_file"), ("audit", "0002_fewer_indexes")]

    operations = [
        sqlfunctions.install_step("ledger", "guards.sql", sha256="43ae31d022873a46c0e96c3536f5b618c67ac37e248ded69eb75a7d80a98fa4d"),
        migrations.RunPython(forward, backward),
    ]
