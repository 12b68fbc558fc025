from django.urls import include, path

from koperasi.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("koperasi.web.urls")),
]
