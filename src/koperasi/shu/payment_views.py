"""The distributed SHU's pages under /k/<code>/shu/<year>/pembagian/: the distribution report
(where the SHU went, the shares by how they were paid, every member's share, as XLSX too), the
remaining shares paid into savings, one share paid in cash at the teller, and its receipt."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import KeyedForm
from koperasi.common.paging import peek_page
from koperasi.common.pdf import html_to_pdf, pdf_response
from koperasi.common.xlsx import list_download
from koperasi.domain.money import format_rupiah
from koperasi.errors import NotFound, ServiceError
from koperasi.shu import selectors, services
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import CLOSE_PERIOD, TRANSACT_SAVINGS, VIEW_SAVINGS

PAGE_SIZE = 50


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]


def _report_page(request: HttpRequest, year: int, status: int = 200) -> HttpResponse:
    coop = _coop(request)
    distribution = selectors.distribution_of(cooperative=coop, year=year)
    query = request.GET.get("q", "").strip()[:100]
    unpaid = request.GET.get("unpaid") == "1"
    rows = selectors.shares(distribution=distribution, query=query, unpaid=unpaid)
    allowed = request.permissions  # type: ignore[attr-defined]
    context = {
        "year": year,
        "report": selectors.distribution_report(distribution=distribution),
        "page": peek_page(rows, request.GET.get("page"), PAGE_SIZE),
        "query": query,
        "unpaid": unpaid,
        "may_pay_cash": TRANSACT_SAVINGS in allowed,
        "may_pay_savings": CLOSE_PERIOD in allowed,
        "form": KeyedForm(),
    }
    return render(request, "shu/distribution.html", context, status=status)


@require_GET
@staff_view(VIEW_SAVINGS)
def distribution_report(request: HttpRequest, year: int) -> HttpResponse:
    return _report_page(request, year)


@require_GET
@staff_view(VIEW_SAVINGS)
def distribution_pdf(request: HttpRequest, year: int) -> HttpResponse:
    coop = _coop(request)
    distribution = selectors.distribution_of(cooperative=coop, year=year)
    title = _("SHU distribution %(year)s") % {"year": year}
    report = selectors.distribution_report(distribution=distribution)
    context = {"coop": coop, "report": report, "title": title, "signatures": True}
    return pdf_response(
        request, "shu/distribution_pdf.html", context, f"pembagian-shu-{year}-{coop.code}.pdf"
    )


@require_GET
@staff_view(VIEW_SAVINGS)
def distribution_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    coop = _coop(request)
    distribution = selectors.distribution_of(cooperative=coop, year=year)
    rows = selectors.shares(
        distribution=distribution,
        query=request.GET.get("q", "")[:100],
        unpaid=request.GET.get("unpaid") == "1",
    )
    return list_download(
        _("SHU distribution %(year)s") % {"year": year},
        f"pembagian-shu-{year}-{coop.code}.xlsx",
        (
            _("Member number"),
            _("Name"),
            _("Jasa modal"),
            _("Jasa usaha"),
            _("Total"),
            _("Paid"),
            _("Paid on"),
        ),
        (
            (
                s.member.number,
                s.member.name,
                s.jasa_modal,
                s.jasa_usaha,
                s.total,
                s.get_paid_via_display() or _("Not paid yet"),
                s.paid_on,
            )
            for s in rows.iterator(chunk_size=2000)
        ),
        widths={"A": 12, "B": 32, "F": 26},
    )


def _payment(request: HttpRequest, year: int, pay: Callable[[str], HttpResponse]) -> HttpResponse:
    """A payment form's POST: its key checked, the payment made (`pay` with the key, answering
    the redirect), or the report again with the refusal and its status."""
    form = KeyedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form has expired; open the page again."))
        return _report_page(request, year, 400)
    try:
        return pay(str(form.cleaned_data["idempotency_key"]))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return _report_page(request, year, exc.status)


@require_POST
@staff_view(CLOSE_PERIOD)
def pay_into_savings(request: HttpRequest, year: int) -> HttpResponse:
    coop = _coop(request)

    def pay(key: str) -> HttpResponse:
        count = services.pay_into_savings(
            cooperative=coop, actor=request.user, year=year, idempotency_key=key
        )
        messages.success(
            request, _("%(count)s shares were paid into sukarela savings.") % {"count": count}
        )
        return redirect("shu:distribution", code=coop.code, year=year)

    return _payment(request, year, pay)


@require_POST
@staff_view(TRANSACT_SAVINGS)
def pay_cash(request: HttpRequest, year: int, member_id: int) -> HttpResponse:
    coop = _coop(request)

    def pay(key: str) -> HttpResponse:
        share = services.pay_in_cash(
            cooperative=coop,
            actor=request.user,
            year=year,
            member_id=member_id,
            # One key per rendering of the page: each row's payment a request of its own.
            idempotency_key=f"{key}:{member_id}",
        )
        messages.success(
            request,
            _("SHU %(amount)s paid in cash to %(member)s.")
            % {"amount": format_rupiah(share.total), "member": share.member.name},
        )
        return redirect("shu:cash_receipt", code=coop.code, share_id=share.pk)

    return _payment(request, year, pay)


def _receipt_context(request: HttpRequest, share_id: int) -> dict[str, Any]:
    share = selectors.share(cooperative=_coop(request), share_id=share_id)
    if share.paid_via != share.PaidVia.CASH:
        raise NotFound()
    return {"coop": _coop(request), "share": share, "amount": share.total}


@require_GET
@staff_view(VIEW_SAVINGS)
def cash_receipt(request: HttpRequest, share_id: int) -> HttpResponse:
    return render(request, "shu/cash_receipt.html", _receipt_context(request, share_id))


@require_GET
@staff_view(VIEW_SAVINGS)
def cash_receipt_pdf(request: HttpRequest, share_id: int) -> HttpResponse:
    context = _receipt_context(request, share_id)
    html = render_to_string("shu/cash_receipt_pdf.html", context, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    number = context["share"].member.number
    response["Content-Disposition"] = f'inline; filename="kwitansi-shu-{number}.pdf"'
    return response
