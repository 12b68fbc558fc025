"""Double-entry books: chart of accounts, immutable journal entries and their postings."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 20, "decimal_places": 2}


class Account(models.Model):
    class Type(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        INCOME = "income", _("Income")
        EXPENSE = "expense", _("Expense")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=150)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True)
    # Headers group accounts in reports and take no postings.
    is_header = models.BooleanField(default=False)
    # Control accounts are written only by their sub-ledger (savings, loans), never by hand,
    # so the sub-ledger always reconciles to them.
    is_control = models.BooleanField(default=False)
    # A stable name services use to find an account ("cash", "pph_payable"), whatever its code.
    system_role = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    # Σ debit − Σ credit of all postings, maintained in the posting transaction.
    balance = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        ordering = ["cooperative", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="uniq_account_code"),
            models.UniqueConstraint(
                fields=["cooperative", "system_role"],
                condition=~Q(system_role=""),
                name="uniq_account_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in (self.Type.ASSET, self.Type.EXPENSE)

    @property
    def normal_balance(self) -> Decimal:
        """The balance on the account's normal side (a liability's credit balance is positive)."""
        return self.balance if self.debit_normal else -self.balance


class JournalEntry(models.Model):
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    business_date = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=40)
    source_ref = models.CharField(max_length=60, blank=True)
    memo = models.CharField(_("description"), max_length=255)
    idempotency_key = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key"], name="uniq_entry_idempotency"
            )
        ]
        indexes = [models.Index(fields=["cooperative", "business_date"], name="entry_coop_date")]

    def __str__(self) -> str:
        return f"JU-{self.pk} {self.memo}"

    @property
    def number(self) -> str:
        return f"JU-{self.pk:07d}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    business_date = models.DateField()
    debit = models.DecimalField(**MONEY, default=Decimal("0"))
    credit = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="posting_one_side_positive",
            )
        ]
        indexes = [
            models.Index(fields=["account", "business_date", "id"], name="posting_account_date")
        ]


class ClosedPeriod(models.Model):
    """A closed month: no posting may be dated in it again."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "year", "month"], name="uniq_closed_month"
            )
        ]
