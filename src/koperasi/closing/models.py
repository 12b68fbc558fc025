"""Close runs: each day-end or month-end run, its steps, and the batches each step committed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CloseRun(models.Model):
    """One request to close days (up to a target) or a month, from the CLI or the UI."""

    class Kind(models.TextChoices):
        DAY = "day", _("Day-end")
        MONTH = "month", _("Month-end")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        # Its process died (killed, or the machine stopped); a later run carries on.
        INTERRUPTED = "interrupted", _("Interrupted")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    # The last day to close (day-end) or the month's last day (month-end).
    target = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What is running now, for the live progress page.
    current_date = models.DateField(null=True, blank=True)
    current_step = models.CharField(max_length=40, blank=True)
    done_batches = models.PositiveIntegerField(default=0)
    total_batches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "-created_at"], name="close_run_coop")]
        constraints = [
            # Two runs waiting at once would only make the second find nothing to do.
            models.UniqueConstraint(
                fields=["cooperative"], condition=Q(status="queued"), name="one_waiting_close"
            )
        ]


class CloseStep(models.Model):
    """One step for one business date: done once, whichever run does it (idempotency)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        # Its run's process died; the batches it committed stay, a later run does the rest.
        INTERRUPTED = "interrupted", _("Interrupted")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    run = models.ForeignKey(CloseRun, on_delete=models.PROTECT, related_name="steps")
    business_date = models.DateField()
    step = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)  # a duration for people, never money
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["business_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "business_date", "step"],
                condition=Q(status="done"),
                name="uniq_close_step_done",
            )
        ]


class CloseBatch(models.Model):
    """A committed batch of a step: written in the same transaction as the batch's work, so a
    rerun after a crash skips exactly the batches that are already in the books."""

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    business_date = models.DateField()
    step = models.CharField(max_length=40)
    first_id = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "business_date", "step", "first_id"],
                name="uniq_close_batch",
            )
        ]
