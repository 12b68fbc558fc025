"""A loan's printed documents: the agreement (perjanjian pinjaman) and the loan card (kartu
angsuran), as PDF through WeasyPrint and as HTML (`?html=1`) for a quick look and for tests.

Also the schedule as a member or teller reads it (`schedule_lines`): each row with what was
paid, when, and whether it is paid, due or overdue; the member portal shows the same rows.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.pdf import html_to_pdf
from koperasi.domain.money import ZERO, format_rupiah, round_half_up
from koperasi.domain.terbilang import terbilang
from koperasi.ledger.services import business_today
from koperasi.loans import selectors
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.loans.simulation import percent_text
from koperasi.tenancy.models import Cooperative

RUPIAH = Decimal("1")
# Movements that pay instalments; a reversal gives back what the movement it reverses paid.
_PAYING_KINDS = (
    LoanTransaction.Kind.REPAYMENT,
    LoanTransaction.Kind.PAYOFF,
    LoanTransaction.Kind.RECOVERY,
)

# --- the schedule as people read it ----------------------------------------------------------


@dataclass(frozen=True)
class ScheduleLine:
    no: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal
    penalty: Decimal
    paid: Decimal  # principal + interest + penalty received on this row
    waived: Decimal  # interest forgiven (early payoff, restructuring)
    owed: Decimal  # what is still to pay on this row
    paid_dates: tuple[dt.date, ...]
    status: str  # "paid" | "due" | "overdue"

    @property
    def partly_paid(self) -> bool:
        return self.status != "paid" and self.paid > 0


def _payment_dates(history: list[LoanTransaction]) -> dict[int, list[dt.date]]:
    """Instalment id -> dates of the movements that paid on it (reversed ones left out)."""
    reversed_ids = {t.reverses_id for t in history if t.reverses_id is not None}
    dates: dict[int, list[dt.date]] = {}
    for txn in history:
        if txn.kind not in _PAYING_KINDS or txn.pk in reversed_ids:
            continue
        for item in txn.allocation:
            paid = sum(
                (Decimal(item.get(part, "0")) for part in ("principal", "interest", "penalty")),
                ZERO,
            )
            if paid > 0 and "id" in item:
                found = dates.setdefault(item["id"], [])
                if txn.business_date not in found:
                    found.append(txn.business_date)
    return dates


def _status(row: Instalment, today: dt.date) -> str:
    if row.paid_on is not None or row.amount_due <= 0:
        return "paid"
    # Late once the due date has passed with principal or interest unpaid (as `arrears` counts).
    if row.due_date < today and row.principal_due + row.interest_due > 0:
        return "overdue"
    return "due"


def schedule_lines(
    loan: Loan, rows: list[Instalment], history: list[LoanTransaction], today: dt.date
) -> list[ScheduleLine]:
    dates = _payment_dates(history)
    return [
        ScheduleLine(
            no=row.no,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            payment=row.payment,
            balance=row.balance,
            penalty=row.penalty,
            paid=row.principal_paid + row.interest_paid + row.penalty_paid,
            waived=row.interest_waived,
            owed=max(row.amount_due, ZERO),
            paid_dates=tuple(sorted(dates.get(row.pk, []))),
            status=_status(row, today),
        )
        for row in rows
    ]


# --- terms in words --------------------------------------------------------------------------


def rate_text(rate: Decimal, rate_period: str) -> str:
    if rate_period == LoanProduct.RatePeriod.YEAR:
        return _("%(rate)s%% per year") % {"rate": percent_text(rate)}
    return _("%(rate)s%% per month") % {"rate": percent_text(rate)}


def penalty_text(product: LoanProduct) -> str:
    """The product's late-payment rule as one sentence for the agreement."""
    kind = product.penalty_kind
    if kind == LoanProduct.PenaltyKind.NONE:
        return _("No late-payment penalty.")
    if kind == LoanProduct.PenaltyKind.FLAT:
        parts = [
            _("%(amount)s for each instalment paid late")
            % {"amount": format_rupiah(product.penalty_flat)}
        ]
    elif kind == LoanProduct.PenaltyKind.PCT_MONTH:
        parts = [
            _("%(rate)s%% of the overdue instalment for each month late")
            % {"rate": percent_text(product.penalty_rate)}
        ]
    else:
        parts = [
            _("%(rate)s%% of the overdue instalment for each day late")
            % {"rate": percent_text(product.penalty_rate)}
        ]
    if product.penalty_grace_days:
        parts.append(
            _("counted after %(days)s days of grace") % {"days": product.penalty_grace_days}
        )
    if product.penalty_cap_pct:
        parts.append(
            _("at most %(cap)s%% of the instalment")
            % {"cap": percent_text(product.penalty_cap_pct)}
        )
    return ", ".join(parts) + "."


