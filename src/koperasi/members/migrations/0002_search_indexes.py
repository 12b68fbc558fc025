"""PostgreSQL indexes for member search at a million members.

Substring name search uses a trigram GIN index; number, NIK and phone prefix search use
pattern_ops B-trees (the database collation would otherwise keep LIKE 'x%' off the index).
SQLite uses the plain indexes of 0001.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm ON members_member "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_number_prefix ON members_member "
    "(cooperative_id, number varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS member_nik_prefix ON members_member "
    "(cooperative_id, nik varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS member_phone_prefix ON members_member "
    "(cooperative_id, phone varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_name_trgm",
    "DROP INDEX IF EXISTS member_number_prefix",
    "DROP INDEX IF EXISTS member_nik_prefix",
    "DROP INDEX IF EXISTS member_phone_prefix",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
