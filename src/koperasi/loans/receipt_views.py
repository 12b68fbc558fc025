"""Receipt pages of loan movements: for staff of the cooperative (any movement with a receipt)
and for the member (their own loans only; another member's movement is "not found")."""

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from koperasi.common.decorators import member_view, staff_view
from koperasi.loans.receipts import receipt_context, receipt_pdf, receipt_transaction
from koperasi.tenancy.permissions import VIEW_LOANS


def _staff_context(request: HttpRequest, txn_id: int) -> dict[str, Any]:
    coop = request.cooperative  # type: ignore[attr-defined]  # set by staff_view
    txn = receipt_transaction(cooperative=coop, transaction_id=txn_id)
    return receipt_context(coop, txn)


def _member_context(request: HttpRequest, txn_id: int) -> dict[str, Any]:
    coop, member = request.cooperative, request.member  # type: ignore[attr-defined]
    txn = receipt_transaction(cooperative=coop, transaction_id=txn_id, member=member)
    return {**receipt_context(coop, txn), "portal": True}


def _pdf_response(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(receipt_pdf(request, context), content_type="application/pdf")
    name = re.sub(r"[^\w.-]", "-", context["txn"].receipt_number)
    response["Content-Disposition"] = f'inline; filename="kwitansi-{name}.pdf"'
    return response


@require_GET
@staff_view(VIEW_LOANS)
def receipt(request: HttpRequest, txn_id: int) -> HttpResponse:
    return render(request, "loans/receipt.html", _staff_context(request, txn_id))


@require_GET
@staff_view(VIEW_LOANS)
def receipt_pdf_view(request: HttpRequest, txn_id: int) -> HttpResponse:
    return _pdf_response(request, _staff_context(request, txn_id))


@require_GET
@member_view
def my_receipt(request: HttpRequest, txn_id: int) -> HttpResponse:
    return render(request, "loans/receipt.html", _member_context(request, txn_id))


@require_GET
@member_view
def my_receipt_pdf(request: HttpRequest, txn_id: int) -> HttpResponse:
    return _pdf_response(request, _member_context(request, txn_id))
