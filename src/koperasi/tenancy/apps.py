from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "koperasi.tenancy"
    verbose_name = "Koperasi"
