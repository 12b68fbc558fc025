"""The year's surplus (SHU): what the year-end close found, the members' and non-members' parts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


def default_allocation() -> dict[str, str]:
    """DOMAIN.md's example split (reserve 40, members 40, four funds of 5): a starting point
    until the cooperative enters its AD/ART's percentages."""
    return {
        "cadangan": "40",
        "jasa_modal": "20",
        "jasa_usaha": "20",
        "dana_pengurus": "5",
        "dana_karyawan": "5",
        "dana_pendidikan": "5",
        "dana_sosial": "5",
    }


def default_weights() -> dict[str, str]:
    return {"loan_interest": "1", "loan_principal": "0"}


class ShuSettings(models.Model):
    """How a cooperative shares its SHU (its AD/ART): the allocation in percent, which savings
    count for jasa modal and how (their balance at the year end, or the average of the twelve
    month-end balances), which transactions count for jasa usaha with what weight, and the
    rounding of each member's share."""

    class SavingsBasis(models.TextChoices):
        YEAR_END = "year_end", _("Balance at the year end")
        AVERAGE = "average", _("Average of the twelve month-end balances")

    cooperative = models.OneToOneField("tenancy.Cooperative", on_delete=models.PROTECT)
    allocation = models.JSONField(default=default_allocation)
    savings_kinds = models.JSONField(default=list)  # empty: pokok and wajib
    savings_basis = models.CharField(
        max_length=8, choices=SavingsBasis.choices, default=SavingsBasis.YEAR_END
    )
    transaction_weights = models.JSONField(default=default_weights)
    rounding = models.CharField(max_length=6, default="1")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    changed_at = models.DateTimeField(auto_now=True)


class ShuDistribution(models.Model):
    """A closed year's SHU distributed after the RAT approved it: one journal entry (the year's
    SHU out of equity into the reserve, the funds and the members' payable) and a payable share
    per member."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    shu_year = models.OneToOneField(ShuYear, on_delete=models.PROTECT, related_name="distribution")
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT)
    idempotency_key = models.CharField(max_length=200)
    approved_on = models.DateField()
    approval_reference = models.CharField(max_length=200)
    members_total = models.DecimalField(**MONEY)
    to_reserve = models.DecimalField(**MONEY)
    # Chosen at the distribution: shares paid into the members' sukarela savings at once (those
    # without an open sukarela account stay payable and are paid at the teller).
    into_savings = models.BooleanField(default=False)
    # The rules the shares were computed by (allocation, savings kinds, weights, rounding),
    # kept so the year's SHU and each member's working stay as distributed whatever the
    # cooperative's rules become later.
    rules = models.JSONField(default=dict)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)


class ShuShare(models.Model):
    """One member's SHU of a distributed year, payable until paid (at the teller or into
    savings). The amounts never change after the distribution; only the payment is recorded,
    once."""

    class PaidVia(models.TextChoices):
        SAVINGS = "savings", _("Into sukarela savings")
        CASH = "cash", _("In cash at the teller")

    # A million rows in one distribution, each foreign key a check at COMMIT: on PostgreSQL one
    # composite key (cooperative, member) → the member's (cooperative, id) stands for two
    # (migration 0007: the share's cooperative must be its member's); the payment's entry and
    # user are written only by the payment services from a posted entry (never deleted: the
    # books refuse it) and the acting user, and carry no database check.
    cooperative = models.ForeignKey(
        "tenancy.Cooperative", on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    distribution = models.ForeignKey(
        ShuDistribution, on_delete=models.PROTECT, related_name="shares", db_index=False
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    jasa_modal = models.DecimalField(**MONEY)
    jasa_usaha = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    paid_on = models.DateField(null=True, blank=True)
    paid_via = models.CharField(max_length=8, choices=PaidVia.choices, blank=True)
    payment_entry = models.ForeignKey(
        "ledger.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    # The teller's request key of a cash payment (its retry answers with the same payment).
    payment_key = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["distribution", "member"], name="uniq_shu_share")
        ]
        indexes = [models.Index(fields=["cooperative", "member"], name="shu_share_member")]
