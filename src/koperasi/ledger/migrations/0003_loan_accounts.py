"""Loan accounts added to the KSP chart after cooperatives were created: penalty receivable
and recovery income; interest receivable becomes a control account (kept by the loan ledger)."""

from django.db import migrations

NEW_ACCOUNTS = (
    ("1302", "Piutang Denda Pinjaman", "asset", "11", "penalty_receivable", True),
    ("4302", "Pendapatan Pemulihan Pinjaman Dihapusbukukan", "income", "4", "writeoff_recovery", False),
)


def add_loan_accounts(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Cooperative = apps.get_model("tenancy", "Cooperative")
    for coop in Cooperative.objects.all():
        Account.objects.filter(cooperative=coop, system_role="interest_receivable").update(
            is_control=True
        )
        for code, name, type_, parent, role, control in NEW_ACCOUNTS:
            if Account.objects.filter(cooperative=coop, system_role=role).exists():
                continue
            if Account.objects.filter(cooperative=coop, code=code).exists():
                code = code + "1"  # the cooperative already uses the code for its own account
            Account.objects.create(
                cooperative=coop,
                code=code,
                name=name,
                type=type_,
                parent=Account.objects.filter(cooperative=coop, code=parent).first(),
                is_control=control,
                system_role=role,
            )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_immutable_books"), ("tenancy", "0001_initial")]

    operations = [migrations.RunPython(add_loan_accounts, migrations.RunPython.noop)]
