"""The 403, 404 and 500 pages (handlers named in koperasi/urls.py; templates 403.html, 404.html,
500.html and 403_csrf.html of this app).

A 403 or 404 shows the menu of the user who met it: the cooperative in the URL when the user
works there (a stranger learns nothing: the page is the same as for a cooperative that does not
exist), else the member portal or the one cooperative the user works in. The 500 page needs
neither the database nor the request: Django's own handler renders it from the template alone.
"""

import re

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from koperasi.common.decorators import scope_member, scope_staff
from koperasi.errors import NotFound
from koperasi.members import selectors as member_selectors
from koperasi.tenancy import selectors as tenancy

_STAFF_PATH = re.compile(r"^/k/(?P<code>[-\w]+)/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    scope_for_error_page(request)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    scope_for_error_page(request)
    return defaults.permission_denied(request, exception)


def scope_for_error_page(request: HttpRequest) -> None:
    """Scope a request that no view scoped (an unknown address, a refusal before the view)."""
    if getattr(request, "cooperative", None) is not None or request.path.startswith("/api/"):
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if match := _STAFF_PATH.match(request.path):
        try:
            coop = tenancy.cooperative_by_code(match["code"])
        except NotFound:
            return
        if role := tenancy.staff_role(user, coop):
            scope_staff(request, coop, role)
        return
    member = member_selectors.member_for_user(user)
    coops = list(tenancy.cooperatives_for(user)[:2])
    if member is not None and (request.path.startswith("/saya/") or not coops):
        scope_member(request, member)
    elif len(coops) == 1 and member is None:
        coop = coops[0]
        if role := tenancy.staff_role(user, coop):
            scope_staff(request, coop, role)
