from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "koperasi.administration"
