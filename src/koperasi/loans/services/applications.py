"""The application workflow: apply → analyse → approve (a different user) or reject.

Every step is written to the audit log, which is the application's timeline.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, format_rupiah, parse_amount, round_sen
from koperasi.domain.periods import months_between
from koperasi.errors import NotFound, PermissionDenied, ServiceError
from koperasi.ledger import selectors as ledger_selectors
from koperasi.loans.models import (
    ApplicationDocument,
    Collateral,
    Guarantor,
    Loan,
    LoanApplication,
    LoanProduct,
)
from koperasi.loans.services.common import amount, business_date, next_number, who
from koperasi.loans.services.terms import monthly_burden, product_schedule
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.tenancy.models import Cooperative, Role

Status = LoanApplication.Status
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
OPEN_STATUSES = (Status.SUBMITTED, Status.ANALYSED)


@dataclass(frozen=True)
class CollateralInput:
    kind: str
    description: str
    value: Any


def _application(
    cooperative: Cooperative, application_id: int, lock: bool = False
) -> LoanApplication:
    query = LoanApplication.objects.filter(cooperative=cooperative, pk=application_id)
    if lock:
        query = query.select_for_update(of=("self",))
    found = query.select_related("product", "member").first()
    if found is None:
        raise NotFound(_("Loan application not found."))
    return found


def _member(cooperative: Cooperative, member_id: int, field: str = "member") -> Member:
    member = Member.objects.filter(cooperative=cooperative, pk=member_id).first()
    if member is None:
        raise NotFound(_("Member not found."), field=field)
    return member


def _check_terms(product: LoanProduct, principal: Decimal, term: int, grace: int) -> None:
    if not product.min_principal <= principal <= product.max_principal:
        raise ServiceError(
            "principal_out_of_range",
            _("This product lends from %(min)s to %(max)s.")
            % {
                "min": format_rupiah(product.min_principal),
                "max": format_rupiah(product.max_principal),
            },
            "principal",
        )
    if not product.min_term <= term <= product.max_term:
        raise ServiceError(
            "term_out_of_range",
            _("This product's term is %(min)s to %(max)s instalments.")
            % {"min": product.min_term, "max": product.max_term},
            "term",
        )
    if not 0 <= grace <= product.max_grace_periods:
        raise ServiceError(
            "grace_out_of_range",
            _("This product allows at most %(max)s grace periods.")
            % {"max": product.max_grace_periods},
            "grace_periods",
        )


def _check_member_eligible(
    cooperative: Cooperative, member: Member, product: LoanProduct, principal: Decimal, on: dt.date
) -> None:
    if member.status != Member.Status.ACTIVE:
        raise ServiceError("member_inactive", _("Only active members may borrow."), "member")
    months = months_between(member.joined_on, on) if member.joined_on else 0
    if months < product.min_membership_months:
        raise ServiceError(
            "membership_too_short",
            _("This product needs %(months)s months of membership; the member has %(have)s.")
            % {"months": product.min_membership_months, "have": months},
            "member",
        )
    if product.max_savings_multiple > 0:
        held = savings_selectors.member_savings_total(cooperative=cooperative, member=member)
        limit = round_sen(held * product.max_savings_multiple)
        if principal > limit:
            raise ServiceError(
                "above_savings_multiple",
                _("With savings of %(held)s this member may borrow at most %(limit)s.")
                % {"held": format_rupiah(held), "limit": format_rupiah(limit)},
                "principal",
            )


def _product(cooperative: Cooperative, product_id: int) -> LoanProduct:
    product = LoanProduct.objects.filter(
        cooperative=cooperative, pk=product_id, is_active=True
    ).first()
    if product is None:
        raise NotFound(_("Loan product not found."), field="product")
    return product


@transaction.atomic
def apply(
    *,
    cooperative: Cooperative,
    actor: Any,
    member_id: int,
    product_id: int,
    principal: Any,
    term: int,
    purpose: str,
    grace_periods: int = 0,
    channel: str = LoanApplication.Channel.OFFICE,
) -> LoanApplication:
    """A member applies (in the portal) or an officer enters the application."""
    member = _member(cooperative, member_id)
    product = _product(cooperative, product_id)
    value = amount(principal, "principal")
    if not purpose.strip():
        raise ServiceError("required", _("Say what the loan is for."), "purpose")
    if channel not in LoanApplication.Channel.values:
        raise ServiceError("invalid", _("Choose one of the offered values."), "channel")
    _check_terms(product, value, term, grace_periods)
    on = business_date(cooperative, None)
    _check_member_eligible(cooperative, member, product, value, on)
    # The terms must make a schedule (e.g. not repaid before the last instalment).
    product_schedule(product, principal=value, term=term, grace_periods=grace_periods, start=on)
    application = LoanApplication.objects.create(
        cooperative=cooperative,
        number=next_number(cooperative, "application_seq", f"PM-{on.year}-"),
        member=member,
        product=product,
        principal=value,
        term=term,
        grace_periods=grace_periods,
        purpose=purpose.strip()[:255],
        channel=channel,
        entered_by=who(actor),
        submitted_on=on,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.apply",
        obj=application,
        summary=f"{application.number} {member.number} {format_rupiah(value)} x{term}",
    )
    return application


@transaction.atomic
def analyse(
    *,
    cooperative: Cooperative,
    actor: Any,
    application_id: int,
    monthly_income: Any,
    monthly_expenses: Any,
    other_instalments: Any = 0,
    note: str = "",
    recommendation: str = "approve",
    collaterals: list[CollateralInput] | None = None,
    guarantor_ids: list[int] | None = None,
) -> LoanApplication:
    """The officer's analysis: capacity, collateral with valuation and guarantors."""
    application = _application(cooperative, application_id, lock=True)
    if application.status not in OPEN_STATUSES:
        raise ServiceError("not_open", _("This application has already been decided."))
    if recommendation not in ("approve", "reject"):
        raise ServiceError("invalid", _("Recommend approval or rejection."), "recommendation")
    income = amount(monthly_income, "monthly_income")
    expenses = _non_negative(monthly_expenses, "monthly_expenses")
    others = _non_negative(other_instalments, "other_instalments")
    pledged = [_collateral(item) for item in collaterals or []]
    guarantors = _guarantors(cooperative, application, guarantor_ids or [])
    application.monthly_income = income
    application.monthly_expenses = expenses
    application.other_instalments = others
    application.analysis_note = note.strip()
    application.recommendation = recommendation
    application.analysed_by = who(actor)
    application.analysed_at = timezone.now()
    application.status = Status.ANALYSED
    application.save()
    application.collaterals.all().delete()
    Collateral.objects.bulk_create(
        Collateral(cooperative=cooperative, application=application, **fields) for fields in pledged
    )
    application.guarantors.all().delete()
    Guarantor.objects.bulk_create(
        Guarantor(cooperative=cooperative, application=application, member=g) for g in guarantors
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.analyse",
        obj=application,
        summary=f"{application.number}: {recommendation}, capacity "
        f"{format_rupiah(application.repayment_capacity or ZERO)}",
        data={
            "number": application.number,
            "recommendation": recommendation,
            "capacity": str(application.repayment_capacity or ZERO),
            "collateral": str(sum((c["value"] for c in pledged), ZERO)),
            "guarantors": [g.number for g in guarantors],
        },
    )
    return application


