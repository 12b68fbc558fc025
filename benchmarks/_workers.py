"""Worker processes released together by a barrier, and the combined figures of a run."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import _measure as M
import _setup as S

AMOUNT = Decimal("50000.00")
T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:7.1f} s] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Worker processes, released together by a barrier


def run_processes(
    target: Callable[..., None],
    args_for: list[tuple[Any, ...]],
    timeout: float,
    pids_to_watch: Callable[[], dict[str, list[int]]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """One spawned process per args tuple; returns their reports and the CPU used meanwhile."""
    ctx = mp.get_context("spawn")  # fresh interpreters: no database connection is inherited
    barrier = ctx.Barrier(len(args_for) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, results)) for a in args_for]
    for p in procs:
        p.start()
    cpu = M.CpuSample()
    # A broken barrier means a worker failed during its set-up; its report says why.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=180)
    watched = pids_to_watch() if pids_to_watch else {}
    cpu.start([pid for pids in watched.values() for pid in pids])
    with M.WaitSampler(S.BENCH_DB) as waits:
        reports = [results.get(timeout=timeout) for _ in procs]
        used = cpu.stop(pids_to_watch() if pids_to_watch else {})
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.terminate()
    fatal = [r["fatal"] for r in reports if r.get("fatal")]
    if fatal:
        raise RuntimeError("worker failed:\n" + fatal[0])
    return reports, {**used, "backend_states": waits.shares()}


def combine(reports: list[dict[str, Any]], clients: int, cpu: dict[str, Any]) -> dict[str, Any]:
    ok = sum(r["ok"] for r in reports)
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    states = cpu.pop("backend_states")
    cpu = {
        "client_processes": round(sum(r["client_cpu_s"] for r in reports), 2),
        **(
            {"postgres_backends": round(sum(r["backend_cpu_s"] for r in reports), 2)}
            if "backend_cpu_s" in reports[0]
            else {}
        ),
        **cpu,
    }
    result: dict[str, Any] = {
        "clients": clients,
        "completed": ok,
        "errors": sum(r["errors"] for r in reports),
        "error_samples": [s for r in reports for s in r["error_samples"]][:5],
        "wall_s": round(wall, 3),
        "per_second": round(ok / wall, 1) if wall else 0.0,
        "latency": M.latency_summary([x for r in reports for x in r["latencies_ms"]]),
        "cpu_s": cpu,
        "backend_states": states,
    }
    if "status" in reports[0]:
        counts: dict[str, int] = {}
        for r in reports:
            for status, n in r["status"].items():
                counts[status] = counts.get(status, 0) + n
        result["status_counts"] = counts
        result["non_2xx"] = sum(r["non_2xx"] for r in reports)
    return result
