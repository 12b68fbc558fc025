"""Routes (being built)."""

from django.urls import URLPattern

app_name = "loandocs"

urlpatterns: list[URLPattern] = []
