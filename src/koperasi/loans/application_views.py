"""Staff pages for lending: the portfolio, the officer queue, and applications from entry to
disbursement (analysis, documents, decisions, timeline)."""

import os
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.common.paging import peek_page
from koperasi.domain.loan_quality import CLASS_NAMES, KURANG_LANCAR
from koperasi.domain.money import ZERO, round_half_up
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger.services import business_today
from koperasi.loans import selectors, services
from koperasi.loans.forms import (
    AnalysisForm,
    ApplyForm,
    DecisionNoteForm,
    DisburseForm,
    DocumentForm,
    PortfolioFilterForm,
    RejectForm,
)
from koperasi.loans.models import (
    LoanApplication,
    LoanTransaction,
)
from koperasi.loans.receipts import disbursement_message, disbursement_of
from koperasi.loans.selectors import PortfolioFilter
from koperasi.loans.services.terms import product_schedule
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsAccount, SavingsKind
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.models import Cooperative, Role
from koperasi.tenancy.permissions import (
    APPROVE_LOANS,
    HANDLE_LOANS,
    IMPORT_PAYROLL,
    MANAGE_LOAN_PRODUCTS,
    TRANSACT_LOANS,
    VIEW_LOANS,
)

PAGE_SIZE = 50
PORTFOLIO_COLUMNS = (
    "number",
    "member__name",
    "member__number",
    "product__code",
    "officer__first_name",
    "officer__last_name",
    "officer__username",
    "disbursed_on",
    "principal",
    "outstanding_principal",
    "days_past_due",
    "collectibility",
    "status",
)
MEMBER_RESULTS = 10
TIMELINE_LIMIT = 300
LENDING_ROLES = (Role.ADMIN, Role.MANAGER, Role.LOAN_OFFICER)
OPEN_STATUSES = (LoanApplication.Status.SUBMITTED, LoanApplication.Status.ANALYSED)
REVERSIBLE = (LoanTransaction.Kind.REPAYMENT, LoanTransaction.Kind.PAYOFF)


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _can(request: HttpRequest, permission: str) -> bool:
    return permission in getattr(request, "permissions", ())


def _error_status(exc: ServiceError) -> int:
    """403 for a role the service refuses, 409 for a conflict, else 400."""
    return exc.status if exc.status in (403, 409) else 400


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- Portfolio and queue ----------------------------------------------------------------------


def _summary(coop: Cooperative) -> dict[str, Any]:
    """Active loans by kolektibilitas class (one GROUP BY), with the problem-loan ratio."""
    found = {klass: (n, total) for klass, n, total in selectors.portfolio_summary(cooperative=coop)}
    rows = [
        {
            "klass": k,
            "name": name,
            "n": found.get(k, (0, ZERO))[0],
            "total": found.get(k, (0, ZERO))[1],
        }
        for k, name in CLASS_NAMES.items()
    ]
    total = sum((r["total"] for r in rows), ZERO)
    problem = sum((r["total"] for r in rows if r["klass"] >= KURANG_LANCAR), ZERO)
    return {
        "rows": rows,
        "n": sum(r["n"] for r in rows),
        "total": total,
        "problem_pct": round_half_up(problem * 100 / total) if total else None,
    }


