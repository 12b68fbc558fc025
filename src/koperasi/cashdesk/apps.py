from django.apps import AppConfig


class CashdeskConfig(AppConfig):
    name = "koperasi.cashdesk"
