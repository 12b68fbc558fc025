"""Loans over the API, before there is a loan: the simulator, products and applications (the
rest, from disbursement on, is `loans.api`, which serves these under the same `/loans`).

`POST /loans/simulate` needs no token; a caller who sends `Authorization: Bearer <token>` is also
held to that cooperative's loan rate cap (`rate_above_cap`), anyone else only to the calculator's
sanity bound.

Entering and analysing an application is staff work with `loans.handle`, deciding it needs
`loans.approve`; a member's own login may apply for themselves and read their own applications.
"""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.errors import AuthenticationError

from koperasi.common.api import (
    ERRORS,
    Caller,
    IdempotencyKey,
    Limit,
    MemberFilter,
    Offset,
    PathId,
    authorize,
    fields_named,
    idempotent,
    live_token,
    page,
)
from koperasi.common.presenters import schedule_json
from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_amount
from koperasi.errors import NotFound, ServiceError
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.models import LoanApplication, LoanProduct
from koperasi.loans.schemas import (
    AnalysisIn,
    ApplicationDetailOut,
    ApplicationPage,
    ApplyIn,
    ApproveIn,
    LoanProductOut,
    LoanProductPage,
    RejectIn,
    SimulatedScheduleOut,
    SimulateIn,
)
from koperasi.loans.simulation import parse_rate, simulate
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import APPROVE_LOANS, HANDLE_LOANS, VIEW_LOANS

# Mounted by `loans.api` (its tag applies). The operation ids stay those these endpoints had when
# they lived in `loans.api`, so clients generated from the spec keep their names.
router = Router()


def _operation_id(view: str) -> str:
    return f"koperasi_loans_api_{view}"


# ---------------------------------------------------------------- the simulator


def _token_cooperative(request: HttpRequest) -> Cooperative | None:
    """The cooperative of the bearer token sent, None when none is sent; 401 for a bad one."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _sep, raw = header.partition(" ")
    token = live_token(raw) if scheme.lower() == "bearer" else None
    if token is None or not token.cooperative.is_active:
        raise AuthenticationError()
    coop: Cooperative = token.cooperative
    return coop


@router.post(
    "/simulate",
    auth=None,
    response={200: SimulatedScheduleOut, **ERRORS},
    operation_id=_operation_id("simulate_loan"),
)
def simulate_loan(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    """The instalment schedule of a loan (flat, menurun or anuitas); nothing is stored.

    Amounts are strings with two decimals, as `koperasi calc schedule --json` prints them.
    """
    coop = _token_cooperative(request)
    try:
        principal = parse_amount(payload.principal, field="principal")
    except DomainError as exc:
        raise ServiceError.from_domain(exc, "principal") from exc
    schedule = simulate(
        principal=principal,
        rate=parse_rate(payload.rate),
        rate_period=payload.rate_period,
        months=payload.months,
        method=payload.method,
        frequency=payload.frequency,
        rounding=payload.rounding,
        grace_periods=payload.grace_periods,
        start=payload.start or timezone.localdate(),
        skip_holidays=payload.skip_holidays,
        rate_cap=coop.loan_rate_cap if coop is not None else None,
    )
    return schedule_json(schedule)


# ---------------------------------------------------------------- products


@router.get(
    "/products",
    response={200: LoanProductPage, **ERRORS},
    operation_id=_operation_id("list_products"),
)
def list_products(request: HttpRequest, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """The cooperative's loan products; a member sees the ones open for applications."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    products = selectors.products(
        cooperative=caller.cooperative, active_only=caller.member is not None
    )
    return page(products.order_by("code", "id"), limit, offset)


@router.get(
    "/products/{product_id}",
    response={200: LoanProductOut, **ERRORS},
    operation_id=_operation_id("get_product"),
)
def get_product(request: HttpRequest, product_id: PathId) -> LoanProduct:
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    product = selectors.product(cooperative=caller.cooperative, product_id=product_id)
    if caller.member is not None and not product.is_active:
        raise NotFound()
    return product


# ---------------------------------------------------------------- applications

ApplicationStatus = Literal[
    "submitted", "analysed", "approved", "rejected", "disbursed", "cancelled"
]


# Applications that can still be approved (and so are worth an assessment).
OPEN_APPLICATIONS = selectors.OPEN_APPLICATION_STATUSES


def _application_json(caller: Caller, application_id: int) -> dict[str, Any]:
    application = selectors.application(
        cooperative=caller.cooperative, application_id=application_id, member=caller.member
    )
    assessment = None
    if caller.member is None and application.status in OPEN_APPLICATIONS:
        assessment = loans.assess_application(
            cooperative=caller.cooperative, application=application
        )
    out = ApplicationDetailOut.model_validate(application, context={"assessment": assessment})
    return out.model_dump(mode="json")


