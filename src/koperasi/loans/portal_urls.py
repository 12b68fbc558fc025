"""Routes (being built)."""

from django.urls import URLPattern

app_name = "myloans"

urlpatterns: list[URLPattern] = []
