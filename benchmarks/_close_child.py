"""One close in a fresh Python process (benchmarks/close.py), so its peak RSS is the close's own:
started through a forkserver, measured with `_close_probe`, its figures sent back."""

from __future__ import annotations

import cProfile
import datetime as dt
import hashlib
import multiprocessing as mp
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import _measure as M
import _setup as S
from _close_probe import (
    ExplainCollector,
    RssSampler,
    StepTracker,
    enable_auto_explain,
    profile_summary,
    py_cpu,
    ru_maxrss_mb,
    vm_status,
)
from _workers import log

# ---------------------------------------------------------------------------------------------
# One close in a fresh process


def close_child(spec: dict[str, Any], queue: Any) -> None:
    try:
        result = _close_in_child(spec)
    except BaseException as exc:  # report, do not hang the parent
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    queue.put(result)


def _close_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    code = code_versions()  # what this process is about to import
    S.setup_django()
    from django.db import connection

    from koperasi.closing import services as closing
    from koperasi.closing.models import CloseStep
    from koperasi.closing.steps import LABELS
    from koperasi.tenancy.models import Cooperative

    coop = Cooperative.objects.get(code=spec["coop"])
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    tracker_ref: list[Any] = []
    collector = ExplainCollector(tracker_ref)
    if spec.get("explain_ms") is not None:
        enable_auto_explain(spec["explain_ms"], collector)
    baseline = vm_status()
    baseline_maxrss = ru_maxrss_mb()
    sampler = RssSampler()
    tracker = StepTracker(backend_pid, set(LABELS), sampler)
    tracker.time_commits(connection)
    tracker_ref.append(tracker)
    batches: list[dict[str, Any]] = []
    t0 = time.monotonic()

    def progress(step: str, index: int, total: int) -> None:
        batches.append(
            {
                "phase": tracker.current,
                "batch": index,
                "of": total,
                "t_s": round(time.monotonic() - t0, 3),
                "rss_mb": round(vm_status()["VmRSS"], 1),
            }
        )

    profiler = cProfile.Profile() if spec.get("profile") else None
    sampler.start()
    cpu0, pg0 = py_cpu(), M.proc_cpu_seconds(backend_pid)
    t0 = time.monotonic()
    if profiler is not None:
        profiler.enable()
    with connection.execute_wrapper(tracker):
        if spec["kind"] == "day":
            run = closing.start_day_close(
                cooperative=coop, actor=None, to=dt.date.fromisoformat(spec["to"])
            )
        else:
            run = closing.start_month_close(
                cooperative=coop, actor=None, year=spec["year"], month=spec["month"]
            )
        run = closing.execute(run, actor=None, progress=progress)
    if profiler is not None:
        profiler.disable()
    wall = time.monotonic() - t0
    tracker.finish()
    python_cpu = py_cpu() - cpu0
    backend_cpu = M.proc_cpu_seconds(backend_pid) - pg0
    sampler.stop()
    end = vm_status()
    steps = [
        {
            "business_date": s["business_date"].isoformat(),
            "step": s["step"],
            "status": s["status"],
            "rows": s["rows"],
            "seconds": round(s["seconds"], 3),
            "rows_per_s": round(s["rows"] / s["seconds"], 1) if s["seconds"] else None,
        }
        for s in CloseStep.objects.filter(run=run)
        .order_by("business_date", "id")
        .values("business_date", "step", "status", "rows", "seconds")
    ]
    return {
        "kind": spec["kind"],
        "label": spec["label"],
        "run_status": run.status,
        "run_error": run.error,
        "wall_s": round(wall, 3),
        "python_cpu_s": round(python_cpu, 2),
        "backend_cpu_s": round(backend_cpu, 2),
        "steps": steps,
        "phases": tracker.report(),
        "batches": batches,
        "rss": {
            "baseline_mb": round(baseline["VmRSS"], 1),
            "baseline_ru_maxrss_mb": round(baseline_maxrss, 1),
            "peak_sampled_mb": round(sampler.peak, 1),
            "vm_hwm_mb": round(end["VmHWM"], 1),
            "ru_maxrss_mb": round(ru_maxrss_mb(), 1),
            "end_mb": round(end["VmRSS"], 1),
            "timeline": sampler.timeline(),
        },
        "explain_ms": spec.get("explain_ms"),
        "explains": collector.plans,
        "profile": profile_summary(profiler) if profiler is not None else None,
        "code": code,
    }


def run_close(spec: dict[str, Any]) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()
    # forkserver: the child is forked from a small server process, so its ru_maxrss is its
    # own (a child exec'd straight from this process would keep this process's high-water mark).
    ctx = mp.get_context("forkserver")
    queue = ctx.Queue()
    proc = ctx.Process(target=close_child, args=(spec, queue))
    proc.start()
    result = queue.get()
    proc.join()
    if "error" in result:
        log(f"{spec['label']}: FAILED {result['error']}")
        print(result.get("traceback", ""), file=sys.stderr)
    return result


def code_versions() -> dict[str, str]:
    """Last change and content hash of the measured code, which other work may be changing
    while the benchmark runs: recorded at the start and by each close process."""
    src = Path(__file__).resolve().parent.parent / "src" / "koperasi"
    files = [
        *sorted((src / "closing").glob("*.py")),
        *sorted((src / "closing" / "services").glob("*.py")),
        src / "loans" / "services" / "close_steps.py",
        src / "loans" / "services" / "common.py",
        src / "loans" / "services" / "quality.py",
        src / "savings" / "services" / "close_steps.py",
        *sorted((src / "ledger" / "services").glob("*.py")),
        src / "bulk.py",
    ]
    return {
        str(f.relative_to(src.parent.parent)): dt.datetime.fromtimestamp(
            f.stat().st_mtime, dt.UTC
        ).isoformat(timespec="seconds")
        + " "
        + hashlib.sha1(f.read_bytes()).hexdigest()[:10]
        for f in files
        if f.exists()
    }
