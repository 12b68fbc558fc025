"""Request scoping for staff pages under /k/<code>/ and for the member portal.

A user who is not staff of the cooperative in the URL gets 404 (existence does not leak);
staff whose role lacks the permission get 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from koperasi.errors import NotFound, PermissionDenied
from koperasi.members import selectors as member_selectors
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.permissions import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from koperasi.members.models import Member
    from koperasi.tenancy.models import Cooperative

View = Callable[..., HttpResponse]


def staff_view(permission: str) -> Callable[[View], View]:
    """Resolve `request.cooperative` and `request.staff_role` from the URL's `code`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                coop = tenancy.cooperative_by_code(code)
            except NotFound as exc:
                raise Http404 from exc
            role = tenancy.staff_role(request.user, coop)
            if role is None:
                raise Http404
            # Scoped before the permission check: the 403 page shows this role's menu.
            scope_staff(request, coop, role)
            try:
                tenancy.require_permission(request.user, coop, permission, role=role)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404 from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied from exc

        return wrapped

    return decorator


def scope_staff(request: HttpRequest, coop: "Cooperative", role: str) -> None:
    """The request works in `coop` as `role` (the menu and the views read these)."""
    request.cooperative = coop  # type: ignore[attr-defined]
    request.staff_role = role  # type: ignore[attr-defined]
    request.permissions = ROLE_PERMISSIONS.get(role, frozenset())  # type: ignore[attr-defined]


def scope_member(request: HttpRequest, member: "Member") -> None:
    request.member = member  # type: ignore[attr-defined]
    request.cooperative = member.cooperative  # type: ignore[attr-defined]


def member_view(view: View) -> View:
    """Member portal pages: the logged-in user's own membership, nothing else."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = member_selectors.member_for_user(request.user)
        if member is None:
            raise Http404
        scope_member(request, member)
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc

    return wrapped
