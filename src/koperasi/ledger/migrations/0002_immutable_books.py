"""Database triggers that make posted books immutable: a posting, a journal entry or an audit
record can be inserted but never updated. Corrections are reversal entries.
"""

from django.db import migrations

TABLES = ["ledger_posting", "ledger_journalentry", "audit_auditlog"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION koperasi_refuse_update() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '%% rows are immutable', TG_TABLE_NAME; END; "
            "$$ LANGUAGE plpgsql"
        )
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION koperasi_refuse_update()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END"
            )


def backward(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
