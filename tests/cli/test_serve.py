"""`koperasi serve --with-worker` (what `koperasi demo` and `make demo` run): stopping the server
with SIGTERM or SIGINT stops the background worker too, and every process it started.

Real processes on a free loopback port, with an SQLite database in a temporary KOPERASI_HOME;
every wait is bounded, and whatever would survive is killed at the end.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

STARTUP_SECONDS = 120
# The server gives its children 10 s, then 5 s more, then kills them: well within this.
STOP_SECONDS = 30


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DEBUG",
            "KOPERASI_DEMO",
            "KOPERASI_TESTING",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        KOPERASI_HOME=str(home),
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        AXES_DISABLED="1",
    )
    return env


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory):
    """A KOPERASI_HOME with a migrated SQLite database, made once for the module."""
    home = tmp_path_factory.mktemp("koperasi-home")
    subprocess.run(
        [sys.executable, "-m", "koperasi.cli", "migrate", "--verbosity", "0"],
        env=_env(home),
        check=True,
        timeout=300,
    )
    return home


@pytest.fixture
def home(migrated_home, tmp_path):
    own = tmp_path / "home"
    shutil.copytree(migrated_home, own)
    return own


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) from /proc, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _descendants(root: int) -> dict[int, int]:
    """pid -> start time of every process below `root` now."""
    children: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
            started[int(entry.name)] = stat[2]
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found[child] = started[child]
            stack.append(child)
    return found


def _alive(pid: int, started: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] != "Z"


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    except urllib.error.HTTPError:
        return True  # an HTTP answer, whatever its status
    except OSError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="serves SQLite whatever the suite's database: the SQLite run has done it already",
)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_stopping_the_server_stops_the_worker(home, stop_signal):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "koperasi.cli",
            "serve",
            "--with-worker",
            "--no-migrate",
            "--workers",
            "1",
            "--port",
            str(port),
        ],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # like a service: no terminal delivers our signal to others
    )
    seen: dict[int, int] = {}
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(port):
            assert server.poll() is None, "the server stopped on its own"
            assert time.monotonic() < deadline, "the server did not answer in time"
            time.sleep(0.2)
        while not any("worker" in _cmdline(pid) for pid in seen):
            assert time.monotonic() < deadline, "no worker process was started"
            seen = _descendants(server.pid)
            time.sleep(0.2)

        os.kill(server.pid, stop_signal)  # the server process only, as a service manager does
        assert server.wait(timeout=STOP_SECONDS) == 0
        deadline = time.monotonic() + STOP_SECONDS
        while (left := [pid for pid, t in seen.items() if _alive(pid, t)]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert left == [], [_cmdline(pid) for pid in left]
    finally:
        if server.poll() is None:
            server.kill()
        for pid, started in seen.items():
            if _alive(pid, started):  # the start time guards against a reused pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)
