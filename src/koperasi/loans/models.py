"""Loan products, applications (with analysis, collateral, guarantors, documents), loans, their
instalment schedules, money movements and restructurings."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from koperasi.ledger.models import MONEY

RATE = {"max_digits": 14, "decimal_places": 8}
PERCENT = {"max_digits": 9, "decimal_places": 4}


class LoanProduct(models.Model):
    class Method(models.TextChoices):
        FLAT = "flat", _("Flat")
        MENURUN = "menurun", _("Declining balance")
        ANUITAS = "anuitas", _("Annuity")

    class RatePeriod(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        WEEKLY = "weekly", _("Weekly")
        DAILY = "daily", _("Daily")

    class Rounding(models.TextChoices):
        NONE = "none", _("No rounding")
        RUPIAH = "1", _("To the rupiah")
        HUNDRED = "100", _("Up to Rp 100")
        THOUSAND = "1000", _("Up to Rp 1.000")

    class FeeMode(models.TextChoices):
        DEDUCTED = "deducted", _("Deducted from the disbursement")
        SEPARATE = "separate", _("Paid separately")

    class PenaltyKind(models.TextChoices):
        NONE = "none", _("No penalty")
        PCT_DAY = "pct_day", _("% of the overdue instalment per day")
        PCT_MONTH = "pct_month", _("% of the overdue instalment per month")
        FLAT = "flat", _("Flat per missed instalment")

    class EarlyPayoff(models.TextChoices):
        INTEREST_TO_DATE = "interest_to_date", _("Principal + interest of the current period")
        FULL_INTEREST = "full_interest", _("Principal + all remaining scheduled interest")

    class Overpayment(models.TextChoices):
        PREPAYMENT = "prepayment", _("Pay the next instalments in advance")
        SAVINGS = "savings", _("Credit the member's sukarela savings")

    class Accounting(models.TextChoices):
        CASH = "cash", _("Cash basis")
        ACCRUAL = "accrual", _("Accrual basis")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    # Stored at full precision as entered (13.84 % a year is not 1.15 % a month).
    rate = models.DecimalField(_("interest rate (%)"), **RATE)
    rate_period = models.CharField(_("rate period"), max_length=5, choices=RatePeriod.choices)
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    rounding = models.CharField(
        _("rounding"), max_length=4, choices=Rounding.choices, default=Rounding.NONE
    )
    min_term = models.PositiveSmallIntegerField(_("shortest term (instalments)"), default=1)
    max_term = models.PositiveSmallIntegerField(_("longest term (instalments)"), default=36)
    max_grace_periods = models.PositiveSmallIntegerField(_("longest grace period"), default=0)
    min_principal = models.DecimalField(_("smallest loan"), **MONEY, default=Decimal("100000"))
    max_principal = models.DecimalField(_("largest loan"), **MONEY)
    skip_holidays = models.BooleanField(_("move due dates off holidays"), default=False)
    provisi_pct = models.DecimalField(_("provisi (%)"), **PERCENT, default=Decimal("0"))
    admin_fee = models.DecimalField(_("administration fee"), **MONEY, default=Decimal("0"))
    fee_mode = models.CharField(
        _("fees"), max_length=10, choices=FeeMode.choices, default=FeeMode.DEDUCTED
    )
    penalty_kind = models.CharField(
        _("penalty"), max_length=10, choices=PenaltyKind.choices, default=PenaltyKind.NONE
    )
    penalty_rate = models.DecimalField(_("penalty rate (%)"), **PERCENT, default=Decimal("0"))
    penalty_flat = models.DecimalField(_("flat penalty"), **MONEY, default=Decimal("0"))
    penalty_grace_days = models.PositiveSmallIntegerField(_("penalty grace days"), default=0)
    penalty_cap_pct = models.DecimalField(
        _("penalty cap (% of the instalment)"), **PERCENT, default=Decimal("0")
    )
    allocation_order = models.CharField(
        _("repayment allocation order"), max_length=40, default="penalty,interest,principal"
    )
    min_membership_months = models.PositiveSmallIntegerField(
        _("minimum months of membership"), default=0
    )
    # 0 means no limit.
    max_savings_multiple = models.DecimalField(
        _("largest loan as a multiple of savings"), **PERCENT, default=Decimal("0")
    )
    max_instalment_income_pct = models.DecimalField(
        _("largest instalment as % of net income"), **PERCENT, default=Decimal("40")
    )
    requires_collateral = models.BooleanField(_("collateral required"), default=False)
    min_collateral_pct = models.DecimalField(
        _("collateral at least (% of the loan)"), **PERCENT, default=Decimal("0")
    )
    min_guarantors = models.PositiveSmallIntegerField(_("guarantors required"), default=0)
    early_payoff = models.CharField(
        _("early payoff"),
        max_length=20,
        choices=EarlyPayoff.choices,
        default=EarlyPayoff.INTEREST_TO_DATE,
    )
    early_payoff_fee_pct = models.DecimalField(
        _("early payoff fee (% of the principal repaid early)"), **PERCENT, default=Decimal("0")
    )
    overpayment = models.CharField(
        _("overpayment"), max_length=12, choices=Overpayment.choices, default=Overpayment.PREPAYMENT
    )
    accounting = models.CharField(
        _("accounting"), max_length=8, choices=Accounting.choices, default=Accounting.CASH
    )
    gl_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["cooperative_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="uniq_loan_product")
        ]

    def __str__(self) -> str:
        return self.name


class LoanApplication(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ANALYSED = "analysed", _("Analysed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DISBURSED = "disbursed", _("Disbursed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Member portal")
        OFFICE = "office", _("Office")
        API = "api", "API"

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    number = models.CharField(_("application number"), max_length=30)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="loan_applications"
    )
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT)
    principal = models.DecimalField(_("amount"), **MONEY)
    term = models.PositiveSmallIntegerField(_("term (instalments)"))
    grace_periods = models.PositiveSmallIntegerField(_("grace periods"), default=0)
    purpose = models.CharField(_("purpose"), max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.OFFICE)
    # Analysis (repayment capacity = income − expenses − other instalments).
    monthly_income = models.DecimalField(_("monthly income"), **MONEY, null=True, blank=True)
    monthly_expenses = models.DecimalField(_("monthly expenses"), **MONEY, null=True, blank=True)
    other_instalments = models.DecimalField(
        _("other instalments per month"), **MONEY, null=True, blank=True
    )
    analysis_note = models.TextField(_("analysis"), blank=True)
    recommendation = models.CharField(max_length=10, blank=True)
    decision_note = models.CharField(_("reason"), max_length=255, blank=True)
    approval_level = models.CharField(max_length=20, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    analysed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_on = models.DateField()
    analysed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cooperative_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="uniq_application_no")
        ]
        indexes = [models.Index(fields=["cooperative", "status", "id"], name="application_queue")]

    def __str__(self) -> str:
        return self.number

    @property
    def repayment_capacity(self) -> Decimal | None:
        if self.monthly_income is None:
            return None
        return (
            self.monthly_income
            - (self.monthly_expenses or Decimal(0))
            - (self.other_instalments or Decimal(0))
        )


class Collateral(models.Model):
    class Kind(models.TextChoices):
        BPKB = "bpkb", _("Vehicle title (BPKB)")
        SHM = "shm", _("Land certificate (SHM)")
        SAVINGS = "savings", _("Savings held")
        SK = "sk", _("Employment decree (SK)")
        OTHER = "other", _("Other")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    application = models.ForeignKey(
        LoanApplication, on_delete=models.CASCADE, related_name="collaterals"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=255)
    value = models.DecimalField(_("valuation"), **MONEY)


class Guarantor(models.Model):
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    application = models.ForeignKey(
        LoanApplication, on_delete=models.CASCADE, related_name="guarantors"
    )
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="uniq_guarantor")
        ]


class ApplicationDocument(models.Model):
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    application = models.ForeignKey(
        LoanApplication, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("document"), max_length=100)
    file = models.FileField(upload_to="loan-documents/%Y/%m/")
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Paid off")
        WRITTEN_OFF = "written_off", _("Written off")

    class Disbursement(models.TextChoices):
        CASH = "cash", _("Cash")
        SAVINGS = "savings", _("To sukarela savings")

    # No single-column indexes where a composite index below starts with the cooperative and
    # the column, or nothing searches by it (a savings account): fewer index writes per loan.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    number = models.CharField(_("loan number"), max_length=30)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, db_index=False)
    application = models.OneToOneField(LoanApplication, on_delete=models.PROTECT)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    # Terms fixed at disbursement (a restructuring changes them and keeps the old schedule).
    principal = models.DecimalField(_("principal"), **MONEY)
    rate = models.DecimalField(**RATE)
    rate_period = models.CharField(max_length=5)
    method = models.CharField(max_length=10)
    frequency = models.CharField(max_length=8)
    rounding = models.CharField(max_length=4)
    term = models.PositiveSmallIntegerField()
    disbursed_on = models.DateField()
    maturity_date = models.DateField()
    disbursed_to = models.CharField(max_length=8, choices=Disbursement.choices)
    # The member's sukarela account: disbursement target and standing instruction source.
    savings_account = models.ForeignKey(
        "savings.SavingsAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    autodebit = models.BooleanField(_("standing instruction from savings"), default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    closed_on = models.DateField(null=True, blank=True)
    schedule_version = models.PositiveSmallIntegerField(default=1)
    # Maintained in the same transaction as each movement (Σ of the loan's transactions).
    outstanding_principal = models.DecimalField(**MONEY)
    accrued_interest = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty_receivable = models.DecimalField(**MONEY, default=Decimal("0"))
    # Quality, refreshed by repayments and by `assess` (the day-end batch later).
    days_past_due = models.PositiveIntegerField(default=0)
    collectibility = models.PositiveSmallIntegerField(default=1)
    doubtful_since = models.DateField(null=True, blank=True)
    salvageable = models.BooleanField(default=True)
    # Σ valuation of the collateral pledged at disbursement (the KSP regime weighs it).
    collateral_value = models.DecimalField(**MONEY, default=Decimal("0"))
    assessed_on = models.DateField(null=True, blank=True)
    # Write-off (hapus buku): the principal taken off the books and what was recovered since.
    written_off_on = models.DateField(null=True, blank=True)
    written_off_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    recovered_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cooperative_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="uniq_loan_number"),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0), name="loan_outstanding_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "status", "id"], name="loan_portfolio"),
            models.Index(fields=["cooperative", "product", "id"], name="loan_by_product"),
            models.Index(fields=["cooperative", "collectibility", "id"], name="loan_by_class"),
            models.Index(fields=["cooperative", "officer", "id"], name="loan_by_officer"),
            models.Index(fields=["cooperative", "days_past_due"], name="loan_by_dpd"),
            # The portfolio summary by class. It carries no amount: a repayment that changes
            # no indexed column is a HOT update (no index written), see docs/performance.md.
            models.Index(
                fields=["cooperative", "status", "collectibility"], name="loan_quality_summary"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Instalment(models.Model):
    """One row of a loan's schedule; rows of superseded versions stay as history."""

    # uniq_instalment starts with the loan; the cooperative is searched with a due date.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="instalments", db_index=False
    )
    version = models.PositiveSmallIntegerField(default=1)
    no = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    # The interest of the row is earned over (period_start, due_date]: the day-end accrual
    # recognises it day by day.
    period_start = models.DateField(null=True, blank=True)
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    payment = models.DecimalField(**MONEY)
    balance = models.DecimalField(**MONEY)
    # Interest of this row recognised as income so far: by the accrual, or when paid before
    # it was accrued. Never less than interest_paid; the difference is interest receivable.
    interest_accrued = models.DecimalField(**MONEY, default=Decimal("0"))
    principal_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    interest_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    # Interest forgiven by an early payoff or taken over by a restructuring.
    interest_waived = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty_through = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan_id", "version", "no"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version", "no"], name="uniq_instalment"),
        ]
        indexes = [
            models.Index(
                fields=["cooperative", "due_date"],
                condition=Q(paid_on__isnull=True),
                name="instalment_unpaid_due",
            ),
            # The rows still earning interest: the day-end accrual reads only these.
            models.Index(
                fields=["cooperative", "period_start"],
                condition=Q(interest_accrued__lt=F("interest") - F("interest_waived")),
                name="instalment_accruing",
            ),
        ]

    @property
    def principal_due(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_due(self) -> Decimal:
        return self.interest - self.interest_paid - self.interest_waived

    @property
    def penalty_due(self) -> Decimal:
        return self.penalty - self.penalty_paid

    @property
    def amount_due(self) -> Decimal:
        return self.principal_due + self.interest_due + self.penalty_due


class LoanTransaction(models.Model):
    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        FEE = "fee", _("Fees")
        REPAYMENT = "repayment", _("Repayment")
        PAYOFF = "payoff", _("Early payoff")
        PENALTY = "penalty", _("Penalty assessed")
        WRITE_OFF = "write_off", _("Write-off")
        RECOVERY = "recovery", _("Recovery after write-off")
        REVERSAL = "reversal", _("Reversal")

    class Channel(models.TextChoices):
        TELLER = "teller", _("Teller")
        SAVINGS = "savings", _("From savings")
        PAYROLL = "payroll", _("Payroll deduction")
        API = "api", "API"
        SYSTEM = "system", _("System")

    # uniq_loan_txn_key starts with the cooperative, loan_txn_history with the loan.
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.TELLER)
    business_date = models.DateField()
    # `principal` is the signed change of the outstanding principal (disbursement +, repayment
    # and write-off −); `interest`, `penalty`, `fee` are amounts received (a penalty row: the
    # amount assessed). A reversal carries the negated figures of the movement it reverses.
    amount = models.DecimalField(**MONEY)
    principal = models.DecimalField(**MONEY, default=Decimal("0"))
    interest = models.DecimalField(**MONEY, default=Decimal("0"))
    penalty = models.DecimalField(**MONEY, default=Decimal("0"))
    fee = models.DecimalField(**MONEY, default=Decimal("0"))
    excess = models.DecimalField(**MONEY, default=Decimal("0"))
    # Per instalment: [{"no", "version", "principal", "interest", "penalty", "waived"}], so a
    # reversal can give back exactly what this movement paid.
    allocation = models.JSONField(default=list, blank=True)
    outstanding_after = models.DecimalField(**MONEY)
    # None only for a penalty assessed on a cash-basis product: it is income when paid.
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True
    )
    idempotency_key = models.CharField(max_length=200)
    note = models.CharField(max_length=255, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key"], name="uniq_loan_txn_key"
            )
        ]
        indexes = [models.Index(fields=["loan", "business_date", "id"], name="loan_txn_history")]

    @property
    def receipt_number(self) -> str:
        return f"KP-{self.pk:08d}"


