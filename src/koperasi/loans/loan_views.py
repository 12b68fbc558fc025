"""Staff pages for one loan: schedule, history, repayments, payoff, reversal, assessment,
restructuring, write-off and recovery."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import ReverseForm, add_service_error
from koperasi.domain.loan_quality import CLASS_NAMES, MACET
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.loans import selectors, services
from koperasi.loans.application_views import REVERSIBLE, _can, _coop, _error_status
from koperasi.loans.forms import (
    AssessForm,
    CollectionNoteForm,
    PayoffForm,
    RecoveryForm,
    RepayForm,
    RestructureForm,
    WorkoutDecisionForm,
    WriteOffForm,
    money_text,
)
from koperasi.loans.models import (
    Loan,
    LoanProduct,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.receipts import booked_notice, has_receipt
from koperasi.loans.simulation import percent_text
from koperasi.tenancy.models import Cooperative, Role
from koperasi.tenancy.permissions import (
    APPROVE_LOANS,
    HANDLE_LOANS,
    TRANSACT_LOANS,
    VIEW_LOANS,
)


def _version(request: HttpRequest, loan: Loan) -> int:
    raw = request.GET.get("versi", "")
    if raw.isdigit() and 1 <= int(raw) <= loan.schedule_version:
        return int(raw)
    return int(loan.schedule_version)


def _method_label(method: str) -> str:
    # Loans keep the method they were made on as plain text (no choices on the field).
    return str(LoanProduct.Method(method).label) if method in LoanProduct.Method.values else method


def _history_rows(loan: Loan) -> list[dict[str, Any]]:
    history = list(selectors.history(loan=loan))
    reversed_ids = {t.reverses_id for t in history if t.reverses_id}
    return [
        {
            "txn": t,
            # Signed on the movement (a payment lowers the debt); shown as the amount it was.
            "principal": abs(t.principal),
            "reversed": t.pk in reversed_ids,
            "reversible": t.kind in REVERSIBLE and t.pk not in reversed_ids,
            "receipt": has_receipt(t),
        }
        for t in history
    ]


def _just_recorded(request: HttpRequest, loan: Loan) -> Any:
    """The movement an action just recorded (`?kwitansi=<id>`), offered for printing."""
    raw = request.GET.get("kwitansi", "")
    if not raw.isdigit():
        return None
    found = selectors.history(loan=loan).filter(pk=int(raw)).first()
    return found if found is not None and has_receipt(found) else None


def _loan_page(
    request: HttpRequest,
    loan: Loan,
    *,
    status: int = 200,
    target: int | None = None,
    **bound: forms.Form,
) -> HttpResponse:
    """The loan: terms, arrears, schedule, history and every action the role may take.

    `bound` replaces one form by the submitted one; `target` names the row (a movement or a
    proposal) that form belongs to.
    """
    coop = _coop(request)
    today = business_today(coop)
    active = loan.status == Loan.Status.ACTIVE
    version = _version(request, loan)
    schedule = selectors.schedule(loan=loan, version=version)
    quote = None
    if active:
        try:
            quote = services.settlement_quote(cooperative=coop, loan_id=loan.pk, on=today)
        except ServiceError:
            quote = None
    restructurings = list(selectors.restructurings(loan=loan))
    for proposal in restructurings:
        proposal.method_label = _method_label(proposal.new_method)
    write_offs = list(selectors.write_off_requests(loan=loan))
    Proposed = Restructuring.Status.PROPOSED
    for row in schedule:
        row.paid_total = row.principal_paid + row.interest_paid + row.penalty_paid
        row.overdue = row.due_date < today and row.amount_due > 0
    remaining = (
        sum(1 for r in schedule if r.amount_due > 0)
        if version == loan.schedule_version
        else loan.term
    )
    context = {
        "loan": loan,
        "today": today,
        "just_recorded": _just_recorded(request, loan),
        "active": active,
        "written_off": loan.status == Loan.Status.WRITTEN_OFF,
        "class_name": CLASS_NAMES.get(loan.collectibility, ""),
        "method_label": _method_label(loan.method),
        "arrears": selectors.arrears(loan=loan, as_of=today) if active else None,
        "version": version,
        "versions": range(1, loan.schedule_version + 1),
        "schedule": schedule,
        "totals": {
            "principal": sum((r.principal for r in schedule), ZERO),
            "interest": sum((r.interest for r in schedule), ZERO),
            "payment": sum((r.payment for r in schedule), ZERO),
        },
        "history": _history_rows(loan),
        "quote": quote,
        "restructurings": restructurings,
        "restructuring_pending": any(r.status == Proposed for r in restructurings),
        "write_offs": write_offs,
        "write_off_pending": any(w.status == WriteOffRequest.Status.PROPOSED for w in write_offs),
        "can_handle": _can(request, HANDLE_LOANS),
        "can_approve": _can(request, APPROVE_LOANS),
        "can_transact": _can(request, TRANSACT_LOANS),
        "is_board": request.staff_role == Role.ADMIN,  # type: ignore[attr-defined]
        "macet": loan.collectibility == MACET,
        "target": target,
        "bound": next(iter(bound), ""),
        "repay_form": bound.get("repay") or RepayForm(),
        "payoff_form": bound.get("payoff")
        or PayoffForm(initial={"amount": money_text(quote.total) if quote else ""}),
        "reverse_form": bound.get("reverse"),
        "new_reverse_form": ReverseForm,  # a class: the template makes one per row, each keyed
        "assess_form": bound.get("assess") or AssessForm(initial={"on": today}),
        "collection_notes": selectors.collection_notes(loan=loan) if active else [],
        "collection_form": bound.get("collection")
        or CollectionNoteForm(initial={"contacted_on": today, "kind": "call"}),
        "restructure_form": bound.get("restructure")
        or RestructureForm(
            initial={
                "kind": Restructuring.Kind.RESCHEDULING,
                "new_term": max(remaining, 1),
                "new_rate": percent_text(loan.rate),
                "new_rate_period": loan.rate_period,
                "new_method": loan.method,
                "grace_periods": 0,
            }
        ),
        "restructure_decision_form": bound.get("restructure_decision"),
        "write_off_decision_form": bound.get("write_off_decision"),
        "new_decision_form": WorkoutDecisionForm,
        "write_off_form": bound.get("write_off") or WriteOffForm(),
        "recover_form": bound.get("recover") or RecoveryForm(),
    }
    return render(request, "loans/staff_loan.html", context, status=status)


@require_GET
@staff_view(VIEW_LOANS)
def loan_detail(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.loan(cooperative=_coop(request), loan_id=loan_id)
    return _loan_page(request, loan)


def _back_to_loan(
    coop: Cooperative, loan: Loan, txn: LoanTransaction | None = None
) -> HttpResponse:
    """To the loan page; after a movement with a receipt, the page offers that receipt."""
    url = reverse("lending:loan", kwargs={"code": coop.code, "loan_id": loan.pk})
    return redirect(f"{url}?kwitansi={txn.pk}" if txn is not None else url)


def recorded_message(coop: Cooperative, message: str, txn: LoanTransaction) -> str:
    """`message`, and the notice when the movement was booked on the next business day."""
    notice = booked_notice(coop, txn)
    return f"{message} {notice}" if notice else message


def _loan_action(
    request: HttpRequest,
    loan_id: int,
    name: str,
    form_class: type[forms.Form],
    run: Callable[[Cooperative, Loan, dict[str, Any]], str | tuple[str, LoanTransaction]],
) -> HttpResponse:
    """Parse the form, run the service; success redirects to the loan with `run`'s message
    (and, when `run` gives the movement it recorded, its receipt)."""
    coop = _coop(request)
    loan = selectors.loan(cooperative=coop, loan_id=loan_id)
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        try:
            result = run(coop, loan, form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            if isinstance(result, tuple):
                message, txn = result
                messages.success(request, recorded_message(coop, message, txn))
                return _back_to_loan(coop, loan, txn)
            messages.success(request, result)
            return _back_to_loan(coop, loan)
    return _loan_page(request, loan, status=status, **{name: form})


@require_POST
@staff_view(TRANSACT_LOANS)
def repay(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> tuple[str, LoanTransaction]:
        txn = services.repay(
            cooperative=coop,
            actor=request.user,
            loan_id=loan.pk,
            amount=data["amount"],
            idempotency_key=str(data["idempotency_key"]),
            channel=data["channel"],
            note=data["note"],
        )
        message = _("Repayment of %(amount)s recorded (%(receipt)s).") % {
            "amount": format_rupiah(txn.amount),
            "receipt": txn.receipt_number,
        }
        return message, txn

    return _loan_action(request, loan_id, "repay", RepayForm, run)


@require_POST
@staff_view(TRANSACT_LOANS)
def pay_off(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> tuple[str, LoanTransaction]:
        txn = services.pay_off(
            cooperative=coop,
            actor=request.user,
            loan_id=loan.pk,
            amount=data["amount"],
            idempotency_key=str(data["idempotency_key"]),
            channel=data["channel"],
            note=data["note"],
        )
        message = _("The loan was paid off with %(amount)s (%(receipt)s).") % {
            "amount": format_rupiah(txn.amount),
            "receipt": txn.receipt_number,
        }
        return message, txn

    return _loan_action(request, loan_id, "payoff", PayoffForm, run)


@require_POST
@staff_view(TRANSACT_LOANS)
def recover(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> tuple[str, LoanTransaction]:
        txn = services.recover(
            cooperative=coop,
            actor=request.user,
            loan_id=loan.pk,
            amount=data["amount"],
            idempotency_key=str(data["idempotency_key"]),
            note=data["note"],
        )
        message = _("A recovery of %(amount)s was recorded.") % {
            "amount": format_rupiah(txn.amount)
        }
        return message, txn

    return _loan_action(request, loan_id, "recover", RecoveryForm, run)


@require_POST
@staff_view(HANDLE_LOANS)
def assess(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> str:
        assessed = services.assess(
            cooperative=coop, actor=request.user, loan_id=loan.pk, on=data["on"]
        )
        return _("As of %(date)s: %(days)s days past due, class %(klass)s.") % {
            "date": data["on"].strftime("%d/%m/%Y"),
            "days": assessed.days_past_due,
            "klass": f"{assessed.collectibility} {CLASS_NAMES.get(assessed.collectibility, '')}",
        }

    return _loan_action(request, loan_id, "assess", AssessForm, run)


@require_POST
@staff_view(HANDLE_LOANS)
def propose_restructuring(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> str:
        services.propose_restructuring(
            cooperative=coop,
            actor=request.user,
            loan_id=loan.pk,
            kind=data["kind"],
            new_term=data["new_term"],
            new_rate=data["new_rate"],
            new_rate_period=data["new_rate_period"],
            new_method=data["new_method"],
            grace_periods=data["grace_periods"],
            reason=data["reason"],
        )
        return str(_("The restructuring was proposed; it waits for approval."))

    return _loan_action(request, loan_id, "restructure", RestructureForm, run)


@require_POST
@staff_view(HANDLE_LOANS)
def propose_write_off(request: HttpRequest, loan_id: int) -> HttpResponse:
    def run(coop: Cooperative, loan: Loan, data: dict[str, Any]) -> str:
        services.propose_write_off(
            cooperative=coop, actor=request.user, loan_id=loan.pk, reason=data["reason"]
        )
        return str(_("The write-off was proposed; the board decides it."))

    return _loan_action(request, loan_id, "write_off", WriteOffForm, run)


def _decide_workout(
    request: HttpRequest,
    loan_id: int,
    proposal_id: int,
    name: str,
    proposals: Callable[[Loan], Any],
    decide: Callable[[Cooperative, bool, dict[str, Any]], Any],
) -> HttpResponse:
    coop = _coop(request)
    loan = selectors.loan(cooperative=coop, loan_id=loan_id)
    if not proposals(loan).filter(pk=proposal_id).exists():
        raise Http404  # another loan's (or cooperative's) proposal
    form = WorkoutDecisionForm(request.POST)
    status = 400
    if form.is_valid():
        approving = form.cleaned_data["decision"] == "approve"
        try:
            decide(coop, approving, form.cleaned_data)
        except ServiceError as exc:
            if exc.code == "not_open":
                messages.info(request, str(exc.message))  # decided already (a double click)
                return _back_to_loan(coop, loan)
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(
                request,
                _("The proposal was approved.") if approving else _("The proposal was rejected."),
            )
            return _back_to_loan(coop, loan)
    return _loan_page(request, loan, status=status, target=proposal_id, **{name: form})


@require_POST
@staff_view(APPROVE_LOANS)
def decide_restructuring(request: HttpRequest, loan_id: int, restructuring_id: int) -> HttpResponse:
    def decide(coop: Cooperative, approving: bool, data: dict[str, Any]) -> Any:
        return services.decide_restructuring(
            cooperative=coop,
            actor=request.user,
            role=request.staff_role,  # type: ignore[attr-defined]
            restructuring_id=restructuring_id,
            approve=approving,
            note=data["note"],
        )

    return _decide_workout(
        request,
        loan_id,
        restructuring_id,
        "restructure_decision",
        lambda loan: selectors.restructurings(loan=loan),
        decide,
    )


@require_POST
@staff_view(APPROVE_LOANS)
def decide_write_off(request: HttpRequest, loan_id: int, request_id: int) -> HttpResponse:
    def decide(coop: Cooperative, approving: bool, data: dict[str, Any]) -> Any:
        return services.decide_write_off(
            cooperative=coop,
            actor=request.user,
            role=request.staff_role,  # type: ignore[attr-defined]
            request_id=request_id,
            approve=approving,
            # No key (a crafted post) reaches the service as "", which it refuses.
            idempotency_key=str(data["idempotency_key"] or ""),
            note=data["note"],
        )

    return _decide_workout(
        request,
        loan_id,
        request_id,
        "write_off_decision",
        lambda loan: selectors.write_off_requests(loan=loan),
        decide,
    )


@require_POST
@staff_view(TRANSACT_LOANS)
def reverse_repayment(request: HttpRequest, txn_id: int) -> HttpResponse:
    coop = _coop(request)
    txn = selectors.transaction(cooperative=coop, transaction_id=txn_id)
    form = ReverseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.reverse_repayment(
                cooperative=coop,
                actor=request.user,
                transaction_id=txn.pk,
                reason=form.cleaned_data["reason"],
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(
                request, _("Repayment %(receipt)s was reversed.") % {"receipt": txn.receipt_number}
            )
            return _back_to_loan(coop, txn.loan)
    loan = selectors.loan(cooperative=coop, loan_id=txn.loan_id)
    return _loan_page(request, loan, status=status, target=txn.pk, reverse=form)


# --- Loan products ----------------------------------------------------------------------------
