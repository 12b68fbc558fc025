"""Collection notes: each contact with a borrower about arrears, with any promise to pay."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.money import format_rupiah
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans.models import CollectionNote, Loan
from koperasi.loans.services.common import amount, who
from koperasi.tenancy.models import Cooperative

NOTE_LIMIT = 500


@transaction.atomic
def add_collection_note(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    kind: str,
    note: str,
    contacted_on: dt.date | None = None,
    promise_date: dt.date | None = None,
    promise_amount: Any = None,
) -> CollectionNote:
    """Record a contact about a loan. The contact is dated today (the business date) or
    earlier, not before the loan was disbursed; a promise is dated on or after the contact
    and, with an amount, the amount is positive. Moves no money."""
    loan = Loan.objects.filter(cooperative=cooperative, pk=loan_id).only(
        "pk", "number", "disbursed_on", "cooperative_id"
    )
    found = loan.first()
    if found is None:
        raise NotFound(_("Loan not found."))
    if kind not in CollectionNote.Kind.values:
        raise ServiceError("invalid_choice", _("Choose how the member was contacted."), "kind")
    text = (note or "").strip()
    if not text:
        raise ServiceError("required", _("Write what was said."), "note")
    if len(text) > NOTE_LIMIT:
        raise ServiceError(
            "too_long",
            _("Keep the note within %(limit)s characters.") % {"limit": NOTE_LIMIT},
            "note",
        )
    today = ledger.business_today(cooperative)
    day = contacted_on or today
    if day > today:
        raise ServiceError(
            "date_in_future",
            _("The contact cannot be dated after today (%(date)s).")
            % {"date": today.strftime("%d/%m/%Y")},
            "contacted_on",
        )
    if day < found.disbursed_on:
        raise ServiceError(
            "before_disbursement",
            _("This loan was disbursed on %(date)s; date the contact on that day or later.")
            % {"date": found.disbursed_on.strftime("%d/%m/%Y")},
            "contacted_on",
        )
    promised: Decimal | None = None
    if promise_amount not in (None, ""):
        promised = amount(promise_amount, "promise_amount")
        if promise_date is None:
            raise ServiceError(
                "required", _("Give the date the member promised to pay."), "promise_date"
            )
    if promise_date is not None and promise_date < day:
        raise ServiceError(
            "promise_before_contact",
            _("A promise to pay is dated on or after the contact."),
            "promise_date",
        )
    created = CollectionNote.objects.create(
        cooperative=cooperative,
        loan=found,
        contacted_on=day,
        kind=kind,
        note=text,
        promise_date=promise_date,
        promise_amount=promised,
        actor=who(actor),
    )
    summary = f"{found.number} {kind} {day.isoformat()}"
    if promise_date is not None:
        summary += f" janji {promise_date.isoformat()}"
        if promised is not None:
            summary += f" {format_rupiah(promised)}"
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.collection_note",
        obj=found,
        summary=summary,
        data={
            "number": found.number,
            "kind": kind,
            "contacted_on": day.isoformat(),
            "promise_date": promise_date.isoformat() if promise_date else None,
            "promise_amount": str(promised) if promised is not None else None,
        },
    )
    return created
