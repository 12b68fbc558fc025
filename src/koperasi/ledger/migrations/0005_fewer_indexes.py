"""Single-column indexes nothing needs: a composite index starts with the column, or nothing
searches by it. Only the indexes go (Django would also drop and re-add each foreign key, which
re-checks every row of the biggest tables)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [  # (name, table, column)
    ("ledger_posting_account_id_964f801d", "ledger_posting", "account_id"),
    ("ledger_journalentry_cooperative_id_d715ccd6", "ledger_journalentry", "cooperative_id"),
    ("ledger_journalentry_actor_id_4520535f", "ledger_journalentry", "actor_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0004_balance_slots"),
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
                    model_name="journalentry",
                    name="actor",
                    field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="cooperative",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to="tenancy.cooperative"),
                ),
                migrations.AlterField(
                    model_name="posting",
                    name="account",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="postings", to="ledger.account"),
                ),
            ],
        )
    ]
