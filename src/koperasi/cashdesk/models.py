"""A teller's cash count for a business day, and its approval by someone else."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from koperasi.ledger.models import MONEY

# The journal source of a count's difference; its source_ref names the teller whose cash it is.
SOURCE = "cashdesk"
_TELLER_PREFIX = "teller:"


def teller_ref(teller_id: int) -> str:
    return f"{_TELLER_PREFIX}{teller_id}"


def teller_from_ref(ref: str) -> int | None:
    number = ref.removeprefix(_TELLER_PREFIX)
    return int(number) if ref.startswith(_TELLER_PREFIX) and number.isdigit() else None


class CashCount(models.Model):
    """The cash a teller counted at the end of a day against what the books say they hold.

    `closing` is the teller's closing cash when the count was made (`cashdesk.selectors`);
    `difference` = counted − closing. An approval posts the difference to the cash suspense
    account (`journal_entry`); a rejected count may be followed by a new one.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    business_date = models.DateField(_("date"))
    counted = models.DecimalField(_("counted cash"), **MONEY)
    # Face value (as text, JSON keys) → pieces; empty when only the total was entered.
    pieces = models.JSONField(default=dict, blank=True)
    closing = models.DecimalField(_("closing cash"), **MONEY)
    difference = models.DecimalField(_("difference"), **MONEY)
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    idempotency_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_key = models.CharField(max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["cooperative", "-business_date", "-id"]
        constraints = [
            # One standing count per teller and day: another only after a rejection.
            models.UniqueConstraint(
                fields=["cooperative", "teller", "business_date"],
                condition=~Q(status="rejected"),
                name="uniq_cash_count_day",
            ),
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key"], name="uniq_cash_count_key"
            ),
            models.CheckConstraint(condition=Q(counted__gte=0), name="cash_count_not_negative"),
        ]
        indexes = [
            models.Index(fields=["cooperative", "business_date"], name="cash_count_coop_date")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"HK-{self.pk:06d}"

    @property
    def is_shortage(self) -> bool:
        return self.difference < Decimal("0")
