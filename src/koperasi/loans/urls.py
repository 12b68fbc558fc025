"""The public pages of one cooperative, under /koperasi/<code>/ (no login)."""

from django.urls import path

from koperasi.loans import views

app_name = "loans"

urlpatterns = [
    path("", views.public_simulator, name="simulator"),
]
