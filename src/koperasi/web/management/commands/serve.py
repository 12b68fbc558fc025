"""`koperasi serve`: the production server (gunicorn), static files by WhiteNoise."""

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


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
    """Run gunicorn (settings are re-read from the same environment).

    Alone, this process becomes gunicorn. `with_worker` also runs the background task worker
    (the close runs there): this process then stays as the parent of both and stops both when
    it is told to stop, so no worker is left behind. Production runs `koperasi worker` as its
    own service instead.
    """
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koperasi.settings")
    os.environ["KOPERASI_HOME"] = str(settings.KOPERASI_HOME)
    web = [gunicorn, *gunicorn_options(host, port, workers), "--access-logfile", "-"]
    if not with_worker:
        os.execv(gunicorn, web)
    connections.close_all()  # this process only waits from now on
    raise SystemExit(
        supervise({"gunicorn": web, "worker": [sys.executable, "-m", "koperasi.cli", "worker"]})
    )


# Signals that stop the server; each child is then asked to stop the same way (SIGHUP, the
# terminal going away, as SIGTERM: gunicorn would read SIGHUP as "reload").
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# How long a child may take to stop after being asked (the worker finishes the task it runs,
# gunicorn its requests); then it is asked again, which the worker takes as "stop now" (a close
# it was running resumes at the next close), and at last killed.
GRACE_SECONDS = 10.0
LAST_CHANCE_SECONDS = 5.0


def supervise(commands: dict[str, list[str]]) -> int:
    """Run the commands (by name) as children until this process is told to stop or a child
    ends, then stop them all. The exit status: 0 when told to stop, else that of the child that
    ended, as a shell reports it (a server without its worker is not left running, nor a
    worker without its server).
    """
    stop: list[int] = []

    def request_stop(signum: int, _frame: Any) -> None:
        stop.append(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, request_stop)
    # Each child leads its own process group: only this process receives a Ctrl+C, and asks
    # each child once (the worker reads a second SIGINT as "abandon the task").
    named = {
        name: subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent(os.getpid()))
        for name, command in commands.items()
    }
    children = list(named.values())
    status = 0
    while not stop:
        ended = next(((n, c) for n, c in named.items() if c.poll() is not None), None)
        if ended is not None:
            name, code = ended[0], ended[1].returncode
            status = 128 - code if code < 0 else code or 1
            sys.stderr.write(f"koperasi serve: {name} ended (status {status}); stopping.\n")
            break
        time.sleep(0.2)
    asked = signal.SIGINT if stop and stop[0] == signal.SIGINT else signal.SIGTERM
    _stop_all(children, asked)
    return status


def _stop_all(children: list["subprocess.Popen[bytes]"], asked: int) -> None:
    for wait, how in ((GRACE_SECONDS, asked), (LAST_CHANCE_SECONDS, signal.SIGTERM)):
        for child in children:
            if child.poll() is None:
                _signal_group(child, how)
        deadline = time.monotonic() + wait
        while any(child.poll() is None for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)
    for child in children:
        if child.poll() is None:
            _signal_group(child, signal.SIGKILL)
            child.wait()


def _signal_group(child: "subprocess.Popen[bytes]", signum: int) -> None:
    """Ask the child itself to stop (gunicorn stops its own workers); a kill takes its whole
    group, so gunicorn's workers do not outlive a gunicorn that would not stop."""
    with contextlib.suppress(ProcessLookupError):
        if signum == signal.SIGKILL:
            os.killpg(child.pid, signum)
        else:
            child.send_signal(signum)


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """Linux: a child gets SIGTERM should this process die without stopping it (SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None

    def arrange() -> None:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # died before the line above
            os._exit(1)

    return arrange


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
