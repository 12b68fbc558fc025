"""Printable documents for savings: the receipt (kwitansi) as PDF."""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from koperasi.common.pdf import html_to_pdf


def receipt_pdf(request: HttpRequest, context: dict[str, Any]) -> bytes:
    """The kwitansi on an A5 page; the template carries its own CSS (no external files)."""
    html = render_to_string("savings/receipt_pdf.html", context, request=request)
    return html_to_pdf(html)
