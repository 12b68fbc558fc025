import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from koperasi.governance import selectors as governance
from koperasi.ledger import services as ledger


def _business_date(request: HttpRequest) -> Callable[[], dt.date | None]:
    """The date staff work is posted on (`ledger.business_today`), for the header of every staff
    page: from the cooperative as this request read it (no query, no lock: it only shows)."""

    def read() -> dt.date | None:
        coop = getattr(request, "cooperative", None)
        if coop is None or getattr(request, "staff_role", None) is None:
            return None  # the member portal and pages outside a cooperative
        return ledger.business_day(ledger.local_today(coop), coop.days_closed_through)

    return read


def _rat_banner(request: HttpRequest) -> Callable[[], Any]:
    """The announced or open members' meeting, for the banner on every portal page."""

    def read() -> Any:
        coop = getattr(request, "cooperative", None)
        if coop is None or getattr(request, "member", None) is None:
            return None
        return governance.banner(coop)

    return read


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "coop": getattr(request, "cooperative", None),
        "role": getattr(request, "staff_role", None),
        "business_date": _business_date(request),
        "rat_banner": _rat_banner(request),
    }
