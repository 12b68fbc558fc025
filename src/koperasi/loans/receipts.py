"""Receipts (kwitansi) of loan movements: a disbursement (the gross principal, each fee deducted
and the cash actually paid out) and every payment (its split, the principal left and the next
due date), as a printable page and as PDF.

Everything is read back from the movement and the schedule, so a receipt printed a year later
says what the one printed at the counter said.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from koperasi.common.booking import booked_later_notice, taken_on
from koperasi.common.pdf import html_to_pdf
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.errors import NotFound
from koperasi.loans import selectors
from koperasi.loans.documents import fees_charged
from koperasi.loans.models import Loan, LoanTransaction
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
# Movements with money between the member and the cooperative: each gets a receipt.
RECEIPT_KINDS = (Kind.DISBURSEMENT, Kind.FEE, Kind.REPAYMENT, Kind.PAYOFF, Kind.RECOVERY)
PAYMENT_KINDS = (Kind.REPAYMENT, Kind.PAYOFF)
# Movements whose allocation pays schedule rows (a reversal gives back what it names).
_PAYING = (Kind.REPAYMENT, Kind.PAYOFF, Kind.RECOVERY)


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    amount: Decimal
    deducted: bool = False  # shown as "− Rp …": taken off the principal before it was paid out


def has_receipt(txn: LoanTransaction) -> bool:
    return txn.kind in RECEIPT_KINDS


def receipt_transaction(
    *, cooperative: Cooperative, transaction_id: int, member: Any = None
) -> LoanTransaction:
    """The movement, if it has a receipt, belongs to this cooperative and (for the portal) to
    this member's loan; anything else is "not found", whoever it belongs to."""
    txn = selectors.transaction(cooperative=cooperative, transaction_id=transaction_id)
    if not has_receipt(txn) or (member is not None and txn.loan.member_id != member.pk):
        raise NotFound()
    return txn


def booked_notice(cooperative: Cooperative, txn: LoanTransaction) -> str | None:
    """Said when the movement was taken after its day's close and so booked the next day."""
    return booked_later_notice(txn.business_date, taken_on(txn.created_at, cooperative.time_zone))


def next_due_date(txn: LoanTransaction) -> dt.date | None:
    """The due date of the first instalment still open right after `txn` (None once the loan
    is paid off). Replayed from the movements up to `txn`, so a reprint gives the same date."""
    if txn.outstanding_after <= 0:
        return None
    loan = txn.loan
    versions = [int(item["version"]) for item in txn.allocation if "version" in item]
    rows = selectors.schedule(loan=loan, version=max(versions) if versions else None)
    settled = {row.pk: ZERO for row in rows}
    earlier = selectors.history(loan=loan).filter(
        pk__lte=txn.pk, kind__in=(*_PAYING, Kind.REVERSAL)
    )
    for movement in earlier:
        sign = -1 if movement.kind == Kind.REVERSAL else 1
        for item in movement.allocation:
            if item.get("id") in settled:
                paid = sum(
                    (Decimal(item.get(part, "0")) for part in ("principal", "interest", "waived")),
                    ZERO,
                )
                settled[item["id"]] += sign * paid
    for row in rows:
        if row.principal + row.interest - settled[row.pk] > 0:
            return row.due_date
    return None


def _disbursement_lines(loan: Loan, txn: LoanTransaction) -> list[ReceiptLine]:
    lines = [ReceiptLine(_("Loan principal"), txn.principal)]
    if txn.fee:
        fees = fees_charged(loan, list(selectors.history(loan=loan)))
        if fees.provisi is not None and fees.admin is not None:
            if fees.provisi:
                lines.append(ReceiptLine(_("Provisi fee"), fees.provisi, deducted=True))
            if fees.admin:
                lines.append(ReceiptLine(_("Administration fee"), fees.admin, deducted=True))
        else:  # the product's fees changed since: only their total is known
            lines.append(ReceiptLine(_("Fees"), txn.fee, deducted=True))
    return lines


