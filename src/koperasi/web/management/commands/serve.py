"""`koperasi serve`: the production server (gunicorn), static files by WhiteNoise."""

import os
import shutil
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations and run the production web server (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument(
            "--with-worker", action="store_true", help="also run the background task worker"
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(options["host"], options["port"], options["workers"], options["with_worker"])


def serve(host: str, port: int, workers: int, with_worker: bool = False) -> None:
    """Replace this process with gunicorn (settings are re-read from the same environment).

    `with_worker` also starts the background task worker (the close runs there) as a child in
    the same process group, so Ctrl+C stops both; production runs `koperasi worker` as its own
    service instead.
    """
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koperasi.settings")
    os.environ["KOPERASI_HOME"] = str(settings.KOPERASI_HOME)
    if with_worker:
        subprocess.Popen([sys.executable, "-m", "koperasi.cli", "worker"])
    os.execv(gunicorn, [gunicorn, *gunicorn_options(host, port, workers), "--access-logfile", "-"])


# Threads keep connections alive between requests (a sync worker closes each one) and overlap
# one request's database wait with another's Python.
THREADS_PER_WORKER = 4


def gunicorn_options(host: str, port: int, workers: int) -> list[str]:
    """How gunicorn serves the application (the benchmark starts it the same way)."""
    return [
        "koperasi.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS_PER_WORKER),
    ]
