"""Watching a close from inside its process (benchmarks/close.py): resident memory sampled by a
thread, every statement and COMMIT timed and attributed to the step running, the backend's
CPU, auto_explain plans sent back as notices, and a cProfile summary."""

from __future__ import annotations

import cProfile
import datetime as dt
import pstats
import re
import resource
import threading
import time
from collections import defaultdict
from typing import Any

import _measure as M

RSS_INTERVAL_S = 0.1

# ---------------------------------------------------------------------------------------------
# Memory: VmRSS sampled by a thread, VmHWM and ru_maxrss


def vm_status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB."""
    found = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                found[name] = int(value.split()[0]) / 1024
    return found


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class RssSampler:
    """VmRSS every `interval` seconds: the peak, the peak per phase, and a thinned timeline."""

    def __init__(self, interval: float = RSS_INTERVAL_S) -> None:
        self.interval = interval
        self.phase = "start"
        self.peak = 0.0
        self.per_phase: dict[str, float] = {}
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.monotonic()

    def start(self) -> None:
        self.t0 = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()

    def _sample(self) -> None:
        rss = vm_status()["VmRSS"]
        self.peak = max(self.peak, rss)
        self.per_phase[self.phase] = max(self.per_phase.get(self.phase, 0.0), rss)
        self.samples.append((round(time.monotonic() - self.t0, 2), round(rss, 1)))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def timeline(self, points: int = 120) -> list[tuple[float, float]]:
        step = max(1, len(self.samples) // points)
        return self.samples[::step]


# ---------------------------------------------------------------------------------------------
# Where the time goes inside a close: every statement through Django's execute_wrapper,
# attributed to the step running (a step starts with the INSERT of its CloseStep row).


def py_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


_KIND_CLEAN = [
    (re.compile(r'"'), ""),
    (re.compile(r"\s+"), " "),
    (re.compile(r"\b\d+\b"), "N"),
    (re.compile(r"(%s, )+%s"), "%s…"),
    (re.compile(r"(\(%s…?\), )+\(%s…?\)"), "(…)…"),
]


def statement_kind(sql: str) -> str:
    text = sql[:600]
    for pattern, repl in _KIND_CLEAN:
        text = pattern.sub(repl, text)
    if " CASE WHEN " in text:
        text = text.split(" CASE WHEN ")[0] + " CASE WHEN … (bulk_update)"
    return text[:150]


class StepTracker:
    def __init__(self, backend_pid: int, step_names: set[str], sampler: RssSampler) -> None:
        self.backend_pid = backend_pid
        self.step_names = step_names
        self.sampler = sampler
        self.current = "before steps"
        self.order: list[str] = [self.current]
        self.marks: dict[str, dict[str, float]] = {}
        self.stats: dict[str, dict[str, Any]] = {}
        self._open(self.current)

    def _open(self, key: str) -> None:
        self.marks[key] = {
            "t": time.monotonic(),
            "py": py_cpu(),
            "pg": M.proc_cpu_seconds(self.backend_pid),
        }
        self.stats[key] = {"sql_s": 0.0, "statements": 0, "kinds": defaultdict(lambda: [0, 0.0])}
        self.sampler.phase = key

    def _close(self, key: str) -> None:
        mark = self.marks[key]
        mark["wall_s"] = time.monotonic() - mark["t"]
        mark["python_cpu_s"] = py_cpu() - mark["py"]
        mark["backend_cpu_s"] = M.proc_cpu_seconds(self.backend_pid) - mark["pg"]

    def switch(self, key: str) -> None:
        self._close(self.current)
        self.current = key
        self.order.append(key)
        self._open(key)

    def finish(self) -> None:
        self._close(self.current)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith('INSERT INTO "closing_closestep"') and params:
            step = next((p for p in params if isinstance(p, str) and p in self.step_names), "?")
            day = next((p for p in params if type(p) is dt.date), None)
            self.switch(f"{day.isoformat() if day else '?'} {step}")
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.record(statement_kind(sql), time.perf_counter() - t0)

    def record(self, kind: str, spent: float) -> None:
        stats = self.stats[self.current]
        stats["sql_s"] += spent
        stats["statements"] += 1
        entry = stats["kinds"][kind]
        entry[0] += 1
        entry[1] += spent

    def time_commits(self, connection: Any) -> None:
        """COMMIT is not a cursor statement: time it too (the deferred foreign-key checks of
        every row a batch inserted run there)."""
        commit = connection._commit

        def timed() -> Any:
            t0 = time.perf_counter()
            try:
                return commit()
            finally:
                self.record(
                    "COMMIT (runs the deferred foreign-key checks)", time.perf_counter() - t0
                )

        connection._commit = timed

    def report(self) -> list[dict[str, Any]]:
        out = []
        for key in self.order:
            mark, stats = self.marks[key], self.stats[key]
            kinds = sorted(stats["kinds"].items(), key=lambda kv: -kv[1][1])
            out.append(
                {
                    "phase": key,
                    "wall_s": round(mark.get("wall_s", 0.0), 3),
                    "sql_s": round(stats["sql_s"], 3),
                    "python_s": round(mark.get("wall_s", 0.0) - stats["sql_s"], 3),
                    "python_cpu_s": round(mark.get("python_cpu_s", 0.0), 3),
                    "backend_cpu_s": round(mark.get("backend_cpu_s", 0.0), 3),
                    "statements": stats["statements"],
                    "peak_rss_mb": round(self.sampler.per_phase.get(key, 0.0), 1),
                    "top_statements": [
                        {"kind": k, "count": v[0], "seconds": round(v[1], 3)} for k, v in kinds[:6]
                    ],
                }
            )
        return out


# ---------------------------------------------------------------------------------------------
# auto_explain: EXPLAIN (ANALYZE, BUFFERS) of the real statements, sent to us as notices


class ExplainCollector:
    def __init__(self, tracker_ref: list[Any], keep: int = 40) -> None:
        self.tracker_ref = tracker_ref
        self.keep = keep
        self.plans: list[dict[str, Any]] = []

    def __call__(self, diag: Any) -> None:
        text = diag.message_primary or ""
        if not text.startswith("duration:"):
            return
        match = re.match(r"duration: ([\d.]+) ms", text)
        ms = float(match.group(1)) if match else 0.0
        lines = []
        for line in text.splitlines()[1:]:
            if line.startswith("Query Text:"):
                line = line[:400]
            lines.append(line[:300])
        tracker = self.tracker_ref[0] if self.tracker_ref else None
        self.plans.append(
            {
                "phase": tracker.current if tracker else "?",
                "ms": round(ms, 1),
                "plan": lines[:70],
            }
        )
        self.plans.sort(key=lambda p: -p["ms"])
        del self.plans[self.keep :]


def enable_auto_explain(min_ms: int, collector: ExplainCollector) -> None:
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting in (
            f"SET auto_explain.log_min_duration = {int(min_ms)}",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_buffers = on",
            "SET auto_explain.log_timing = on",
            "SET auto_explain.log_level = notice",
            "SET client_min_messages = notice",
        ):
            cursor.execute(setting)
    connection.connection.add_notice_handler(collector)


def profile_summary(profiler: cProfile.Profile, top: int = 25) -> dict[str, Any]:
    """The functions with the most own time and the koperasi functions with the most
    inclusive time (cProfile; its overhead inflates the Python share)."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (path, line, func), (_cc, calls, own, inclusive, _callers) in stats.items():
        short = path.split("/site-packages/")[-1].split("/src/")[-1]
        rows.append((f"{short}:{line} {func}", calls, own, inclusive))
    by_own = sorted(rows, key=lambda r: -r[2])[:top]
    ours = sorted((r for r in rows if r[0].startswith("koperasi/")), key=lambda r: -r[3])[:top]

    def fmt(r: tuple[str, int, float, float]) -> dict[str, Any]:
        return {"function": r[0], "calls": r[1], "own_s": round(r[2], 3), "incl_s": round(r[3], 3)}

    return {"by_own_time": [fmt(r) for r in by_own], "koperasi_inclusive": [fmt(r) for r in ours]}
