from django.apps import AppConfig


class ShuConfig(AppConfig):
    name = "koperasi.shu"

    def ready(self) -> None:
        # The RAT may decide the SHU allocation: a kind of decision of the governance registry.
        from koperasi.shu.decisions import register_kinds

        register_kinds()
