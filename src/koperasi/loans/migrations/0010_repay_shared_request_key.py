"""PostgreSQL: `loans_repay` again from `loans/sql/repay.sql`, whose text now says that a
repayment's entry key is the request's, shared with savings (`request:%s`, ledger.request_keys).
The key itself has always been a parameter; only the file's comment changed."""

from django.db import migrations

from koperasi import sqlfunctions


class Migration(migrations.Migration):
    dependencies = [("loans", "0009_repay_from_files")]

    operations = [
        sqlfunctions.install_step("loans", "repay.sql", sha256="a76bea2ccbf319b15a1091c6817dd313cc4400af052f03bb0e15b893c976cd5a"),
    ]