class Restructuring(models.Model):
    class Kind(models.TextChoices):
        RESCHEDULING = "rescheduling", _("Rescheduling (longer term)")
        RECONDITIONING = "reconditioning", _("Reconditioning (new rate or terms)")
        RESTRUCTURING = "restructuring", _("Restructuring")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="restructurings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    reason = models.CharField(_("reason"), max_length=255)
    # New terms for what is outstanding on the effective date.
    new_term = models.PositiveSmallIntegerField()
    new_rate = models.DecimalField(**RATE)
    new_rate_period = models.CharField(max_length=5)
    new_method = models.CharField(max_length=10)
    grace_periods = models.PositiveSmallIntegerField(default=0)
    from_version = models.PositiveSmallIntegerField()
    to_version = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decision_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)


class WriteOffRequest(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_off_requests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    reason = models.CharField(_("reason"), max_length=255)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decision_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)


class LoanAccrual(models.Model):
    """Interest one instalment earned on one day (the detail behind the day's accrual entry)."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    journal_entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instalment", "business_date"], name="uniq_accrual_per_day"
            )
        ]
        indexes = [
            models.Index(fields=["cooperative", "business_date"], name="accrual_coop_date"),
            models.Index(fields=["loan", "business_date"], name="accrual_loan_date"),
        ]


class QualitySnapshot(models.Model):
    """The portfolio by kolektibilitas class at a day-end, with the allowance it requires."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    business_date = models.DateField()
    collectibility = models.PositiveSmallIntegerField()
    loans = models.PositiveIntegerField()
    outstanding = models.DecimalField(**MONEY)
    collateral = models.DecimalField(**MONEY)
    allowance = models.DecimalField(**MONEY)
    # Outstanding of this class's loans at least 1/30/60/90 days past due (portfolio at risk);
    # None on the snapshots taken before these were kept.
    par1 = models.DecimalField(**MONEY, null=True, blank=True)
    par30 = models.DecimalField(**MONEY, null=True, blank=True)
    par60 = models.DecimalField(**MONEY, null=True, blank=True)
    par90 = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["cooperative", "-business_date", "collectibility"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "business_date", "collectibility"],
                name="uniq_quality_snapshot",
            )
        ]


# Defined beside: this module stays within the size the project allows.
from koperasi.loans.collection_models import CollectionNote  # noqa: E402, F401
