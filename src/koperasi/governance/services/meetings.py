"""The meeting's life: settings, the record, notice, opening, closing and the minutes' sign-off.

draft → announced (notice: portal banner, email, WhatsApp link) → open (quorum base fixed)
→ closed (every item closed first) → minutes signed by the chair and the minute-taker.
"""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from koperasi.audit import services as audit
from koperasi.domain import meeting as rules
from koperasi.errors import Conflict, InvalidInput, NotFound, ServiceError
from koperasi.governance.models import AgendaItem, GovernanceSettings, Meeting, VoteWeight
from koperasi.ledger import services as ledger
from koperasi.members.models import Member
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative

log = logging.getLogger("koperasi.governance")
EMAIL_BATCH = 200


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- settings ---------------------------------------------------------------------------------


def update_settings(
    *,
    cooperative: Cooperative,
    actor: Any,
    deadline_months: int,
    warn_days: int,
    quorum_percent: Any,
    vote_weighting: str,
) -> GovernanceSettings:
    errors: list[ServiceError] = []
    if not 1 <= deadline_months <= rules.HARD_LIMIT_MONTHS:
        errors.append(
            ServiceError(
                "deadline_out_of_range",
                _("The RAT must be held within 1 to 6 months after the year end."),
                "deadline_months",
            )
        )
    if not 0 <= warn_days <= 366:
        errors.append(
            ServiceError("invalid", _("Enter a number of days from 0 to 366."), "warn_days")
        )
    try:
        percent = tenancy.parse_percent(quorum_percent, field="quorum_percent", places=2)
        if not Decimal(0) <= percent < Decimal(100):
            raise ServiceError(
                "quorum_out_of_range",
                _("The quorum is more than a percentage from 0 to 99,99 of active members."),
                "quorum_percent",
            )
    except ServiceError as exc:
        errors.append(exc)
    if vote_weighting not in GovernanceSettings.Weighting.values:
        errors.append(
            ServiceError("invalid_choice", _("Choose one of the listed values."), "vote_weighting")
        )
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        row, _created = GovernanceSettings.objects.select_for_update().get_or_create(
            cooperative=cooperative
        )
        row.deadline_months = deadline_months
        row.warn_days = warn_days
        row.quorum_percent = percent
        row.vote_weighting = vote_weighting
        row.save()
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.settings",
            obj=row,
            summary=f"{deadline_months} / {percent} / {vote_weighting}",
        )
    return row


def set_vote_weight(
    *, cooperative: Cooperative, actor: Any, member_id: int, weight: int
) -> VoteWeight:
    member = Member.objects.filter(cooperative=cooperative, pk=member_id).first()
    if member is None:
        raise NotFound(_("No such member in this cooperative."), "member")
    if not 1 <= weight <= 1_000_000:
        raise ServiceError("invalid", _("A vote weight is a whole number from 1."), "weight")
    with transaction.atomic():
        row, _created = VoteWeight.objects.update_or_create(
            cooperative=cooperative, member=member, defaults={"weight": weight}
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.vote_weight",
            obj=member,
            summary=f"{member.number}: {weight}",
        )
    return row


# --- the meeting record -----------------------------------------------------------------------


def _settings(cooperative: Cooperative) -> GovernanceSettings:
    found = GovernanceSettings.objects.filter(cooperative=cooperative).first()
    return found or GovernanceSettings(cooperative=cooperative)


def _check_fields(
    cooperative: Cooperative,
    *,
    kind: str,
    financial_year: int,
    starts_at: dt.datetime,
    mode: str,
    place: str,
    online_link: str,
) -> None:
    errors: list[ServiceError] = []
    if kind not in Meeting.Kind.values:
        errors.append(ServiceError("invalid_choice", _("Choose one of the listed values."), "kind"))
    if mode not in Meeting.Mode.values:
        errors.append(ServiceError("invalid_choice", _("Choose one of the listed values."), "mode"))
    today = ledger.local_today(cooperative)
    first = (cooperative.legal_entity_date or timezone.localdate(cooperative.created_at)).year
    if not first - 1 <= financial_year <= today.year:
        errors.append(
            ServiceError(
                "year_out_of_range",
                _("Choose a financial year from %(first)s to %(last)s.")
                % {"first": first - 1, "last": today.year},
                "financial_year",
            )
        )
    if timezone.is_naive(starts_at) or starts_at.year > today.year + 2:
        errors.append(
            ServiceError("invalid_date", _("Enter a date and time for the meeting."), "starts_at")
        )
    elif starts_at.date() < dt.date(financial_year, 1, 1):
        errors.append(
            ServiceError(
                "before_year",
                _("The meeting cannot be before the financial year it approves."),
                "starts_at",
            )
        )
    if mode in (Meeting.Mode.OFFLINE, Meeting.Mode.HYBRID) and not place.strip():
        errors.append(ServiceError("required", _("Where is the meeting held?"), "place"))
    if mode in (Meeting.Mode.ONLINE, Meeting.Mode.HYBRID) and not online_link.strip():
        errors.append(ServiceError("required", _("Give the online meeting's link."), "online_link"))
    if online_link and not online_link.startswith(("https://", "http://")):
        errors.append(
            ServiceError("invalid", _("Enter a link starting with https://."), "online_link")
        )
    if len(place) > 200 or len(online_link) > 300:
        errors.append(ServiceError("too_long", _("This text is too long."), "place"))
    if errors:
        raise InvalidInput(errors)


