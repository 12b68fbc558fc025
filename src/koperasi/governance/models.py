"""The members' meeting (RAT): the meeting, its agenda, attendance and the secret ballot.

Secrecy: `Vote` records WHO voted on an item (one row per member, unique, so a second vote is
refused by the database itself) and `Ballot` records HOW, with no member, no time and a random
key, written in the same transaction. Nothing in the database joins the two.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from koperasi.domain import meeting as rules


class GovernanceSettings(models.Model):
    """The AD/ART's rules for meetings; a cooperative without a row has the defaults."""

    class Weighting(models.TextChoices):
        EQUAL = "equal", _("One member, one vote")
        WEIGHTED = "weighted", _("Weighted by each member's stored vote weight")

    cooperative = models.OneToOneField(
        "tenancy.Cooperative", on_delete=models.CASCADE, related_name="governance_settings"
    )
    deadline_months = models.PositiveSmallIntegerField(
        _("months after the year end to hold the RAT"), default=rules.HARD_LIMIT_MONTHS
    )
    warn_days = models.PositiveSmallIntegerField(
        _("warn this many days before the deadline"), default=90
    )
    quorum_percent = models.DecimalField(
        _("quorum: more than this percentage of active members"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
    )
    vote_weighting = models.CharField(
        _("vote weighting"), max_length=10, choices=Weighting.choices, default=Weighting.EQUAL
    )


class VoteWeight(models.Model):
    """A member's vote weight where votes are weighted (a secondary cooperative's member
    cooperative, e.g. by its own number of members)."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.CASCADE)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE)
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "member"], name="uniq_vote_weight")
        ]


class Meeting(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual members' meeting (RAT)")
        EXTRAORDINARY = "extraordinary", _("Extraordinary members' meeting")

    class Mode(models.TextChoices):
        OFFLINE = "offline", _("At the venue")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid (venue and online)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ANNOUNCED = "announced", _("Announced")
        OPEN = "open", _("In session")
        CLOSED = "closed", _("Closed")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.ANNUAL)
    financial_year = models.PositiveSmallIntegerField(_("financial year approved"))
    starts_at = models.DateTimeField(_("date and time"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.HYBRID)
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Copied from the settings when the meeting is created; the eligible count when it opens.
    quorum_percent = models.DecimalField(max_digits=5, decimal_places=2)
    eligible_members = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    notified = models.PositiveIntegerField(default=0)  # emails sent when announced
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    chair_signed_at = models.DateTimeField(null=True, blank=True)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    secretary_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "status"], name="meeting_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.financial_year}"


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        MOTION = "motion", _("Motion (agree / disagree / abstain)")
        ELECTION = "election", _("Election")

    class Office(models.TextChoices):
        BOARD = "pengurus", _("Board (pengurus)")
        SUPERVISORS = "pengawas", _("Supervisors (pengawas)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet open")
        OPEN = "open", _("Voting open")
        CLOSED = "closed", _("Voting closed")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOTION)
    office = models.CharField(_("office"), max_length=10, choices=Office.choices, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when voting closes: the outcome (domain.meeting) and the figures it was read from.
    outcome = models.CharField(max_length=10, blank=True)
    present_at_close = models.PositiveIntegerField(null=True, blank=True)
    # A change of settings the motion decides, applied once approved and effective.
    decision_kind = models.CharField(_("decision"), max_length=40, blank=True)
    decision_value = models.CharField(_("new value"), max_length=100, blank=True)
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    decision_applied_at = models.DateTimeField(null=True, blank=True)
    decision_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="uniq_item_position")
        ]


class AgendaDocument(models.Model):
    class Generated(models.TextChoices):
        NONE = "", _("Uploaded file")
        POSITION = "position", _("Statement of financial position")
        ACTIVITY = "activity", _("Statement of activities (surplus)")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("document"), max_length=150)
    file = models.FileField(upload_to="rat-documents/%Y/", blank=True)
    generated = models.CharField(max_length=10, choices=Generated.choices, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Candidate(models.Model):
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["item", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="uniq_candidate")]


class Attendance(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        VENUE = "venue", _("At the venue")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=6, choices=Channel.choices)
    weight = models.PositiveIntegerField(default=1)
    checked_in_at = models.DateTimeField(auto_now_add=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="uniq_attendance")
        ]


class Vote(models.Model):
    """Who voted on an item: never how (see `Ballot`), and no time, so no order to match."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            # One member, one vote, even for two requests at the same instant.
            models.UniqueConstraint(fields=["item", "member"], name="uniq_vote_per_member")
        ]


class Ballot(models.Model):
    """How one vote was cast: no member, no time, a random key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    # A motion: agree / disagree / abstain. An election: "vote" (its marks) or "abstain".
    choice = models.CharField(max_length=10)
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["item", "choice"], name="ballot_item_choice")]


class BallotMark(models.Model):
    """One candidate chosen on an election ballot (up to the item's seats per ballot)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks")
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "candidate"], name="uniq_ballot_mark")
        ]
