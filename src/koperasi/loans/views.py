"""The loan simulator pages: public per cooperative and in the member portal."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from koperasi.common.decorators import member_view
from koperasi.errors import NotFound
from koperasi.ledger.services import business_today
from koperasi.loans.forms import (
    SimulatorForm,
)
from koperasi.loans.simulation import percent_text
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.models import Cooperative

INITIAL = {"rate_period": "month", "method": "anuitas", "rounding": "none", "months": 12}


def _simulation(request: HttpRequest, coop: Cooperative) -> tuple[dict[str, Any], int]:
    """The form and, once filled in, the schedule; 400 when the terms are refused.

    A GET form, so a simulation is a link that can be shared.
    """
    filled = any(name in request.GET for name in SimulatorForm.base_fields)
    form = SimulatorForm(
        request.GET if filled else None,
        initial=INITIAL,
        rate_cap=coop.loan_rate_cap,
        start=business_today(coop),
    )
    status = 200 if not filled or form.is_valid() else 400
    schedule = form.schedule
    context = {
        "coop": coop,
        "form": form,
        "schedule": schedule,
        "rate_cap": percent_text(coop.loan_rate_cap),
        "total_principal": (
            schedule.total_payment - schedule.total_interest if schedule is not None else None
        ),
    }
    return context, status


def public_simulator(request: HttpRequest, code: str) -> HttpResponse:
    """/koperasi/<code>/: who the cooperative is and what a loan there would cost."""
    try:
        coop = tenancy.cooperative_by_code(code)
    except NotFound as exc:
        raise Http404 from exc
    context, status = _simulation(request, coop)
    return render(request, "loans/public_simulator.html", context, status=status)


@member_view
def portal_simulator(request: HttpRequest) -> HttpResponse:
    """/saya/simulasi-pinjaman/: the same simulator, with the member's cooperative's cap."""
    coop: Cooperative = request.cooperative  # type: ignore[attr-defined]
    context, status = _simulation(request, coop)
    return render(request, "loans/portal_simulator.html", context, status=status)


# --- Staff pages under /k/<code>/pinjaman/ ----------------------------------------------------
# Thin: a form parses, a service writes, a selector reads. A refused request re-renders the page
# with the message beside its field (status 400, or 403/409 as the service says) and changes
# nothing; a money-moving form carries the idempotency key it was rendered with.
