"""The tellers' cash pages under /k/<code>/kas/."""

from django.urls import URLPattern

app_name = "cashdesk"

urlpatterns: list[URLPattern] = []
