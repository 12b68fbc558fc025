"""PostgreSQL: `savings_cash_movement` from its one file, `savings/sql/cash_movement.sql`.

From here the file is its only text (see koperasi/sqlfunctions.py and docs/architecture.md,
"Fast SQL paths"): a change to it needs a new migration that re-installs it. This one passes
every rule constant in from Python (statuses, the entry's key and source, the audit action,
object type and data) and gives each fallback its reason.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from koperasi import sqlfunctions


def back(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        sqlfunctions.drop(schema_editor, "savings", "cash_movement.sql")
        old = __import__(
            "koperasi.savings.migrations.0006_cash_movement_function", fromlist=["CREATE"]
        )
        schema_editor.execute(old.CREATE)


class Migration(migrations.Migration):
    dependencies = [
        ("savings", "0006_cash_movement_function"),
        ("ledger", "0008_sql_writers_from_file"),
    ]

    operations = [
        sqlfunctions.install_step("savings", "cash_movement.sql", sha256="3ad218530366d71dab163a14c357ab0efd2c3b9944fb05e7427583df863086d3", reverse=back),
    ]