def create_meeting(
    *,
    cooperative: Cooperative,
    actor: Any,
    kind: str,
    financial_year: int,
    starts_at: dt.datetime,
    mode: str,
    place: str = "",
    online_link: str = "",
) -> Meeting:
    fields = dict(
        kind=kind,
        financial_year=financial_year,
        starts_at=starts_at,
        mode=mode,
        place=place.strip(),
        online_link=online_link.strip(),
    )
    _check_fields(cooperative, **fields)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            cooperative=cooperative,
            created_by=_who(actor),
            quorum_percent=_settings(cooperative).quorum_percent,
            **fields,
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.meeting_create",
            obj=meeting,
            summary=f"{kind} {financial_year} {starts_at:%Y-%m-%d %H:%M}",
        )
    return meeting


def lock_meeting(cooperative: Cooperative, meeting_id: int) -> Meeting:
    found = (
        Meeting.objects.select_for_update().filter(cooperative=cooperative, pk=meeting_id).first()
    )
    if found is None:
        raise NotFound()
    return found


def update_meeting(
    *, cooperative: Cooperative, actor: Any, meeting_id: int, **fields: Any
) -> Meeting:
    with transaction.atomic():
        meeting = lock_meeting(cooperative, meeting_id)
        if meeting.status not in (Meeting.Status.DRAFT, Meeting.Status.ANNOUNCED):
            raise Conflict("meeting_started", _("The meeting has begun: it cannot be changed."))
        values = {
            "kind": meeting.kind,
            "financial_year": meeting.financial_year,
            "starts_at": meeting.starts_at,
            "mode": meeting.mode,
            "place": meeting.place,
            "online_link": meeting.online_link,
        }
        values.update({k: v.strip() if isinstance(v, str) else v for k, v in fields.items()})
        _check_fields(cooperative, **values)
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting.save()
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.meeting_update",
            obj=meeting,
            summary=", ".join(sorted(fields)),
        )
    return meeting


# --- notice -----------------------------------------------------------------------------------


def invitation_text(meeting: Meeting, portal_url: str) -> str:
    """The invitation as sent by email and shared on WhatsApp."""
    when = timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y %H:%M")
    lines = [
        _("Invitation: %(meeting)s %(coop)s, financial year %(year)s")
        % {
            "meeting": meeting.get_kind_display(),
            "coop": meeting.cooperative.name,
            "year": meeting.financial_year,
        },
        _("When: %(when)s") % {"when": when},
    ]
    if meeting.place:
        lines.append(_("Place: %(place)s") % {"place": meeting.place})
    if meeting.online_link:
        lines.append(_("Online: %(link)s") % {"link": meeting.online_link})
    lines.append(_("Agenda, documents and check-in: %(url)s") % {"url": portal_url})
    return "\n".join(str(line) for line in lines)


@task()
def send_notices(meeting_id: int, portal_url: str) -> None:
    """Email every active member with an address: a background task (`koperasi worker`; a
    million members' mail is no work for a web request), enqueued when the announcement
    commits. A mail server that is down is logged, never fails the announcement (the banner
    and the link still work); `Meeting.notified` counts what was sent."""
    meeting = Meeting.objects.select_related("cooperative").get(pk=meeting_id)
    subject = str(
        _("Invitation: %(meeting)s %(year)s")
        % {"meeting": meeting.get_kind_display(), "year": meeting.financial_year}
    )
    body = invitation_text(meeting, portal_url)
    addresses = (
        Member.objects.filter(cooperative=meeting.cooperative, status=Member.Status.ACTIVE)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )
    sent = 0
    batch: list[EmailMessage] = []
    try:
        connection = get_connection()
        for address in addresses.iterator(chunk_size=EMAIL_BATCH):
            batch.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
            if len(batch) >= EMAIL_BATCH:
                sent += connection.send_messages(batch) or 0
                batch = []
        if batch:
            sent += connection.send_messages(batch) or 0
    except OSError as exc:  # smtplib's errors are OSErrors
        log.warning("RAT notice: email stopped after %s: %s", sent, exc)
    Meeting.objects.filter(pk=meeting_id).update(notified=sent)


