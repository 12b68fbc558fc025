from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "coop": getattr(request, "cooperative", None),
        "role": getattr(request, "staff_role", None),
    }