def allocation_text(order: str) -> str:
    words = {"penalty": _("penalty"), "interest": _("interest"), "principal": _("principal")}
    return " → ".join(str(words.get(part.strip(), part.strip())) for part in order.split(","))


@dataclass(frozen=True)
class Fees:
    total: Decimal
    provisi: Decimal | None  # None when the product's fees changed since the disbursement
    admin: Decimal | None
    deducted: bool


def fees_charged(loan: Loan, history: list[LoanTransaction]) -> Fees:
    """The fees as charged at disbursement (the product may have changed since)."""
    product = loan.product
    total = sum(
        (
            t.fee
            for t in history
            if t.kind in (LoanTransaction.Kind.DISBURSEMENT, LoanTransaction.Kind.FEE)
        ),
        ZERO,
    )
    deducted = any(t.kind == LoanTransaction.Kind.DISBURSEMENT and t.fee for t in history)
    # The split is not stored; the product's figures give it when they still add up.
    provisi = round_half_up(loan.principal * product.provisi_pct / 100, RUPIAH)
    if provisi + product.admin_fee == total:
        return Fees(total, provisi, product.admin_fee, deducted)
    return Fees(total, None, None, deducted)


# --- rendering --------------------------------------------------------------------------------


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def member_address(loan: Loan) -> str:
    member = loan.member
    parts = [member.address, member.village, member.district, member.regency, member.province]
    return ", ".join(part for part in parts if part)


def place_of(cooperative: Cooperative) -> str:
    """Where a document is signed: the town at the end of the cooperative's address."""
    parts = [p.strip() for p in cooperative.address.replace("\n", ",").split(",") if p.strip()]
    return parts[-1] if parts else ""


def document_context(cooperative: Cooperative, loan: Loan) -> dict[str, Any]:
    """Everything both documents print, read once."""
    rows = selectors.schedule(loan=loan)
    history = list(selectors.history(loan=loan))
    today = business_today(cooperative)
    lines = schedule_lines(loan, rows, history, today)
    # Flat and annuity instalments are equal but for the last (which absorbs the rounding).
    payments = {line.payment for line in lines[:-1]} or {line.payment for line in lines}
    application = loan.application
    return {
        "coop": cooperative,
        "loan": loan,
        "member": loan.member,
        "member_address": member_address(loan),
        "product": loan.product,
        "application": application,
        "collaterals": list(application.collaterals.all()),
        "guarantors": [g.member for g in application.guarantors.select_related("member")],
        "lines": lines,
        "first_due": lines[0].due_date if lines else None,
        "last_due": lines[-1].due_date if lines else None,
        "equal_payment": payments.pop() if len(payments) == 1 else None,
        "first_payment": lines[0].payment if lines else ZERO,
        "last_payment": lines[-1].payment if lines else ZERO,
        "place": place_of(cooperative),
        "provisi_pct": percent_text(loan.product.provisi_pct),
        "early_payoff_fee_pct": percent_text(loan.product.early_payoff_fee_pct),
        "principal_words": terbilang(loan.principal),
        "rate_text": rate_text(loan.rate, loan.rate_period),
        "method_label": LoanProduct.Method(loan.method).label
        if loan.method in LoanProduct.Method.values
        else loan.method,
        "frequency_label": LoanProduct.Frequency(loan.frequency).label
        if loan.frequency in LoanProduct.Frequency.values
        else loan.frequency,
        "fees": fees_charged(loan, history),
        "penalty_text": penalty_text(loan.product),
        "allocation_text": allocation_text(loan.product.allocation_order),
        "totals": {
            "principal": sum((line.principal for line in lines), ZERO),
            "interest": sum((line.interest for line in lines), ZERO),
            "payment": sum((line.payment for line in lines), ZERO),
            "paid": sum((line.paid for line in lines), ZERO),
            "owed": sum((line.owed for line in lines), ZERO),
        },
        "restructured": loan.schedule_version > 1,
        "printed_on": today,
    }


def _document(request: HttpRequest, loan_id: int, template: str, filename: str) -> HttpResponse:
    coop = _coop(request)
    loan = selectors.loan(cooperative=coop, loan_id=loan_id)  # NotFound (404) if not ours
    html = render_to_string(template, document_context(coop, loan), request=request)
    if request.GET.get("html") == "1":
        return HttpResponse(html)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    safe_number = re.sub(r"[^\w.-]", "-", loan.number)
    response["Content-Disposition"] = f'inline; filename="{filename % safe_number}"'
    return response


@require_GET
@staff_view("loans.view")
def agreement(request: HttpRequest, loan_id: int) -> HttpResponse:
    return _document(request, loan_id, "loans/pdf_agreement.html", "perjanjian-%s.pdf")


@require_GET
@staff_view("loans.view")
def card(request: HttpRequest, loan_id: int) -> HttpResponse:
    return _document(request, loan_id, "loans/pdf_card.html", "kartu-angsuran-%s.pdf")
