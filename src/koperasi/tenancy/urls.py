"""Settings pages: cooperative AD/ART settings, staff, savings products, chart of accounts."""

from django.urls import path  # noqa: F401

app_name = "tenancy"

urlpatterns: list = []
