from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "koperasi.members"
