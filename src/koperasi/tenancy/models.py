"""Cooperatives (the tenants), staff roles, API tokens and stored idempotent responses."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Cooperative(models.Model):
    class Kind(models.TextChoices):
        KSP = "KSP", "Koperasi Simpan Pinjam"
        KSU = "KSU", "Koperasi Serba Usaha"
        KONSUMEN = "konsumen", "Koperasi Konsumen"
        PRODUSEN = "produsen", "Koperasi Produsen"
        PEMASARAN = "pemasaran", "Koperasi Pemasaran"
        JASA = "jasa", "Koperasi Jasa"

    class Level(models.TextChoices):
        PRIMER = "primer", "Primer"
        SEKUNDER = "sekunder", "Sekunder"

    class TimeZone(models.TextChoices):
        WIB = "Asia/Jakarta", "WIB"
        WITA = "Asia/Makassar", "WITA"
        WIT = "Asia/Jayapura", "WIT"

    class WajibFrequency(models.TextChoices):
        MONTHLY = "monthly", _("monthly")

    class CollectibilityRegime(models.TextChoices):
        BANK = "bank", _("Bank-style buckets by days past due")
        KSP = "ksp", _("KSP regime (Permenkop 14/2009)")

    code = models.SlugField(max_length=40, unique=True, help_text=_("Short code used in URLs"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.KSP)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.PRIMER)
    legal_entity_number = models.CharField(_("legal entity number"), max_length=100, blank=True)
    legal_entity_date = models.DateField(_("legal entity date"), null=True, blank=True)
    nik_koperasi = models.CharField(_("NIK koperasi"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=20, choices=TimeZone.choices, default=TimeZone.WIB
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(default=1)
    closed_loop = models.BooleanField(_("closed loop"), default=True)
    # AD/ART settings.
    pokok_amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("100000"))
    wajib_amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("50000"))
    wajib_frequency = models.CharField(
        max_length=10, choices=WajibFrequency.choices, default=WajibFrequency.MONTHLY
    )
    savings_rate_cap = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("9"))
    loan_rate_cap = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("24"))
    related_party_cap_pct = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("10")
    )
    collectibility_regime = models.CharField(
        _("loan quality regime"),
        max_length=4,
        choices=CollectibilityRegime.choices,
        default=CollectibilityRegime.BANK,
    )
    # A manager approves loans up to this amount; larger ones need the board (admin).
    loan_manager_approval_limit = models.DecimalField(
        _("largest loan a manager may approve"),
        max_digits=20,
        decimal_places=2,
        default=Decimal("50000000"),
    )
    # Postings dated on or before this day are refused (month close).
    books_closed_through = models.DateField(null=True, blank=True)
    # The last day whose day-end close has run: teller work is dated after it, so nothing
    # lands in a day that has been closed (see closing/).
    days_closed_through = models.DateField(null=True, blank=True)
    # The Rp 240,000 final-tax threshold on savings interest applies per member (all their
    # accounts together) or per account; DOMAIN.md leaves it open, the default is per member.
    interest_tax_per_account = models.BooleanField(
        _("interest tax threshold per account"), default=False
    )
    # Last member number issued; incremented under a row lock so numbers never collide.
    member_seq = models.PositiveIntegerField(default=0)
    # Last loan application / loan number issued, the same way.
    application_seq = models.PositiveIntegerField(default=0)
    loan_seq = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator (board)")
    MANAGER = "manager", _("Manager")
    TELLER = "teller", _("Teller")
    LOAN_OFFICER = "loan_officer", _("Loan officer")
    ACCOUNTANT = "accountant", _("Accountant")
    SUPERVISOR = "supervisor", _("Supervisor")


class StaffMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative"], name="uniq_staff_per_coop")
        ]


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no usable token.

    It works until `expires_at` (settings.API_TOKEN_TTL_DAYS after it was issued) unless revoked
    first: by its owner, a manager, the owner's deactivation or a new password.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def revoked_text(self) -> str:
        """What the pages say once it is revoked."""
        return _("The API token %(prefix)s… of %(username)s no longer works.") % {
            "prefix": self.prefix,
            "username": self.user.get_username(),
        }


class IdempotencyRecord(models.Model):
    """The first response to a money-moving API request, replayed for a retry with the same key."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "key"], name="uniq_idempotency_key")
        ]