@router.get(
    "/applications",
    response={200: ApplicationPage, **ERRORS},
    operation_id=_operation_id("list_applications"),
)
def list_applications(
    request: HttpRequest,
    status: ApplicationStatus | None = None,
    member: MemberFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Applications, newest first; a member's own login sees only their own."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    found = selectors.applications(
        cooperative=caller.cooperative, status=status or "", member=caller.member
    )
    if member is not None:
        found = found.filter(member_id=member)
    return page(found, limit, offset)


@router.post(
    "/applications",
    response={201: ApplicationDetailOut, **ERRORS},
    operation_id=_operation_id("apply"),
)
def apply(
    request: HttpRequest, payload: ApplyIn, idempotency_key: IdempotencyKey = None
) -> HttpResponse:
    """An officer enters an application for a member, or a member applies for themselves.

    An Idempotency-Key is optional here; with one, a retry returns the first application.
    """
    caller = authorize(request, HANDLE_LOANS, member_ok=True)
    if caller.member is not None:
        if payload.member_id not in (None, caller.member.pk):
            raise NotFound(field="member_id")
        member_id = caller.member.pk
        channel = LoanApplication.Channel.API
    else:
        if payload.member_id is None:
            raise ServiceError("required", _("This field is required."), "member_id")
        member_id = payload.member_id
        channel = LoanApplication.Channel.OFFICE

    def run(_key: str) -> tuple[int, dict[str, Any]]:
        with fields_named({"member": "member_id", "product": "product_id"}):
            application = loans.apply(
                cooperative=caller.cooperative,
                actor=caller.user,
                member_id=member_id,
                product_id=payload.product_id,
                principal=payload.principal,
                term=payload.term,
                purpose=payload.purpose,
                grace_periods=payload.grace_periods,
                channel=channel,
            )
        return 201, _application_json(caller, application.pk)

    return idempotent(request, caller, idempotency_key, run, required=False)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationDetailOut, **ERRORS},
    operation_id=_operation_id("get_application"),
)
def get_application(request: HttpRequest, application_id: PathId) -> HttpResponse:
    """One application with its analysis, collateral, guarantors and (staff) the assessment."""
    caller = authorize(request, VIEW_LOANS, member_ok=True)
    return JsonResponse(_application_json(caller, application_id))


@router.post(
    "/applications/{application_id}/analysis",
    response={200: ApplicationDetailOut, **ERRORS},
    operation_id=_operation_id("analyse"),
)
def analyse(request: HttpRequest, application_id: PathId, payload: AnalysisIn) -> HttpResponse:
    """The officer's analysis; sending it again replaces the collateral and guarantors."""
    caller = authorize(request, HANDLE_LOANS)
    with fields_named({"guarantors": "guarantor_ids"}):
        loans.analyse(
            cooperative=caller.cooperative,
            actor=caller.user,
            application_id=application_id,
            monthly_income=payload.monthly_income,
            monthly_expenses=payload.monthly_expenses,
            other_instalments=payload.other_instalments,
            note=payload.note,
            recommendation=payload.recommendation,
            collaterals=[
                loans.CollateralInput(kind=c.kind, description=c.description, value=c.value)
                for c in payload.collaterals
            ],
            guarantor_ids=payload.guarantor_ids,
        )
    return JsonResponse(_application_json(caller, application_id))


@router.post(
    "/applications/{application_id}/approve",
    response={200: ApplicationDetailOut, **ERRORS},
    operation_id=_operation_id("approve"),
)
def approve(request: HttpRequest, application_id: PathId, payload: ApproveIn) -> HttpResponse:
    """Approve (maker-checker: not by whoever entered or analysed it; above the cooperative's
    limit only by the board)."""
    caller = authorize(request, APPROVE_LOANS)
    loans.approve(
        cooperative=caller.cooperative,
        actor=caller.user,
        role=str(caller.role),
        application_id=application_id,
        note=payload.note,
    )
    return JsonResponse(_application_json(caller, application_id))


@router.post(
    "/applications/{application_id}/reject",
    response={200: ApplicationDetailOut, **ERRORS},
    operation_id=_operation_id("reject"),
)
def reject(request: HttpRequest, application_id: PathId, payload: RejectIn) -> HttpResponse:
    caller = authorize(request, APPROVE_LOANS)
    loans.reject(
        cooperative=caller.cooperative,
        actor=caller.user,
        role=str(caller.role),
        application_id=application_id,
        reason=payload.reason,
    )
    return JsonResponse(_application_json(caller, application_id))
