from django.apps import AppConfig


class ShuConfig(AppConfig):
    name = "koperasi.shu"