def announce_meeting(
    *, cooperative: Cooperative, actor: Any, meeting_id: int, portal_url: str
) -> Meeting:
    with transaction.atomic():
        meeting = lock_meeting(cooperative, meeting_id)
        if meeting.status != Meeting.Status.DRAFT:
            raise Conflict("already_announced", _("This meeting has already been announced."))
        if not AgendaItem.objects.filter(meeting=meeting).exists():
            raise ServiceError("no_agenda", _("Add the agenda before announcing the meeting."))
        if meeting.starts_at < timezone.now():
            raise ServiceError(
                "in_the_past", _("The meeting's date has passed: change it first."), "starts_at"
            )
        meeting.status = Meeting.Status.ANNOUNCED
        meeting.announced_at = timezone.now()
        meeting.save(update_fields=["status", "announced_at"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.meeting_announce",
            obj=meeting,
            summary=str(meeting),
        )
        transaction.on_commit(lambda: send_notices.enqueue(meeting.pk, portal_url))
    return meeting


# --- opening, closing, minutes ----------------------------------------------------------------


def open_meeting(*, cooperative: Cooperative, actor: Any, meeting_id: int) -> Meeting:
    """The chair opens the session: the quorum's base (active members now) is fixed."""
    with transaction.atomic():
        meeting = lock_meeting(cooperative, meeting_id)
        if meeting.status == Meeting.Status.DRAFT:
            raise ServiceError("not_announced", _("Announce the meeting before opening it."))
        if meeting.status != Meeting.Status.ANNOUNCED:
            raise Conflict("already_open", _("This meeting has already been opened."))
        meeting.status = Meeting.Status.OPEN
        meeting.opened_at = timezone.now()
        meeting.eligible_members = Member.objects.filter(
            cooperative=cooperative, status=Member.Status.ACTIVE
        ).count()
        meeting.save(update_fields=["status", "opened_at", "eligible_members"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.meeting_open",
            obj=meeting,
            summary=f"{meeting} ({meeting.eligible_members})",
        )
    return meeting


def close_meeting(*, cooperative: Cooperative, actor: Any, meeting_id: int) -> Meeting:
    with transaction.atomic():
        meeting = lock_meeting(cooperative, meeting_id)
        if meeting.status == Meeting.Status.CLOSED:
            raise Conflict("already_closed", _("This meeting is already closed."))
        if meeting.status != Meeting.Status.OPEN:
            raise ServiceError("not_open", _("The meeting has not been opened."))
        if (
            AgendaItem.objects.filter(meeting=meeting)
            .exclude(status=AgendaItem.Status.CLOSED)
            .exists()
        ):
            raise ServiceError("items_open", _("Close the voting on every agenda item first."))
        meeting.status = Meeting.Status.CLOSED
        meeting.closed_at = timezone.now()
        meeting.save(update_fields=["status", "closed_at"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.meeting_close",
            obj=meeting,
            summary=str(meeting),
        )
    return meeting


SIGNERS = ("chair", "secretary")


def sign_minutes(*, cooperative: Cooperative, actor: Any, meeting_id: int, as_role: str) -> Meeting:
    """The chair or the minute-taker signs the minutes: two different people, once each."""
    if as_role not in SIGNERS:
        raise ServiceError("invalid_choice", _("Choose one of the listed values."), "as_role")
    if _who(actor) is None:
        raise ServiceError("forbidden", _("Only a logged-in person can sign."), status=403)
    with transaction.atomic():
        meeting = lock_meeting(cooperative, meeting_id)
        if meeting.status != Meeting.Status.CLOSED:
            raise ServiceError("not_closed", _("The minutes are signed after the meeting closes."))
        if getattr(meeting, f"{as_role}_id") is not None:
            raise Conflict("already_signed", _("This signature has already been given."))
        other = "secretary" if as_role == "chair" else "chair"
        if getattr(meeting, f"{other}_id") == actor.pk:
            raise ServiceError(
                "same_signer",
                _("The chair and the minute-taker must be two different people."),
            )
        setattr(meeting, as_role, actor)
        setattr(meeting, f"{as_role}_signed_at", timezone.now())
        meeting.save(update_fields=[as_role, f"{as_role}_signed_at"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.minutes_sign",
            obj=meeting,
            summary=f"{meeting}: {as_role}",
            data={"role": as_role},
        )
    return meeting
