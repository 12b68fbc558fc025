"""The member's own SHU under /saya/shu/: each closed year's jasa modal and jasa usaha with
the working ("my savings ÷ all members' savings × the pool")."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from koperasi.common.decorators import member_view
from koperasi.shu import figures


@member_view
def my_shu(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    years = figures.my_shu(cooperative=member.cooperative, member=member)
    return render(request, "shu/portal_shu.html", {"years": years})
