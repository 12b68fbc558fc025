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


class HealthWeight(models.Model):
    """A cooperative's weight for one component of the health assessment, in place of the
    default of `domain.health` (the unverified weights are meant to be checked and set)."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    component = models.CharField(max_length=40)
    weight = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "component"], name="uniq_health_weight")
        ]


class HealthAnswers(models.Model):
    """The management and identity questionnaire of one year's assessment."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    year = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "year"], name="uniq_health_answers")
        ]