def _non_negative(value: Any, field: str) -> Decimal:
    """An optional amount: blank is zero; floats and booleans are refused like everywhere."""
    if value is None or value == "":
        return ZERO
    try:
        return parse_amount(value, field=field, allow_zero=True)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field) from exc


def _collateral(item: CollateralInput) -> dict[str, Any]:
    if item.kind not in Collateral.Kind.values:
        raise ServiceError("invalid", _("Choose a kind of collateral."), "collaterals")
    if not item.description.strip():
        raise ServiceError("required", _("Describe the collateral."), "collaterals")
    return {
        "kind": item.kind,
        "description": item.description.strip()[:255],
        "value": amount(item.value, "collaterals"),
    }


def _guarantors(
    cooperative: Cooperative, application: LoanApplication, ids: list[int]
) -> list[Member]:
    found = {m.pk: m for m in Member.objects.filter(cooperative=cooperative, pk__in=ids)}
    chosen: list[Member] = []
    for pk in dict.fromkeys(ids):
        member = found.get(pk)
        if member is None:
            raise NotFound(_("Guarantor not found."), field="guarantors")
        if member.pk == application.member_id:
            raise ServiceError(
                "self_guarantee", _("The borrower cannot be their own guarantor."), "guarantors"
            )
        if member.status != Member.Status.ACTIVE:
            raise ServiceError(
                "guarantor_inactive",
                _("Guarantor %(number)s is not an active member.") % {"number": member.number},
                "guarantors",
            )
        chosen.append(member)
    return chosen


