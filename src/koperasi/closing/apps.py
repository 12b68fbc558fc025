from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "koperasi.closing"
