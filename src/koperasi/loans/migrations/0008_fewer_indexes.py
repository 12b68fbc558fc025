"""Fewer indexes on the loan tables, and room on each page of loans_loan for a new version.

Single-column indexes nothing needs go: a composite index starts with the column, or nothing
searches by it. Only the indexes go (Django would also drop and re-add each foreign key, which
re-checks every row of the biggest tables). The class summary's index no longer carries the
outstanding amount, so a repayment that leaves the class and the days past due as they were
changes no indexed column of the loan, and PostgreSQL updates the row in place (a HOT update,
no index written) when its page has room: the table keeps 20 % of each page free for that.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


INDEXES = [  # (name, table, column)
    ("loans_loan_cooperative_id_0074bc7f", "loans_loan", "cooperative_id"),
    ("loans_loan_officer_id_02891702", "loans_loan", "officer_id"),
    ("loans_loan_product_id_89d396bb", "loans_loan", "product_id"),
    ("loans_loan_savings_account_id_83f77d42", "loans_loan", "savings_account_id"),
    ("loans_instalment_cooperative_id_965908f7", "loans_instalment", "cooperative_id"),
    ("loans_instalment_loan_id_046f3c30", "loans_instalment", "loan_id"),
    ("loans_loantransaction_actor_id_a4f4e356", "loans_loantransaction", "actor_id"),
    ("loans_loantransaction_cooperative_id_6c80b56e", "loans_loantransaction", "cooperative_id"),
    ("loans_loantransaction_loan_id_39b54328", "loans_loantransaction", "loan_id"),
]
FILLFACTOR = 80


def set_fillfactor(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE loans_loan SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE loans_loan RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0007_repay_in_sql"),
        ("members", "0005_member_coop_id_unique"),
        ("savings", "0006_cash_movement_function"),
        ("tenancy", "0003_cooperative_days_closed_through_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="loan",
            name="loan_quality_summary",
        ),
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
                    model_name="instalment",
                    name="cooperative",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="tenancy.cooperative",
                    ),
                ),
                migrations.AlterField(
                    model_name="instalment",
                    name="loan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="instalments",
                        to="loans.loan",
                    ),
                ),
                migrations.AlterField(
                    model_name="loan",
                    name="cooperative",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="tenancy.cooperative",
                    ),
                ),
                migrations.AlterField(
                    model_name="loan",
                    name="officer",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="loan",
                    name="product",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="loans.loanproduct",
                    ),
                ),
                migrations.AlterField(
                    model_name="loan",
                    name="savings_account",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="savings.savingsaccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="loantransaction",
                    name="actor",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="loantransaction",
                    name="cooperative",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="tenancy.cooperative",
                    ),
                ),
                migrations.AlterField(
                    model_name="loantransaction",
                    name="loan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transactions",
                        to="loans.loan",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="loan",
            index=models.Index(
                fields=["cooperative", "status", "collectibility"], name="loan_quality_summary"
            ),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
