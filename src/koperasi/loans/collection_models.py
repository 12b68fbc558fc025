"""Collection notes: each contact with a borrower about arrears (re-exported by loans.models)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from koperasi.ledger.models import MONEY


class CollectionNote(models.Model):
    """A contact with a borrower about arrears: a call, a visit or a WhatsApp message, what was
    said and, when the member promised to pay, the date and amount promised."""

    class Kind(models.TextChoices):
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        WHATSAPP = "whatsapp", _("WhatsApp")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT, db_index=False)
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="collection_notes", db_index=False
    )
    contacted_on = models.DateField(_("date of contact"))
    kind = models.CharField(_("contact by"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=500)
    promise_date = models.DateField(_("promised payment date"), null=True, blank=True)
    promise_amount = models.DecimalField(_("promised amount"), **MONEY, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "-contacted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promise_amount__isnull=True) | Q(promise_amount__gt=0),
                name="collection_promise_positive",
            )
        ]
        # The latest contact of each loan on the arrears list.
        indexes = [
            models.Index(fields=["loan", "contacted_on", "id"], name="collection_note_latest")
        ]
