"""PostgreSQL: the ledger's SQL writers (`ledger_open_day`, `ledger_write_entry`,
`ledger_add_to_slots`) from their one file, `ledger/sql/writers.sql`.

From here the file is their only text (see koperasi/sqlfunctions.py and docs/architecture.md,
"Fast SQL paths"): a change to it needs a new migration that re-installs it. This one also
changes `ledger_open_day`: the last date Python can read comes in as a parameter, and each
refusal carries its reason for the caller's log.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from koperasi import sqlfunctions


def back(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        sqlfunctions.drop(schema_editor, "ledger", "writers.sql")
        for module in ("0006_sql_writers", "0007_open_day_bound"):
            old = __import__(f"koperasi.ledger.migrations.{module}", fromlist=["CREATE"])
            schema_editor.execute(old.CREATE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_open_day_bound")]

    operations = [
        sqlfunctions.install_step("ledger", "writers.sql", sha256="4b9234e18f7d6fe0708ff9836e129c769e620e7fd2a4316d100548e79ded69ae", reverse=back),
    ]
