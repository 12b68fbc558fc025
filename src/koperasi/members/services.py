"""Writes for members: the member record, profile changes, status and portal logins.

Joining and leaving also move savings and depend on loans: `koperasi.membership` runs those
workflows and calls the functions here for the member's own part.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.nik import NikInfo, birth_date_candidates, nik_warnings, parse_nik
from koperasi.domain.phone import normalize_phone
from koperasi.errors import InvalidInput, NotFound, ServiceError
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative

User = get_user_model()

REQUIRED_TEXT = ("name", "district", "regency", "province")


@dataclass
class MemberInput:
    """Raw values as typed in a form, an API body or an import row; the service validates."""

    name: str = ""
    nik: str = ""
    sex: str = ""
    birth_date: dt.date | str | None = None
    birth_place: str = ""
    phone: str = ""
    address: str = ""
    village: str = ""
    district: str = ""
    regency: str = ""
    province: str = ""
    occupation: str = ""


@dataclass
class CleanMember:
    values: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)


def _parse_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def clean_member_input(
    cooperative: Cooperative,
    data: MemberInput,
    *,
    exclude_member_id: int | None = None,
    existing_niks: set[str] | None = None,
) -> CleanMember:
    """Validate every field at once, so a form or an import row reports all its problems.

    `existing_niks` (the cooperative's registered NIKs, read once) lets a bulk import skip the
    per-row duplicate query.
    """
    errors: list[ServiceError] = []
    values: dict[str, Any] = {}
    for name in REQUIRED_TEXT:
        text = (getattr(data, name) or "").strip()
        if not text:
            errors.append(ServiceError("required", _("This field is required."), name))
        values[name] = text
    for name in ("birth_place", "address", "village", "occupation"):
        values[name] = (getattr(data, name) or "").strip()

    info: NikInfo | None = None
    try:
        info = parse_nik(data.nik)
        values["nik"] = info.nik
    except DomainError as exc:
        errors.append(ServiceError.from_domain(exc, "nik"))

    sex = (data.sex or "").strip().upper()
    if not sex and info is not None:
        sex = info.sex
    if sex not in (Member.Sex.MALE, Member.Sex.FEMALE):
        errors.append(ServiceError("invalid_sex", _("Choose L (male) or P (female)."), "sex"))
    values["sex"] = sex

    birth_date = _parse_date(data.birth_date)
    if data.birth_date in (None, "") and info is not None:
        candidates = birth_date_candidates(info, dt.date.today())
        birth_date = candidates[-1] if candidates else None
    if birth_date is None:
        errors.append(
            ServiceError("invalid_date", _("Enter the date of birth as DD/MM/YYYY."), "birth_date")
        )
    elif birth_date > dt.date.today():
        errors.append(
            ServiceError("future_date", _("The date of birth is in the future."), "birth_date")
        )
    values["birth_date"] = birth_date

    phone = (data.phone or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except DomainError as exc:
            errors.append(ServiceError.from_domain(exc, "phone"))
    values["phone"] = phone

    if info is not None:
        if existing_niks is not None:
            is_duplicate = info.nik in existing_niks
        else:
            duplicates = Member.objects.filter(cooperative=cooperative, nik=info.nik)
            if exclude_member_id:
                duplicates = duplicates.exclude(pk=exclude_member_id)
            is_duplicate = duplicates.exists()
        if is_duplicate:
            errors.append(
                ServiceError(
                    "duplicate_nik",
                    _("A member with this NIK is already registered in this cooperative."),
                    "nik",
                )
            )
    if errors:
        raise InvalidInput(errors)
    warnings: list[dict[str, str]] = []
    if info is not None:
        messages = {
            "nik_sex_mismatch": str(_("The sex does not match the NIK.")),
            "nik_birth_date_mismatch": str(_("The date of birth does not match the NIK.")),
        }
        for code, message in nik_warnings(info, sex=sex, birth_date=birth_date):
            warnings.append({"code": code, "message": messages.get(code, message)})
    return CleanMember(values, warnings)


def _next_member_number(cooperative: Cooperative) -> str:
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    coop.member_seq += 1
    coop.save(update_fields=["member_seq"])
    return f"A{coop.member_seq:04d}"


@transaction.atomic
def create_member(
    *,
    cooperative: Cooperative,
    actor: Any,
    data: MemberInput,
    joined_on: dt.date | None = None,
) -> Member:
    """The member record of an applicant (`membership.services.register_member` also opens
    the accounts every member has)."""
    clean = clean_member_input(cooperative, data)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                cooperative=cooperative,
                number=_next_member_number(cooperative),
                nik_warnings=clean.warnings,
                joined_on=joined_on,
                **clean.values,
            )
    except IntegrityError as exc:
        raise ServiceError(
            "duplicate_nik",
            _("A member with this NIK is already registered in this cooperative."),
            "nik",
        ) from exc
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.register",
        obj=member,
        summary=f"{member.number} {member.name}",
    )
    return member


@transaction.atomic
def create_members_bulk(
    *,
    cooperative: Cooperative,
    actor: Any,
    members: list[tuple[CleanMember, dt.date | None]],
) -> list[Member]:
    """The records of many already-validated applicants at once (bulk import): set-based
    inserts, numbered as `create_member` numbers them. The caller records one audit entry."""
    if not members:
        return []
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    first = coop.member_seq + 1
    coop.member_seq += len(members)
    coop.save(update_fields=["member_seq"])
    try:
        with transaction.atomic():
            created = Member.objects.bulk_create(
                Member(
                    cooperative=cooperative,
                    number=f"A{first + i:04d}",
                    nik_warnings=clean.warnings,
                    joined_on=joined_on,
                    **clean.values,
                )
                for i, (clean, joined_on) in enumerate(members)
            )
    except IntegrityError as exc:
        raise ServiceError(
            "duplicate_nik",
            _("A member with this NIK is already registered in this cooperative."),
            "nik",
        ) from exc
    if created and created[0].pk is None:  # a database that cannot return keys from bulk inserts
        numbers = [m.number for m in created]
        created = list(Member.objects.filter(cooperative=cooperative, number__in=numbers))
    return created


def activate_members_bulk(*, cooperative: Cooperative, member_ids: list[int], on: dt.date) -> None:
    """Applicants whose simpanan pokok was just paid in full become members (bulk import)."""
    Member.objects.filter(
        cooperative=cooperative, pk__in=member_ids, status=Member.Status.APPLICANT
    ).update(status=Member.Status.ACTIVE, joined_on=Coalesce("joined_on", Value(on)))


@transaction.atomic
def update_member(
    *, cooperative: Cooperative, actor: Any, member: Member, data: MemberInput
) -> Member:
    _check_tenant(cooperative, member)
    clean = clean_member_input(cooperative, data, exclude_member_id=member.pk)
    before = {k: str(getattr(member, k)) for k in clean.values}
    for key, value in clean.values.items():
        setattr(member, key, value)
    member.nik_warnings = clean.warnings
    member.save()
    changed = {k: [before[k], str(v)] for k, v in clean.values.items() if before[k] != str(v)}
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.update",
        obj=member,
        summary=member.number,
        data={"changed": changed},
    )
    return member


def clean_contact(phone: str, email: str) -> dict[str, str]:
    """A member's own phone (normalised, as everywhere) and email; both may be left empty."""
    errors: list[ServiceError] = []
    values = {"phone": (phone or "").strip(), "email": (email or "").strip()}
    if values["phone"]:
        try:
            values["phone"] = normalize_phone(values["phone"])
        except DomainError as exc:
            errors.append(ServiceError.from_domain(exc, "phone"))
    if values["email"]:
        try:
            validate_email(values["email"])
        except DjangoValidationError:
            errors.append(
                ServiceError(
                    "invalid_email", _("Enter an email address such as nama@contoh.id."), "email"
                )
            )
        local, _at, domain = values["email"].rpartition("@")
        values["email"] = f"{local}@{domain.lower()}"
    if errors:
        raise InvalidInput(errors)
    return values


@transaction.atomic
def update_contact(
    *, cooperative: Cooperative, actor: Any, member: Member, phone: str, email: str
) -> Member:
    """The member changes their own phone and email (the portal); the audit log keeps what
    each was before and after. Nothing is written when nothing changed."""
    _check_tenant(cooperative, member)
    values = clean_contact(phone, email)
    member = Member.objects.select_for_update().get(pk=member.pk)
    changed = {
        name: [getattr(member, name), value]
        for name, value in values.items()
        if getattr(member, name) != value
    }
    if not changed:
        return member
    for name, (_before, after) in changed.items():
        setattr(member, name, after)
    member.save(update_fields=list(changed))
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.contact",
        obj=member,
        summary=member.number,
        data={"changed": changed},
    )
    return member


