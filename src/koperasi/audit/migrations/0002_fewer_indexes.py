"""Only audit_coop_recent is searched; every write adds an audit row, so every other index is
one more write each time. Only the indexes go (the foreign keys stay as they are)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [  # (name, table, column)
    ("audit_auditlog_cooperative_id_11e47465", "audit_auditlog", "cooperative_id"),
    ("audit_auditlog_actor_id_20e70a27", "audit_auditlog", "actor_id"),
    ("audit_auditlog_created_at_5c532845", "audit_auditlog", "created_at"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
        ("tenancy", "0003_cooperative_days_closed_through_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name, _table, _column in INDEXES],
                    reverse_sql=[
                        f"CREATE INDEX {name} ON {table} ({column})"
                        for name, table, column in INDEXES
                    ],
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditlog",
                    name="actor",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="auditlog",
                    name="cooperative",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to="tenancy.cooperative"),
                ),
                migrations.AlterField(
                    model_name="auditlog",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
            ],
        )
    ]