def add_document(
    *, cooperative: Cooperative, actor: Any, application_id: int, title: str, upload: UploadedFile
) -> ApplicationDocument:
    """A scanned KTP, payslip or certificate (PDF, JPEG or PNG up to 5 MB)."""
    application = _application(cooperative, application_id)
    if application.status not in OPEN_STATUSES:
        raise ServiceError("not_open", _("This application has already been decided."))
    if not title.strip():
        raise ServiceError("required", _("Name the document."), "title")
    if upload.size is None or upload.size > MAX_DOCUMENT_BYTES:
        raise ServiceError("file_too_large", _("A document may be at most 5 MB."), "file")
    head = upload.read(8)
    upload.seek(0)
    kind = _sniff(head)
    if kind is None:
        raise ServiceError("file_type", _("Upload a PDF, JPEG or PNG file."), "file")
    with transaction.atomic():
        document = ApplicationDocument(
            cooperative=cooperative,
            application=application,
            title=title.strip()[:100],
            content_type=kind,
            uploaded_by=who(actor),
        )
        document.file.save(f"{application.number}.{DOCUMENT_TYPES[kind]}", upload, save=True)
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="loans.document",
            obj=application,
            summary=f"{application.number}: {document.title}",
        )
    return document


def _sniff(head: bytes) -> str | None:
    """The type from the file's first bytes, not from its name or the browser's claim."""
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return None


@dataclass(frozen=True)
class Assessment:
    """What approval checks, shown on the application page before anyone decides."""

    monthly_instalment: Decimal
    capacity: Decimal | None
    capacity_limit: Decimal | None
    collateral_value: Decimal
    collateral_needed: Decimal
    guarantors: int
    guarantors_needed: int
    related_party: bool
    related_party_total: Decimal
    related_party_limit: Decimal
    problems: tuple[str, ...]


def assess_application(*, cooperative: Cooperative, application: LoanApplication) -> Assessment:
    product = application.product
    schedule = product_schedule(
        product,
        principal=application.principal,
        term=application.term,
        grace_periods=application.grace_periods,
        start=business_date(cooperative, None),
    )
    burden = monthly_burden(schedule, product.frequency)
    capacity = application.repayment_capacity
    limit = (
        round_sen(capacity * product.max_instalment_income_pct / 100)
        if capacity is not None
        else None
    )
    collateral = application.collaterals.aggregate(total=Sum("value"))["total"] or ZERO
    needed = (
        round_sen(application.principal * product.min_collateral_pct / 100)
        if product.requires_collateral
        else ZERO
    )
    guarantors = application.guarantors.count()
    insider = application.member.office in (Member.Office.BOARD, Member.Office.SUPERVISOR)
    insiders_total = ZERO
    insiders_limit = ZERO
    if insider:
        offices = (Member.Office.BOARD, Member.Office.SUPERVISOR)
        # Approved applications not yet paid out count too, or two insiders approved one after
        # the other could together pass the cap.
        approved = (
            LoanApplication.objects.filter(
                cooperative=cooperative, status=Status.APPROVED, member__office__in=offices
            )
            .exclude(pk=application.pk)
            .aggregate(total=Sum("principal"))["total"]
            or ZERO
        )
        insiders_total = (
            (
                Loan.objects.filter(
                    cooperative=cooperative,
                    status=Loan.Status.ACTIVE,
                    member__office__in=offices,
                ).aggregate(total=Sum("outstanding_principal"))["total"]
                or ZERO
            )
            + approved
            + application.principal
        )
        insiders_limit = round_sen(
            ledger_selectors.own_capital(cooperative=cooperative)
            * cooperative.related_party_cap_pct
            / 100
        )
    problems: list[str] = []
    if capacity is None:
        problems.append(str(_("The application has not been analysed yet.")))
    elif limit is not None and burden > limit:
        problems.append(
            str(
                _(
                    "The instalment %(inst)s is above %(pct)s%% of the repayment capacity "
                    "(%(limit)s)."
                )
                % {
                    "inst": format_rupiah(burden),
                    "pct": product.max_instalment_income_pct.normalize(),
                    "limit": format_rupiah(limit),
                }
            )
        )
    if collateral < needed:
        problems.append(
            str(
                _("Collateral of %(need)s is required; %(have)s is pledged.")
                % {"need": format_rupiah(needed), "have": format_rupiah(collateral)}
            )
        )
    if guarantors < product.min_guarantors:
        problems.append(
            str(
                _("%(need)s guarantor(s) required; %(have)s given.")
                % {"need": product.min_guarantors, "have": guarantors}
            )
        )
    if insider and insiders_total > insiders_limit:
        problems.append(
            str(
                _(
                    "Loans to board and supervisors would total %(total)s, above %(pct)s%% of "
                    "own capital (%(limit)s)."
                )
                % {
                    "total": format_rupiah(insiders_total),
                    "pct": cooperative.related_party_cap_pct.normalize(),
                    "limit": format_rupiah(insiders_limit),
                }
            )
        )
    return Assessment(
        monthly_instalment=burden,
        capacity=capacity,
        capacity_limit=limit,
        collateral_value=collateral,
        collateral_needed=needed,
        guarantors=guarantors,
        guarantors_needed=product.min_guarantors,
        related_party=insider,
        related_party_total=insiders_total,
        related_party_limit=insiders_limit,
        problems=tuple(problems),
    )


