"""Account balances move into balance slots (see `BalanceSlot`): each account's balance so far
becomes its slot 0, so the books read exactly as before."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def balances_to_slots(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    BalanceSlot = apps.get_model("ledger", "BalanceSlot")
    BalanceSlot.objects.bulk_create(
        BalanceSlot(cooperative_id=coop, account_id=pk, slot=0, amount=balance)
        for pk, coop, balance in Account.objects.exclude(balance=0)
        .values_list("pk", "cooperative_id", "balance")
        .iterator()
    )


def slots_to_balances(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    BalanceSlot = apps.get_model("ledger", "BalanceSlot")
    totals: dict[int, Decimal] = {}
    for account_id, amount in BalanceSlot.objects.values_list("account_id", "amount").iterator():
        totals[account_id] = totals.get(account_id, Decimal("0")) + amount
    for account_id, total in totals.items():
        Account.objects.filter(pk=account_id).update(balance=total)


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0003_loan_accounts"),
        ("tenancy", "0003_cooperative_days_closed_through_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="BalanceSlot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slot", models.PositiveSmallIntegerField()),
                ("amount", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=20)),
                ("account", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="balance_slots", to="ledger.account")),
                ("cooperative", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="tenancy.cooperative")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("account", "slot"), name="uniq_balance_slot")],
            },
        ),
        migrations.RunPython(balances_to_slots, slots_to_balances),
        migrations.RemoveField(model_name="account", name="balance"),
    ]
