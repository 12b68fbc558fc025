from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "koperasi.loans"