def _payment_lines(txn: LoanTransaction) -> list[ReceiptLine]:
    # The movement's principal is the signed change of the debt (a payment lowers it); the
    # member paid it, so it is shown as a positive amount.
    waived = sum((Decimal(item.get("waived", "0")) for item in txn.allocation), ZERO)
    parts = [
        (_("Penalty"), txn.penalty),
        (_("Interest"), txn.interest),
        (_("Principal"), abs(txn.principal)),
        (_("Early payoff fee"), txn.fee),
        (_("Excess into sukarela savings"), txn.excess),
    ]
    lines = [ReceiptLine(label, amount) for label, amount in parts if amount]
    if waived:
        lines.append(ReceiptLine(_("Interest forgiven (not paid)"), waived))
    return lines


def disbursement_of(loan: Loan) -> LoanTransaction:
    return selectors.history(loan=loan).get(kind=Kind.DISBURSEMENT)


def disbursement_message(cooperative: Cooperative, loan: Loan, txn: LoanTransaction) -> str:
    """What the teller is told: the money actually paid out, not the gross principal."""
    values = {
        "number": loan.number,
        "paid": format_rupiah(txn.amount),
        "principal": format_rupiah(txn.principal),
        "fees": format_rupiah(txn.fee),
        "account": loan.savings_account.number if loan.savings_account else "",
    }
    to_savings = txn.channel == LoanTransaction.Channel.SAVINGS
    if txn.fee and to_savings:
        text = _(
            "Loan %(number)s was disbursed: %(paid)s paid into savings account %(account)s "
            "(principal %(principal)s less fees of %(fees)s)."
        )
    elif txn.fee:
        text = _(
            "Loan %(number)s was disbursed: %(paid)s paid out in cash "
            "(principal %(principal)s less fees of %(fees)s)."
        )
    elif to_savings:
        text = _("Loan %(number)s was disbursed: %(paid)s paid into savings account %(account)s.")
    else:
        text = _("Loan %(number)s was disbursed: %(paid)s paid out in cash.")
    parts = [text % values]
    fee = selectors.history(loan=loan).filter(kind=Kind.FEE).first()
    if fee is not None:
        parts.append(
            _("Fees of %(fees)s are paid separately (%(receipt)s).")
            % {"fees": format_rupiah(fee.amount), "receipt": fee.receipt_number}
        )
    notice = booked_notice(cooperative, txn)
    if notice:
        parts.append(notice)
    return " ".join(parts)


def receipt_context(cooperative: Cooperative, txn: LoanTransaction) -> dict[str, Any]:
    """Everything the receipt page and its PDF print."""
    loan = txn.loan
    is_disbursement = txn.kind == Kind.DISBURSEMENT
    separate_fee = None
    if is_disbursement:
        separate_fee = selectors.history(loan=loan).filter(kind=Kind.FEE).first()
    reversal = LoanTransaction.objects.filter(reverses=txn).first()
    teller = ""
    if txn.actor is not None:
        teller = txn.actor.get_full_name() or txn.actor.get_username()
    return {
        "coop": cooperative,
        "txn": txn,
        "loan": loan,
        "member": loan.member,
        "is_disbursement": is_disbursement,
        "is_payment": txn.kind in PAYMENT_KINDS,
        "to_savings": txn.channel == LoanTransaction.Channel.SAVINGS,
        "savings_account": loan.savings_account if is_disbursement else None,
        "lines": (
            _disbursement_lines(loan, txn)
            if is_disbursement
            else _payment_lines(txn)
            if txn.kind in PAYMENT_KINDS
            else []
        ),
        "amount": txn.amount,  # paid out on a disbursement, received otherwise
        "separate_fee": separate_fee,
        "next_due_date": next_due_date(txn) if txn.kind != Kind.FEE else None,
        "paid_off": txn.outstanding_after <= 0,
        "booked_notice": booked_notice(cooperative, txn),
        "reversal": reversal,
        "teller_name": teller,
    }


def receipt_pdf(request: HttpRequest, context: dict[str, Any]) -> bytes:
    html = render_to_string("loans/receipt_pdf.html", context, request=request)
    return html_to_pdf(html)
