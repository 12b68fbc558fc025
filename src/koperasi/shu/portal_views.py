"""The member's own SHU under /saya/shu/: each closed year's jasa modal and jasa usaha with
the working ("my savings ÷ all members' savings × the pool")."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from koperasi.common.decorators import member_view
from koperasi.common.pdf import pdf_response
from koperasi.shu import figures


@member_view
def my_shu(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    years = figures.my_shu(cooperative=member.cooperative, member=member)
    return render(request, "shu/portal_shu.html", {"years": years})


@member_view
def my_shu_pdf(request: HttpRequest, year: int) -> HttpResponse:
    """The member's SHU slip of a closed year (PDF): the shares with their working."""
    member = request.member  # type: ignore[attr-defined]
    found = next(
        (
            i
            for i in figures.my_shu(cooperative=member.cooperative, member=member)
            if i.year.year == year
        ),
        None,
    )
    if found is None:
        raise Http404
    return pdf_response(
        request,
        "shu/slip_pdf.html",
        {"coop": member.cooperative, "member": member, "item": found, "title": _("SHU slip")},
        f"shu-{year}-{member.number}.pdf",
    )