@require_GET
@staff_view(VIEW_LOANS)
def portfolio(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    officers = [
        (m.user_id, _person(m.user))
        for m in tenancy.staff_members(cooperative=coop)
        if m.role in LENDING_ROLES
    ]
    form = PortfolioFilterForm(
        request.GET or None, products=selectors.products(cooperative=coop), officers=officers
    )
    # Only the columns the table shows: building 50 full loans, members and users costs more
    # than the query itself.
    loans_qs = (
        selectors.portfolio(cooperative=coop, where=form.where())
        .select_related("officer")
        .only(*PORTFOLIO_COLUMNS)
    )
    page = peek_page(loans_qs, request.GET.get("page"), PAGE_SIZE)
    for loan in page.rows:
        loan.class_name = CLASS_NAMES.get(loan.collectibility, "")
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "query": urlencode(form.query()),
        "can_handle": _can(request, HANDLE_LOANS),
        "can_payroll": _can(request, IMPORT_PAYROLL),
        "can_products": _can(request, MANAGE_LOAN_PRODUCTS),
    }
    template = (
        "loans/_staff_portfolio_table.html" if _is_htmx(request) else "loans/staff_portfolio.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@staff_view(VIEW_LOANS)
def portfolio_summary(request: HttpRequest) -> HttpResponse:
    """The class summary, fetched by the portfolio page after it has shown the list.

    It aggregates every active loan (≈ 150 ms at 300,000 loans on PostgreSQL) while the list
    itself reads one page by index, so the list does not wait for it. Without JavaScript the
    portfolio page links here and this renders as a page of its own.
    """
    context = {"summary": _summary(_coop(request))}
    template = (
        "loans/_staff_portfolio_summary.html"
        if _is_htmx(request)
        else "loans/staff_portfolio_summary.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@staff_view(VIEW_LOANS)
def queue(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    page = peek_page(selectors.queue(cooperative=coop), request.GET.get("page"), PAGE_SIZE)
    workouts = selectors.pending_workouts(cooperative=coop)
    context = {
        "page": page,
        "restructurings": list(workouts["restructurings"].order_by("id")[:PAGE_SIZE]),
        "write_offs": list(workouts["write_offs"].order_by("id")[:PAGE_SIZE]),
        "can_handle": _can(request, HANDLE_LOANS),
    }
    return render(request, "loans/staff_queue.html", context)


# --- New application --------------------------------------------------------------------------


@staff_view(HANDLE_LOANS)
def apply(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    query = request.GET.get("q", "").strip()[:100]
    results = (
        list(member_selectors.search_members(cooperative=coop, query=query)[:MEMBER_RESULTS])
        if query
        else []
    )
    if request.method == "GET" and _is_htmx(request):
        return render(request, "loans/_staff_member_results.html", {"q": query, "results": results})
    chosen: Member | None = None
    initial: dict[str, Any] = {"grace_periods": 0}
    preset = request.GET.get("member", "")
    if preset.isdigit():
        chosen = member_selectors.member(cooperative=coop, member_id=int(preset))
        initial["member"] = chosen.number
    products = list(selectors.products(cooperative=coop, active_only=True))
    form = ApplyForm(request.POST or None, products=products, initial=initial)
    schedule = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = _member_by_number(coop, data["member"])
        if chosen is None:
            form.add_error("member", _("No member of this cooperative has this number."))
        elif "preview" in request.POST:
            try:
                schedule = product_schedule(
                    form.products[data["product"]],
                    principal=data["principal"],
                    term=data["term"],
                    grace_periods=data["grace_periods"],
                    start=business_today(coop),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
        else:
            try:
                application = services.apply(
                    cooperative=coop,
                    actor=request.user,
                    member_id=chosen.pk,
                    product_id=data["product"],
                    principal=data["principal"],
                    term=data["term"],
                    grace_periods=data["grace_periods"],
                    purpose=data["purpose"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Application %(number)s was entered.") % {"number": application.number},
                )
                return redirect(
                    "lending:application", code=coop.code, application_id=application.pk
                )
    context = {
        "form": form,
        "q": query,
        "results": results,
        "chosen": chosen,
        "schedule": schedule,
        "products": products,
    }
    return render(request, "loans/staff_apply.html", context, status=400 if form.errors else 200)


def _member_by_number(coop: Cooperative, number: str) -> Member | None:
    try:
        return member_selectors.member_by_number(cooperative=coop, number=number)
    except NotFound:
        return None


# --- Application page -------------------------------------------------------------------------


def _sukarela_accounts(coop: Cooperative, member: Member) -> list[SavingsAccount]:
    return [
        a
        for a in savings_selectors.accounts(
            cooperative=coop, member=member, kind=SavingsKind.SUKARELA
        )
        if a.status == SavingsAccount.Status.OPEN
    ]


def _timeline(coop: Cooperative, application: LoanApplication) -> tuple[list[Any], bool]:
    # Each step is named and summed up by the audit log's one table (the `audit` template tags).
    rows = list(selectors.timeline(cooperative=coop, application=application)[: TIMELINE_LIMIT + 1])
    return rows[:TIMELINE_LIMIT], len(rows) > TIMELINE_LIMIT


def _application_page(
    request: HttpRequest,
    application: LoanApplication,
    *,
    status: int = 200,
    **bound: forms.Form,
) -> HttpResponse:
    """The application with its analysis, documents, decision and disbursement forms.

    `bound` replaces one form by the submitted one, so a refusal keeps what was typed.
    """
    coop = _coop(request)
    Status = LoanApplication.Status
    open_ = application.status in OPEN_STATUSES
    assessment = None
    if application.status in (*OPEN_STATUSES, Status.APPROVED):
        try:
            assessment = services.assess_application(cooperative=coop, application=application)
        except ServiceError as exc:
            messages.warning(request, str(exc.message))
    loan = None
    if application.status == Status.DISBURSED:
        loan = (
            selectors.portfolio(
                cooperative=coop, where=PortfolioFilter(status="", member=application.member)
            )
            .filter(application=application)
            .first()
        )
    timeline, timeline_truncated = _timeline(coop, application)
    accounts = (
        _sukarela_accounts(coop, application.member)
        if application.status == Status.APPROVED
        else []
    )
    context = {
        "application": application,
        "assessment": assessment,
        "loan": loan,
        "collaterals": list(application.collaterals.all()),
        "guarantors": [g.member for g in application.guarantors.all()],
        "documents": list(application.documents.all()),
        "timeline": timeline,
        "timeline_truncated": timeline_truncated,
        "can_analyse": open_ and _can(request, HANDLE_LOANS),
        "can_decide": application.status == Status.ANALYSED and _can(request, APPROVE_LOANS),
        "can_reject": application.status in (*OPEN_STATUSES, Status.APPROVED)
        and _can(request, APPROVE_LOANS),
        "can_disburse": application.status == Status.APPROVED and _can(request, TRANSACT_LOANS),
        "analysis_form": bound.get("analysis")
        or AnalysisForm(initial=AnalysisForm.initial_from(application)),
        "document_form": bound.get("document") or DocumentForm(),
        "approve_form": bound.get("approve") or DecisionNoteForm(prefix="approve"),
        "reject_form": bound.get("reject") or RejectForm(prefix="reject"),
        "disburse_form": bound.get("disburse") or DisburseForm(accounts=accounts),
        "bound": next(iter(bound), ""),
    }
    return render(request, "loans/staff_application.html", context, status=status)


@require_GET
@staff_view(VIEW_LOANS)
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = selectors.application(cooperative=_coop(request), application_id=application_id)
    return _application_page(request, application)


def _back_to_application(coop: Cooperative, application: LoanApplication) -> HttpResponse:
    return redirect("lending:application", code=coop.code, application_id=application.pk)


@require_POST
@staff_view(HANDLE_LOANS)
def analyse(request: HttpRequest, application_id: int) -> HttpResponse:
    coop = _coop(request)
    application = selectors.application(cooperative=coop, application_id=application_id)
    form = AnalysisForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        guarantor_ids = []
        for number in data["guarantors"]:
            found = _member_by_number(coop, number)
            if found is None:
                form.add_error(
                    "guarantors",
                    _("No member of this cooperative has the number %(number)s.")
                    % {"number": number},
                )
            else:
                guarantor_ids.append(found.pk)
        if not form.errors:
            try:
                services.analyse(
                    cooperative=coop,
                    actor=request.user,
                    application_id=application.pk,
                    monthly_income=data["monthly_income"],
                    monthly_expenses=data["monthly_expenses"],
                    other_instalments=data["other_instalments"],
                    note=data["note"],
                    recommendation=data["recommendation"],
                    collaterals=[
                        services.CollateralInput(k, d, v) for k, d, v in data["collaterals"]
                    ],
                    guarantor_ids=guarantor_ids,
                )
            except ServiceError as exc:
                add_service_error(form, exc)
                status = _error_status(exc)
            else:
                messages.success(request, _("The analysis was saved."))
                return _back_to_application(coop, application)
    return _application_page(request, application, status=status, analysis=form)


@require_POST
@staff_view(HANDLE_LOANS)
def upload_document(request: HttpRequest, application_id: int) -> HttpResponse:
    coop = _coop(request)
    application = selectors.application(cooperative=coop, application_id=application_id)
    form = DocumentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.add_document(
                cooperative=coop,
                actor=request.user,
                application_id=application.pk,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(request, _("The document was added."))
            return _back_to_application(coop, application)
    return _application_page(request, application, status=status, document=form)


def _decide(request: HttpRequest, application_id: int, approving: bool) -> HttpResponse:
    coop = _coop(request)
    application = selectors.application(cooperative=coop, application_id=application_id)
    form: forms.Form = (
        DecisionNoteForm(request.POST, prefix="approve")
        if approving
        else RejectForm(request.POST, prefix="reject")
    )
    status = 400
    if form.is_valid():
        common = {
            "cooperative": coop,
            "actor": request.user,
            "role": request.staff_role,  # type: ignore[attr-defined]
            "application_id": application.pk,
        }
        try:
            if approving:
                services.approve(**common, note=form.cleaned_data["note"])
            else:
                services.reject(**common, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            if exc.code == "not_open":
                # A double click, or someone decided first: the page shows the outcome.
                messages.info(request, str(exc.message))
                return _back_to_application(coop, application)
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(
                request,
                _("The application was approved.")
                if approving
                else _("The application was rejected."),
            )
            return _back_to_application(coop, application)
    key = "approve" if approving else "reject"
    return _application_page(request, application, status=status, **{key: form})


@require_POST
@staff_view(APPROVE_LOANS)
def approve(request: HttpRequest, application_id: int) -> HttpResponse:
    return _decide(request, application_id, approving=True)


@require_POST
@staff_view(APPROVE_LOANS)
def reject(request: HttpRequest, application_id: int) -> HttpResponse:
    return _decide(request, application_id, approving=False)


@require_POST
@staff_view(TRANSACT_LOANS)
def disburse(request: HttpRequest, application_id: int) -> HttpResponse:
    coop = _coop(request)
    application = selectors.application(cooperative=coop, application_id=application_id)
    accounts = _sukarela_accounts(coop, application.member)
    form = DisburseForm(request.POST, accounts=accounts)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            loan = services.disburse(
                cooperative=coop,
                actor=request.user,
                application_id=application.pk,
                idempotency_key=str(data["idempotency_key"]),
                to=data["to"],
                savings_account_id=data["savings_account"],
                autodebit=data["autodebit"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            txn = disbursement_of(loan)
            messages.success(request, disbursement_message(coop, loan, txn))
            url = reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk})
            return redirect(f"{url}?kwitansi={txn.pk}")  # the page offers the receipt
    return _application_page(request, application, status=status, disburse=form)


@require_GET
@staff_view(VIEW_LOANS)
def document(request: HttpRequest, document_id: int) -> FileResponse:
    """A scanned document, streamed only to staff of the application's cooperative."""
    found = selectors.document(cooperative=_coop(request), document_id=document_id)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type=found.content_type, filename=os.path.basename(found.file.name)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Loan page --------------------------------------------------------------------------------
