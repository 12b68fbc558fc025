"""`koperasi serve` (gunicorn) on a free loopback port, and HTTP clients that speak to loopback
only: a bearer-token API client and a cookie session for the staff and portal pages."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from _probe.findings import Reply

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def require_loopback(host: str) -> None:
    if host not in LOOPBACK:
        raise SystemExit(
            f"refusing non-loopback target {host!r}: the probe speaks to loopback only"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`koperasi serve --no-migrate` in its own process group; its output goes to a log file
    that `causes_since` reads to name the exception behind each 500."""

    def __init__(self, home: Path, workers: int) -> None:
        self.port = free_port()
        self.log_path = home / "server.log"
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self, timeout: float = 90) -> None:
        koperasi = Path(sys.executable).parent / "koperasi"
        cmd = [str(koperasi), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--workers", str(self.workers), "--no-migrate"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
                start_new_session=True,
            )
        client = HttpClient(self.port, timeout=5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"koperasi serve exited: {self.log_text()[-3000:]}")
            if client.request("GET", "/api/v1/openapi.json").status == 200:
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"koperasi serve did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        # Our own child's process group: gunicorn's master and its workers, nothing else.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def causes_since_last(self) -> list[str]:
        """The exception lines ("KeyError: 'x'") logged since the previous call."""
        with open(self.log_path, "rb") as log:
            log.seek(self._offset)
            chunk = log.read().decode("utf-8", "replace")
            self._offset = log.tell()
        return exception_lines(chunk)


def exception_lines(log: str) -> list[str]:
    """The exception line ("KeyError: 'x'") that ends each traceback in a log excerpt."""
    causes: list[str] = []
    in_traceback = False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line.strip() and not line.startswith((" ", "\t")):
            causes.append(line.strip()[:200])
            in_traceback = False
    return causes


class HttpClient:
    """HTTP/1.1 to 127.0.0.1:port with one kept-alive connection per thread."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60) -> None:
        require_loopback(host)
        self.host, self.port, self.timeout = host, port, timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, Any] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                payload = response.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
                self._drop()
                if attempt == 1:
                    continue  # the server closed a kept-alive connection: send once more
                return Reply(0, error=repr(exc))
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                return Reply(0, error=repr(exc))
            answer = {k.lower(): v for k, v in response.getheaders()}
            cookies = {}
            for raw in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(raw)
                cookies.update({name: morsel.value for name, morsel in jar.items()})
            if answer.get("connection", "").lower() == "close":
                self._drop()
            return Reply(response.status, answer, payload, cookies)
        raise AssertionError("unreachable")

    def api(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        key: str | None = None,
    ) -> Reply:
        """A JSON API call: `body` is encoded as JSON unless it is bytes already."""
        headers: dict[str, str] = {"Accept-Language": "id"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return self.request(method, path, headers, data)


class WebSession:
    """A browser-like session: cookies kept, the CSRF token sent with every POST."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "id", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def get(self, path: str) -> Reply:
        reply = self.client.request("GET", path, self._headers())
        self.cookies.update(reply.cookies)
        return reply

    def post(self, path: str, data: dict[str, Any] | None = None) -> Reply:
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **(data or {})}
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        headers = self._headers(
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
        )
        reply = self.client.request("POST", path, headers, body)
        self.cookies.update(reply.cookies)
        return reply

    def post_file(self, path: str, fields: dict[str, str], name: str, content: bytes) -> Reply:
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        boundary = "probeboundary7d1f"
        parts = []
        for key, value in {"csrfmiddlewaretoken": self.cookies["csrftoken"], **fields}.items():
            head = f'Content-Disposition: form-data; name="{key}"'
            parts.append(f"--{boundary}\r\n{head}\r\n\r\n{value}\r\n".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = self._headers(
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-CSRFToken": self.cookies["csrftoken"],
            }
        )
        reply = self.client.request("POST", path, headers, body)
        self.cookies.update(reply.cookies)
        return reply

    def login(self, username: str, password: str) -> bool:
        self.get("/login/")
        reply = self.post("/login/", {"username": username, "password": password})
        return reply.status == 302 and "sessionid" in self.cookies
