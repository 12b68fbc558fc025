"""PostgreSQL: `loans_penalty_increment` and `loans_months_between` from `loans/sql/penalty.sql`,
`loans_repay` from `loans/sql/repay.sql`.

From here the files are their only text (see koperasi/sqlfunctions.py and docs/architecture.md,
"Fast SQL paths"): a change to one needs a new migration that re-installs it. This one passes
every rule constant in from Python (class numbers, penalty kinds, allocation components,
overpayment modes, statuses, chart roles, kinds, texts and keys) and gives each fallback its
reason.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from koperasi import sqlfunctions


def back(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        sqlfunctions.drop(schema_editor, "loans", "repay.sql")
        sqlfunctions.drop(schema_editor, "loans", "penalty.sql")
        old = __import__("koperasi.loans.migrations.0007_repay_in_sql", fromlist=["CREATE"])
        schema_editor.execute(old.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0008_fewer_indexes"),
        ("savings", "0007_cash_movement_from_file"),
        ("ledger", "0008_sql_writers_from_file"),
    ]

    operations = [
        sqlfunctions.install_step("loans", "penalty.sql", sha256="340a51351b6223787a080aa1e0f4db28add494967a7979b48b3c11709379a131"),
        sqlfunctions.install_step("loans", "repay.sql", sha256="792ff41b64c7c644cabc3957e6aa3a7a0004b94ccbbc9c57ac48f68c32447674", reverse=back),
    ]