def approval_level(cooperative: Cooperative, principal: Decimal) -> str:
    """Who may approve: a manager up to the cooperative's limit, above it the board."""
    return Role.MANAGER if principal <= cooperative.loan_manager_approval_limit else Role.ADMIN


def _check_decider(
    cooperative: Cooperative, actor: Any, role: str, application: LoanApplication
) -> None:
    actor_id = getattr(actor, "pk", None)
    if actor_id is not None and actor_id in (application.entered_by_id, application.analysed_by_id):
        raise ServiceError(
            "self_approval",
            _("Maker-checker: the person who entered or analysed an application cannot decide it."),
        )
    needed = approval_level(cooperative, application.principal)
    if role not in (Role.ADMIN, Role.MANAGER) or (needed == Role.ADMIN and role != Role.ADMIN):
        raise PermissionDenied(
            _("Loans above %(limit)s are approved by the board.")
            % {"limit": format_rupiah(cooperative.loan_manager_approval_limit)}
            if role == Role.MANAGER
            else _("Only a manager or the board may decide loan applications.")
        )


@transaction.atomic
def approve(
    *, cooperative: Cooperative, actor: Any, role: str, application_id: int, note: str = ""
) -> LoanApplication:
    application = _application(cooperative, application_id, lock=True)
    if application.status == Status.SUBMITTED:
        raise ServiceError("not_analysed", _("The application must be analysed first."))
    if application.status != Status.ANALYSED:
        raise ServiceError("not_open", _("This application has already been decided."))
    _check_decider(cooperative, actor, role, application)
    on = business_date(cooperative, None)
    _check_member_eligible(
        cooperative, application.member, application.product, application.principal, on
    )
    assessment = assess_application(cooperative=cooperative, application=application)
    if assessment.problems:
        raise ServiceError("not_eligible", " ".join(assessment.problems))
    application.status = Status.APPROVED
    application.decided_by = who(actor)
    application.decided_at = timezone.now()
    application.decision_note = note.strip()[:255]
    application.approval_level = approval_level(cooperative, application.principal)
    application.save()
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.approve",
        obj=application,
        summary=f"{application.number} approved ({role})" + (f": {note}" if note else ""),
        data={"number": application.number, "role": role, "note": note.strip()},
    )
    return application


@transaction.atomic
def reject(
    *, cooperative: Cooperative, actor: Any, role: str, application_id: int, reason: str
) -> LoanApplication:
    application = _application(cooperative, application_id, lock=True)
    if application.status not in (*OPEN_STATUSES, Status.APPROVED):
        raise ServiceError("not_open", _("This application has already been decided."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for the rejection."), "reason")
    _check_decider(cooperative, actor, role, application)
    application.status = Status.REJECTED
    application.decided_by = who(actor)
    application.decided_at = timezone.now()
    application.decision_note = reason.strip()[:255]
    application.save()
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.reject",
        obj=application,
        summary=f"{application.number} rejected: {reason}",
        data={"number": application.number, "reason": reason.strip()},
    )
    return application


@transaction.atomic
def cancel(
    *, cooperative: Cooperative, actor: Any, member: Member, application_id: int
) -> LoanApplication:
    """The member withdraws their own application before it is decided."""
    application = _application(cooperative, application_id, lock=True)
    if application.member_id != member.pk:
        raise NotFound(_("Loan application not found."))
    if application.status not in OPEN_STATUSES:
        raise ServiceError("not_open", _("This application has already been decided."))
    application.status = Status.CANCELLED
    application.save(update_fields=["status"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.cancel",
        obj=application,
        summary=application.number,
    )
    return application
