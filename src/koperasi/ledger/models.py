"""Double-entry books: chart of accounts, immutable journal entries and their postings."""

from decimal import Decimal
from typing import Any

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
    def balance(self) -> Decimal:
        """Σ debit − Σ credit of all postings: the sum of the account's balance slots, which
        the posting transaction maintains (see `BalanceSlot`). Read once per instance;
        `ledger.selectors.balances` reads many accounts in one query."""
        if "_balance" not in self.__dict__:
            amounts = BalanceSlot.objects.filter(account_id=self.pk).values_list(
                "amount", flat=True
            )
            self.__dict__["_balance"] = sum(amounts, Decimal("0.00"))
        balance: Decimal = self.__dict__["_balance"]
        return balance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_balance", None)
        super().refresh_from_db(*args, **kwargs)

    @property
    def debit_normal(self) -> bool:
        return self.type in (self.Type.ASSET, self.Type.EXPENSE)

    @property
    def normal_balance(self) -> Decimal:
        """The balance on the account's normal side (a liability's credit balance is positive)."""
        return self.balance if self.debit_normal else -self.balance


class BalanceSlot(models.Model):
    """A share of an account's maintained balance: the balance is the sum of the slots.

    Every teller's deposit changes the same two accounts (cash and the savings control
    account). With one balance row each, every posting would wait for the previous one's
    commit to update it; instead each database session adds to its own slot (chosen by its
    backend process, at most `SLOTS` per account), so concurrent postings do not queue. SQLite
    serialises writers anyway and uses slot 0 only.
    """

    SLOTS = 32

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="balance_slots", db_index=False
    )
    slot = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "slot"], name="uniq_balance_slot")
        ]


class JournalEntry(models.Model):
    # No single-column indexes where a composite starts with the column (cooperative) or
    # nothing searches by it (actor): every index is one more write per entry.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    business_date = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=40)
    source_ref = models.CharField(max_length=60, blank=True)
    memo = models.CharField(_("description"), max_length=255)
    idempotency_key = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
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
    # posting_account_date starts with the account.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
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


class MonthTotal(models.Model):
    """Σ debit and Σ credit of one account's postings in a closed month: what reports read
    instead of the month's postings (a closed month never changes).

    Written when the month is closed (`ledger.services.close_month`). The cooperative's first
    closed month's row covers every posting up to its end, so the rows of every closed month
    up to a month end add up to the account's totals through that date.
    """

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, db_index=False)
    month_end = models.DateField()
    debit = models.DecimalField(**MONEY)
    credit = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "month_end", "account"], name="uniq_month_total"
            )
        ]


# The source of the year-end closing entries (statements of a period take them back out).
YEAR_CLOSE_SOURCE = "year_close"


class YearClose(models.Model):
    """A closed financial year: its income and expenses moved into the surplus of the year
    (SHU tahun berjalan) by one closing entry dated 31 December. Nothing of the year changes
    after this; the SHU computed on it is final."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    year = models.PositiveSmallIntegerField()
    # None when the year had no income or expense to close.
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, null=True, blank=True)
    surplus = models.DecimalField(**MONEY)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "year"], name="uniq_year_close")
        ]
