"""The same deposits through the HTTP API, served by gunicorn, from separate client processes."""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import _measure as M
import _setup as S
from _workers import AMOUNT, combine, log, run_processes

TELLER = ("bench-teller", "bench-teller-password-2026")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    from koperasi.web.management.commands.serve import gunicorn_options

    gunicorn = Path(sys.executable).parent / "gunicorn"
    # As `koperasi serve` runs it, without the access log.
    cmd = [str(gunicorn), *gunicorn_options("127.0.0.1", port, workers), "--log-level", "warning"]
    with open(log_path, "wb") as log_file:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            cmd, stdout=log_file, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            _request(port, "GET", "/api/v1/openapi.json", None, {})
            return proc
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(proc)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _request(
    port: int, method: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body)
        conn.request(method, path, payload, {"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _deposit_path(account_id: int) -> str:
    return f"/api/v1/savings/accounts/{account_id}/deposits"


def _http_worker(
    port: int, token: str, ids: list[int], duration: float, seed: int, barrier: Any, results: Any
) -> None:
    rng = random.Random(seed)
    report: dict[str, Any] = {
        "ok": 0,
        "errors": 0,
        "error_samples": [],
        "latencies_ms": [],
        "status": {},
        "non_2xx": 0,
    }
    body = json.dumps({"amount": str(AMOUNT), "note": "bench"})
    base = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Keep-alive where the server allows it; http.client reconnects by itself when it closes.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    start = time.monotonic()
    cpu0 = time.process_time()
    deadline = start + duration
    while (now := time.monotonic()) < deadline:
        try:
            conn.request(
                "POST",
                _deposit_path(rng.choice(ids)),
                body,
                {**base, "Idempotency-Key": str(uuid.uuid4())},
            )
            resp = conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            report["errors"] += 1
            if len(report["error_samples"]) < 3:
                report["error_samples"].append(repr(exc))
            conn.close()
            continue
        key = str(resp.status)
        report["status"][key] = report["status"].get(key, 0) + 1
        if 200 <= resp.status < 300:
            report["ok"] += 1
            report["latencies_ms"].append((time.monotonic() - now) * 1000)
        else:
            report["non_2xx"] += 1
            if len(report["error_samples"]) < 3:
                report["error_samples"].append(f"{resp.status} {payload[:200]!r}")
    report["start"], report["end"] = start, time.monotonic()
    report["client_cpu_s"] = time.process_time() - cpu0
    conn.close()
    results.put(report)


def run_http(
    ids: list[int], clients: int, duration: float, workers: int, home: str
) -> dict[str, Any]:
    """Deposits through POST /api/v1/savings/accounts/{id}/deposits; available=False if absent."""
    from django.db import connections

    connections.close_all()
    port = free_port()
    proc = None
    try:
        log(f"starting gunicorn -w {workers} on 127.0.0.1:{port}")
        proc = start_gunicorn(port, workers, Path(home) / "gunicorn.log")
        status, payload = _request(
            port, "POST", "/api/v1/auth/token", {"username": TELLER[0], "password": TELLER[1]}, {}
        )
        if status != 200:
            return {
                "available": False,
                "reason": f"POST /api/v1/auth/token -> {status} {payload[:300]!r}",
            }
        data = json.loads(payload)
        token = next((data[k] for k in ("token", "access_token", "key") if k in data), None)
        if not token:
            return {"available": False, "reason": f"no token in {payload[:300]!r}"}
        status, payload = _request(
            port,
            "POST",
            _deposit_path(ids[0]),
            {"amount": str(AMOUNT), "note": "bench probe"},
            {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        if not 200 <= status < 300:
            return {
                "available": False,
                "probe": 0,
                "reason": f"deposit probe -> {status} {payload[:300]!r}",
            }
        M.checkpoint()
        master = proc.pid
        reports, cpu = run_processes(
            _http_worker,
            [(port, token, ids, duration, 5000 + i) for i in range(clients)],
            timeout=duration + 300,
            pids_to_watch=lambda: {
                "gunicorn_workers": M.children(master),
                "postgres_backends": M.backend_pids(S.BENCH_DB),
            },
        )
        result = combine(reports, clients, cpu)
        result.update(available=True, gunicorn_workers=workers, probe=1)
        return result
    finally:
        stop_gunicorn(proc)
