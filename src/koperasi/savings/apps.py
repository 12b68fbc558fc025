from django.apps import AppConfig


class SavingsConfig(AppConfig):
    name = "koperasi.savings"
