"""HTML to PDF with WeasyPrint, for every printable document (receipts, agreements, cards)."""

import weasyprint
from django.conf import settings

# Only inline data: URLs may be loaded, so rendering never reaches the network or the disk.
_FETCHER = weasyprint.URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str) -> bytes:
    pdf = weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=_FETCHER
    ).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
