from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from koperasi.api import api


@csrf_exempt  # no API address uses a session, so none asks for a CSRF token
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """An unknown API address answers in the API's error format, not with an HTML page."""
    detail = [{"field": None, "code": "not_found", "message": _("Not found.")}]
    return JsonResponse({"detail": detail}, status=404)


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("k/<slug:code>/tutup-buku/", include("koperasi.closing.urls")),
    path("", include("koperasi.web.urls")),
]

# Our own pages in the user's language, with the menu (500 keeps Django's handler, which renders
# templates/500.html without touching the database).
handler403 = "koperasi.web.error_pages.permission_denied"
handler404 = "koperasi.web.error_pages.page_not_found"
