"""The cash desk's suspense account (1199 Selisih Kas Dalam Penyelesaian), added to the chart of
every cooperative created before it was in the template (ledger/chart.py): an approved cash
count posts the difference between the counted and the booked cash there."""

from django.db import migrations

ROLE = "cash_suspense"
CODE, NAME, TYPE, PARENT = "1199", "Selisih Kas Dalam Penyelesaian", "asset", "11"


def add_cash_suspense(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Cooperative = apps.get_model("tenancy", "Cooperative")
    for coop in Cooperative.objects.order_by("pk"):
        if Account.objects.filter(cooperative=coop, system_role=ROLE).exists():
            continue
        code = CODE
        while Account.objects.filter(cooperative=coop, code=code).exists():
            code += "1"  # the cooperative already uses the code for an account of its own
        Account.objects.create(
            cooperative=coop,
            code=code,
            name=NAME,
            type=TYPE,
            parent=Account.objects.filter(cooperative=coop, code=PARENT).first(),
            is_header=False,
            is_control=False,
            system_role=ROLE,
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_month_totals"), ("tenancy", "0004_apitoken_expires_at")]

    operations = [migrations.RunPython(add_cash_suspense, migrations.RunPython.noop)]
