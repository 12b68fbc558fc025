from django.urls import path

from koperasi.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
