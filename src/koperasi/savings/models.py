"""Savings products (pokok, wajib, sukarela, berjangka), member accounts and their movements."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from koperasi.ledger.models import MONEY


class SavingsKind(models.TextChoices):
    POKOK = "pokok", _("Simpanan pokok")
    WAJIB = "wajib", _("Simpanan wajib")
    SUKARELA = "sukarela", _("Simpanan sukarela")
    BERJANGKA = "berjangka", _("Simpanan berjangka")


# Pokok and wajib are the member's capital: locked while the person is a member.
LOCKED_KINDS = frozenset({SavingsKind.POKOK, SavingsKind.WAJIB})


class SavingsProduct(models.Model):
    class InterestMethod(models.TextChoices):
        NONE = "none", _("No interest")
        LOWEST = "terendah", _("Lowest balance")
        DAILY = "harian", _("Daily balance")
        AVERAGE = "rata_rata", _("Average balance")

    class DayCount(models.TextChoices):
        ACT_365 = "act/365", "actual/365"
        D30_360 = "30/360", "30/360"

    class AccountingClass(models.TextChoices):
        EQUITY = "equity", _("Equity")
        LIABILITY = "liability", _("Liability")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=SavingsKind.choices)
    annual_rate = models.DecimalField(
        _("annual interest rate (%)"), max_digits=9, decimal_places=6, default=Decimal("0")
    )
    interest_method = models.CharField(
        max_length=10, choices=InterestMethod.choices, default=InterestMethod.NONE
    )
    day_count = models.CharField(max_length=8, choices=DayCount.choices, default=DayCount.ACT_365)
    term_months = models.PositiveSmallIntegerField(null=True, blank=True)
    minimum_balance = models.DecimalField(**MONEY, default=Decimal("0"))
    accounting_class = models.CharField(
        max_length=10, choices=AccountingClass.choices, default=AccountingClass.EQUITY
    )
    gl_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["cooperative", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="uniq_savings_product")
        ]

    def __str__(self) -> str:
        return self.name


class SavingsAccount(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class OnMaturity(models.TextChoices):
        # ARO (automatic roll-over) is the usual default for a time deposit.
        ROLL_OVER = "rollover", _("Roll over for another term")
        TO_SUKARELA = "sukarela", _("Pay into sukarela savings")

    # No single-column indexes on cooperative and product: the composite indexes below start
    # with them, and every index is one more write for each balance the month-end credits.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="savings_accounts"
    )
    product = models.ForeignKey(SavingsProduct, on_delete=models.PROTECT, db_index=False)
    number = models.CharField(_("account number"), max_length=30)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    maturity_date = models.DateField(null=True, blank=True)
    on_maturity = models.CharField(
        _("at maturity"), max_length=8, choices=OnMaturity.choices, default=OnMaturity.ROLL_OVER
    )
    # Σ of its transactions, maintained in the same transaction as each movement.
    balance = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        ordering = ["cooperative", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="uniq_savings_number"),
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="savings_no_overdraft"),
            # Referred to by the movements' (cooperative, account) foreign key (migration 0005).
            models.UniqueConstraint(fields=["cooperative", "id"], name="uniq_savings_coop_id"),
        ]
        indexes = [models.Index(fields=["cooperative", "product"], name="savings_coop_product")]

    def __str__(self) -> str:
        return f"{self.number} {self.product.name}"

    @property
    def kind(self) -> str:
        return self.product.kind


class SavingsTransaction(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        REFUND = "refund", _("Refund on exit")
        REVERSAL = "reversal", _("Reversal")
        # Written by the loan ledger: a disbursement or excess paid in, an instalment paid out.
        LOAN_CREDIT = "loan_credit", _("From a loan")
        LOAN_DEBIT = "loan_debit", _("Loan repayment")
        # Written by the month-end close.
        INTEREST = "interest", _("Savings interest")
        TAX = "tax", _("Final income tax")
        # The member's SHU paid into savings after the RAT.
        SHU = "shu", _("SHU share")

    # The busiest table (a movement per deposit, a million interest rows a month): no
    # single-column indexes where a composite one starts with the column (cooperative:
    # savings_txn_coop_date, account: savings_txn_stmt), none on actor (never searched by).
    # On PostgreSQL one foreign key (account, cooperative) → the account's (id, cooperative)
    # replaces the two single ones (migration 0005): the movement's tenant must be its
    # account's, and each row costs one check at COMMIT instead of two.
    cooperative = models.ForeignKey(
        "tenancy.Cooperative", on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    account = models.ForeignKey(
        SavingsAccount,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Signed: positive adds to the balance, negative takes from it.
    amount = models.DecimalField(**MONEY)
    balance_after = models.DecimalField(**MONEY)
    business_date = models.DateField()
    journal_entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT)
    note = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, default="teller")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "id"]
        constraints = [
            # One movement per key and account (a transfer writes two movements under one key).
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key", "account"],
                name="uniq_savings_txn_key",
            )
        ]
        indexes = [
            models.Index(fields=["account", "business_date", "id"], name="savings_txn_stmt"),
            # The day-end close reads one day's movements of the whole cooperative.
            models.Index(fields=["cooperative", "business_date"], name="savings_txn_coop_date"),
        ]

    @property
    def receipt_number(self) -> str:
        return f"KW-{self.pk:08d}"


class SavingsDayBalance(models.Model):
    """An account's balance at the end of a day on which it moved, written by the day-end close.

    The month-end interest reads these rows (with the balance the month opened at) instead of
    every movement; days without a row kept the previous balance.
    """

    # Both covered by the composite indexes below, which start with them.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    account = models.ForeignKey(
        SavingsAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    business_date = models.DateField()
    balance = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "business_date"], name="uniq_day_balance")
        ]
        indexes = [
            models.Index(fields=["cooperative", "business_date"], name="day_balance_coop_date")
        ]


class WajibBill(models.Model):
    """The simpanan wajib a member owes for a month, issued by the month-end close."""

    # uniq_wajib_bill starts with the cooperative: no index of its own. On PostgreSQL one
    # foreign key (member, cooperative) → the member's (id, cooperative) (migration 0005).
    cooperative = models.ForeignKey(
        "tenancy.Cooperative", on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    period = models.DateField(help_text="first day of the month billed")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "period", "member"], name="uniq_wajib_bill"
            )
        ]
