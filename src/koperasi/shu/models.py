"""The year's surplus (SHU): what the year-end close found, the members' and non-members' parts."""

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 20, "decimal_places": 2}


class ShuYear(models.Model):
    """A closed year's SHU (UU 25/1992 Pasal 45): income − costs of the year, split into the part
    from members' business (distributable) and from non-members' (never distributed)."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    year = models.PositiveSmallIntegerField()
    year_close = models.OneToOneField("ledger.YearClose", on_delete=models.PROTECT)
    surplus = models.DecimalField(**MONEY)
    member_part = models.DecimalField(**MONEY)
    non_member_part = models.DecimalField(**MONEY)
    member_income = models.DecimalField(**MONEY)
    non_member_income = models.DecimalField(**MONEY)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "year"], name="uniq_shu_year")
        ]
