"""The demo runs as production does, on plain http: DEBUG off (our error pages, never Django's
debug page with its list of every URL), static files and the favicon from WhiteNoise, the
Content-Security-Policy on its pages."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from koperasi import cli


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            text = response.read().decode("utf-8", "ignore")
            return response.status, dict(response.headers), text
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "ignore")


def test_koperasi_demo_turns_demo_mode_on_and_leaves_debug_off(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("KOPERASI_DEMO", raising=False)
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda argv: None)
    cli.main(["koperasi", "demo", "--no-serve"])
    assert os.environ["KOPERASI_DEMO"] == "1"
    assert "DEBUG" not in os.environ


@pytest.fixture
def demo_server(tmp_path):
    """`koperasi serve` in a fresh home with the demo's environment (as `koperasi demo` sets it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    drop = {"DEBUG", "DATABASE_URL", "KOPERASI_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(KOPERASI_HOME=str(tmp_path), KOPERASI_DEMO="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "koperasi.cli", "serve", "--no-migrate", "--workers", "1"]
        + ["--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the worker goes down with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(f"{base}/login/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.25)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_demo_serves_plain_http_static_files_and_our_error_pages(demo_server):
    status, headers, page = fetch(f"{demo_server}/login/")
    assert status == 200  # no redirect to https on the trial machine
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "koperasi-demo" in page  # the demo logins are shown

    status, headers, _css = fetch(f"{demo_server}/static/web/app.css")
    assert (status, headers["Content-Type"].split(";")[0]) == (200, "text/css")
    status, headers, _js = fetch(f"{demo_server}/static/vendor/htmx.min.js")
    assert status == 200

    status, headers, _ = fetch(f"{demo_server}/favicon.ico")
    assert status == 301
    status, headers, _ = fetch(demo_server + headers["Location"].removeprefix(demo_server))
    assert (status, headers["Content-Type"]) == (200, "image/x-icon")

    status, headers, page = fetch(f"{demo_server}/tidak-ada/")
    assert status == 404
    assert "Halaman tidak ditemukan" in page
    assert "URLconf" not in page and "DEBUG = True" not in page
