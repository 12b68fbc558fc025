"""The reports' index: every report the user's role may open, from the section menu's table."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from koperasi.common.decorators import staff_view
from koperasi.tenancy.permissions import VIEW_LOANS


@staff_view(VIEW_LOANS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html")
