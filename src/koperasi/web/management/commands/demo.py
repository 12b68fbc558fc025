"""`koperasi demo`: migrate, seed the demo cooperative and serve it."""

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from koperasi.demo import DEMO_PASSWORD, STAFF, seed_demo


class Command(BaseCommand):
    help = "Create the demo cooperative (KSP Kopdit Demo Sejahtera) and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="seed only")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--members", type=int, default=320)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        coop = seed_demo(members_count=options["members"], progress=self.stdout.write)
        self.stdout.write(f"Demo ready in {time.monotonic() - started:.0f} s: {coop.name}")
        call_command("books_check", coop=coop.code)
        logins = ", ".join(name for name, _role, _full in STAFF) + ", A0001 (member)"
        self.stdout.write(f"Logins: {logins} — password: {DEMO_PASSWORD}")
        if options["no_serve"]:
            return
        from koperasi.web.management.commands.serve import serve

        self.stdout.write(self.style.SUCCESS(f"Open http://127.0.0.1:{options['port']}/"))
        serve("127.0.0.1", options["port"], 2, with_worker=True)
