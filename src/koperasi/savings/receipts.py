"""Printable documents for savings: the receipt (kwitansi) as PDF, rendered with WeasyPrint."""

from typing import Any

import weasyprint
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string

# Only inline data: URLs may be loaded, so rendering never reaches the network or the disk.
_FETCHER = weasyprint.URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str) -> bytes:
    pdf = weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=_FETCHER
    ).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf


def receipt_pdf(request: HttpRequest, context: dict[str, Any]) -> bytes:
    """The kwitansi on an A5 page; the template carries its own CSS (no external files)."""
    html = render_to_string("savings/receipt_pdf.html", context, request=request)
    return html_to_pdf(html)
