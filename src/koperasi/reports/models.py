"""What the reports keep: each cooperative's choice of statement line per account."""

from django.conf import settings
from django.db import models


class AccountLine(models.Model):
    """An account moved to another statement line than its default (`reports.lines`)."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT)
    line = models.CharField(max_length=40)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["cooperative"], name="account_line_coop")]
