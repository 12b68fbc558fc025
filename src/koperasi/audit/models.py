"""Append-only audit log of every write: who, when, what, from which address."""

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    # Only audit_coop_recent is searched (every write adds a row, so every index costs).
    cooperative = models.ForeignKey(
        "tenancy.Cooperative", on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["cooperative", "-id"], name="audit_coop_recent")]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("audit log entries are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