def activate_member(*, cooperative: Cooperative, actor: Any, member: Member, on: dt.date) -> None:
    """Called by savings when the simpanan pokok is fully paid."""
    if member.status != Member.Status.APPLICANT:
        return
    member.status = Member.Status.ACTIVE
    member.joined_on = member.joined_on or on
    member.save(update_fields=["status", "joined_on"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.activate",
        obj=member,
        summary=member.number,
    )


EXIT_STATUSES = (Member.Status.RESIGNED, Member.Status.DECEASED, Member.Status.EXPELLED)


def check_can_leave(*, cooperative: Cooperative, member: Member, status: str, reason: str) -> None:
    """Refuse an exit with a wrong status or no reason, or of someone who already left."""
    _check_tenant(cooperative, member)
    if status not in EXIT_STATUSES:
        raise ServiceError("invalid_status", _("Choose resigned, deceased or expelled."), "status")
    if member.status in EXIT_STATUSES:
        raise ServiceError("already_exited", _("This person is no longer a member."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for leaving."), "reason")


def locked_member(*, cooperative: Cooperative, member_id: int) -> Member:
    """The member row, locked for a change of status (exit)."""
    found = Member.objects.select_for_update().filter(cooperative=cooperative, pk=member_id).first()
    if found is None:
        raise NotFound()
    return found


def end_membership(
    *, cooperative: Cooperative, actor: Any, member: Member, status: str, reason: str, on: dt.date
) -> Member:
    """Record the end of a membership (the caller has refunded the savings, under the lock of
    `locked_member`)."""
    check_can_leave(cooperative=cooperative, member=member, status=status, reason=reason)
    member.status = status
    member.exited_on = on
    member.exit_reason = reason.strip()
    member.save(update_fields=["status", "exited_on", "exit_reason"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.exit",
        obj=member,
        summary=f"{member.number} {status}: {reason}",
        data={"number": member.number, "status": status, "reason": reason.strip()},
    )
    return member


def create_portal_login(
    *, cooperative: Cooperative, actor: Any, member: Member, password: str, username: str = ""
) -> Any:
    _check_tenant(cooperative, member)
    if member.user_id:
        raise ServiceError("login_exists", _("This member already has a login."))
    username = username or f"{cooperative.code}.{member.number}".lower()
    if User.objects.filter(username=username).exists():
        raise ServiceError("username_taken", _("This user name is taken."), "username")
    user = User.objects.create_user(username=username, password=password, first_name=member.name)
    member.user = user
    member.save(update_fields=["user"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="members.portal_login",
        obj=member,
        summary=username,
    )
    return user


def _check_tenant(cooperative: Cooperative, member: Member) -> None:
    if member.cooperative_id != cooperative.pk:
        raise NotFound(_("Member not found."))
