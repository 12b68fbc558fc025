"""HTML to PDF with WeasyPrint, for every printable document (receipts, agreements, cards)."""

from typing import Any

import weasyprint
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

# Only inline data: URLs may be loaded, so rendering never reaches the network or the disk.
_FETCHER = weasyprint.URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str) -> bytes:
    pdf = weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=_FETCHER
    ).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf


def pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], filename: str
) -> HttpResponse:
    """`template` rendered with `context` (and the time it is printed) as an inline PDF."""
    html = render_to_string(
        template, {**context, "printed_at": timezone.localtime()}, request=request
    )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
