"""API tokens on the settings pages: a manager sees the cooperative's working tokens (who, when
issued, when they expire, when last used) and revokes any; a member revokes their own from the
portal profile (web.portal_views)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.paging import peek_page
from koperasi.tenancy import selectors, services
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import MANAGE_SETTINGS

TOKENS_PAGE_SIZE = 50


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


@staff_view(MANAGE_SETTINGS)
def tokens(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    page = peek_page(
        selectors.live_tokens(cooperative=coop), request.GET.get("page"), TOKENS_PAGE_SIZE
    )
    for token in page.rows:
        token.revoke_url = reverse(
            "settings:token_revoke", kwargs={"code": coop.code, "token_id": token.pk}
        )
    context = {"page": page, "section": "tokens", "token_days": settings.API_TOKEN_TTL_DAYS}
    return render(request, "settings/api_tokens.html", context)


@require_POST
@staff_view(MANAGE_SETTINGS)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    coop = _coop(request)
    token = services.revoke_cooperative_token(
        cooperative=coop, actor=request.user, token_id=token_id
    )
    messages.success(request, token.revoked_text())
    return redirect("settings:tokens", code=coop.code)
