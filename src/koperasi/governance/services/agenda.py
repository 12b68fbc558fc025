"""The agenda: items (motions and elections), their documents and an election's candidates."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import Conflict, InvalidInput, NotFound, ServiceError
from koperasi.governance.models import AgendaDocument, AgendaItem, Candidate, Meeting
from koperasi.governance.services.decisions import parse_decision
from koperasi.governance.services.meetings import lock_meeting
from koperasi.members.models import Member
from koperasi.tabular import too_large
from koperasi.tenancy.models import Cooperative

EDITABLE = (Meeting.Status.DRAFT, Meeting.Status.ANNOUNCED)


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _editable(cooperative: Cooperative, meeting_id: int) -> Meeting:
    meeting = lock_meeting(cooperative, meeting_id)
    if meeting.status not in EDITABLE:
        raise Conflict("meeting_started", _("The meeting has begun: the agenda is fixed."))
    return meeting


def add_item(
    *,
    cooperative: Cooperative,
    actor: Any,
    meeting_id: int,
    title: str,
    kind: str,
    description: str = "",
    office: str = "",
    seats: int = 1,
    decision_kind: str = "",
    decision_value: str = "",
    effective_on: dt.date | None = None,
) -> AgendaItem:
    title = title.strip()
    errors: list[ServiceError] = []
    if not title:
        errors.append(ServiceError("required", _("This field is required."), "title"))
    elif len(title) > 200:
        errors.append(ServiceError("too_long", _("This text is too long."), "title"))
    if kind not in AgendaItem.Kind.values:
        errors.append(ServiceError("invalid_choice", _("Choose one of the listed values."), "kind"))
    if kind == AgendaItem.Kind.ELECTION:
        if office not in AgendaItem.Office.values:
            errors.append(
                ServiceError("required", _("Choose the board or the supervisors."), "office")
            )
        if not 1 <= seats <= 50:
            errors.append(ServiceError("invalid", _("Seats: a number from 1 to 50."), "seats"))
        if decision_kind:
            errors.append(
                ServiceError(
                    "decision_on_election",
                    _("Only a motion can carry a change of settings."),
                    "decision_kind",
                )
            )
    else:
        office, seats = "", 1
    if decision_kind and kind == AgendaItem.Kind.MOTION:
        try:
            parse_decision(decision_kind, decision_value)
        except ServiceError as exc:
            errors.append(exc)
        if effective_on is None:
            errors.append(
                ServiceError("required", _("From which date does it apply?"), "effective_on")
            )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        meeting = _editable(cooperative, meeting_id)
        last = AgendaItem.objects.filter(meeting=meeting).aggregate(n=Max("position"))["n"] or 0
        item = AgendaItem.objects.create(
            cooperative=cooperative,
            meeting=meeting,
            position=last + 1,
            title=title,
            description=description.strip()[:5000],
            kind=kind,
            office=office,
            seats=seats,
            decision_kind=decision_kind if kind == AgendaItem.Kind.MOTION else "",
            decision_value=decision_value.strip() if decision_kind else "",
            effective_on=effective_on if decision_kind else None,
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.item_add",
            obj=item,
            summary=f"{meeting}: {item.position}. {title}",
        )
    return item


def _item_for_edit(cooperative: Cooperative, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(cooperative=cooperative, pk=item_id).first()
    if item is None:
        raise NotFound()
    _editable(cooperative, item.meeting_id)
    return item


def add_document(
    *, cooperative: Cooperative, actor: Any, item_id: int, title: str, upload: UploadedFile
) -> AgendaDocument:
    """A PDF for the members to read (board report, RK/RAPB, the auditor's report...), checked
    by its first bytes and bounded by the upload limit (MAX_UPLOAD_BYTES)."""
    title = title.strip()
    if not title:
        raise ServiceError("required", _("Name the document."), "title")
    refusal = too_large(upload.size or 0)
    if refusal is not None or upload.size is None:
        raise ServiceError(
            "file_too_large",
            _("The file is too large (at most %(mb)s MB).")
            % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
            "file",
        )
    head = upload.read(5)
    upload.seek(0)
    if not head.startswith(b"%PDF-"):
        raise ServiceError("file_type", _("Upload a PDF file."), "file")
    with transaction.atomic():
        item = _item_for_edit(cooperative, item_id)
        document = AgendaDocument(
            cooperative=cooperative, item=item, title=title[:150], uploaded_by=_who(actor)
        )
        document.file.save(f"rat-{item.meeting_id}-{item.pk}.pdf", upload, save=True)
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.document_add",
            obj=item,
            summary=f"{item.title}: {document.title}",
        )
    return document


def add_statement(
    *, cooperative: Cooperative, actor: Any, item_id: int, statement: str
) -> AgendaDocument:
    """A financial statement of the meeting's year, generated by the reports when opened."""
    if statement not in (AgendaDocument.Generated.POSITION, AgendaDocument.Generated.ACTIVITY):
        raise ServiceError("invalid_choice", _("Choose one of the listed values."), "statement")
    with transaction.atomic():
        item = _item_for_edit(cooperative, item_id)
        document, _created = AgendaDocument.objects.get_or_create(
            cooperative=cooperative,
            item=item,
            generated=statement,
            defaults={
                "title": str(AgendaDocument.Generated(statement).label),
                "uploaded_by": _who(actor),
            },
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.document_add",
            obj=item,
            summary=f"{item.title}: {document.title}",
        )
    return document


def add_candidate(
    *, cooperative: Cooperative, actor: Any, item_id: int, member_id: int
) -> Candidate:
    with transaction.atomic():
        item = _item_for_edit(cooperative, item_id)
        if item.kind != AgendaItem.Kind.ELECTION:
            raise ServiceError("not_election", _("Candidates stand in an election only."))
        member = Member.objects.filter(cooperative=cooperative, pk=member_id).first()
        if member is None:
            raise NotFound(_("No such member in this cooperative."), "member")
        if member.status != Member.Status.ACTIVE:
            raise ServiceError(
                "member_inactive", _("Only an active member can stand for election."), "member"
            )
        if Candidate.objects.filter(item=item, member=member).exists():
            raise Conflict("duplicate", _("This member is already a candidate."), "member")
        candidate = Candidate.objects.create(cooperative=cooperative, item=item, member=member)
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.candidate_add",
            obj=item,
            summary=f"{item.title}: {member.number} {member.name}",
        )
    return candidate
