"""Measuring helpers: percentiles, CPU accounting from /proc, and pgbench as the reference."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from typing import Any

import _setup as S

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for an empty list."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-int(pct * len(ordered)) // 100))  # ceil(pct/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


# ---------------------------------------------------------------------------------------------
# CPU: where the time goes (client Python vs PostgreSQL backends vs everything else)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def backend_pids(database: str) -> list[int]:
    """PostgreSQL server processes serving `database` (except the one asking)."""
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [r[0] for r in rows]


class CpuSample:
    """CPU used by groups of processes between `start()` and `stop()`, plus the whole machine."""

    def __init__(self) -> None:
        self.before: dict[int, float] = {}
        self.machine_before = 0.0
        self.t0 = 0.0

    def start(self, pids: list[int]) -> None:
        self.before = {pid: proc_cpu_seconds(pid) for pid in pids}
        self.machine_before = machine_cpu_seconds()
        self.t0 = time.monotonic()

    def stop(self, groups: dict[str, list[int]]) -> dict[str, float]:
        """Seconds per group; pids that appeared after start() count from zero."""
        used = {
            name: round(sum(proc_cpu_seconds(p) - self.before.get(p, 0.0) for p in pids), 2)
            for name, pids in groups.items()
        }
        used["machine_busy"] = round(machine_cpu_seconds() - self.machine_before, 2)
        used["wall"] = round(time.monotonic() - self.t0, 2)
        return used


def server_settings() -> dict[str, str]:
    import psycopg

    names = (
        "server_version",
        "shared_buffers",
        "synchronous_commit",
        "fsync",
        "max_connections",
        "work_mem",
        "effective_cache_size",
        "wal_level",
    )
    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


def checkpoint() -> None:
    """Start every measured run from the same WAL state, not in the middle of a checkpoint."""
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# ---------------------------------------------------------------------------------------------
# pgbench, the physical reference for a posting


def _pg_args() -> list[str]:
    return ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


def pgbench_init(scale: int) -> float:
    t0 = time.monotonic()
    S.recreate_database(S.PGBENCH_DB)
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", str(scale), *_pg_args(), S.PGBENCH_DB],
        check=True,
        capture_output=True,
        text=True,
    )
    return time.monotonic() - t0


def pgbench_run(clients: int, duration: int) -> dict[str, Any]:
    """TPC-B-like run; -j is at most the number of cores (-j 2 for 8 clients here)."""
    jobs = min(clients, os.cpu_count() or 1)
    checkpoint()
    cmd = [
        "pgbench",
        *_pg_args(),
        "-c",
        str(clients),
        "-j",
        str(jobs),
        "-T",
        str(duration),
        S.PGBENCH_DB,
    ]
    cpu = CpuSample()
    cpu.start([])
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with WaitSampler(S.PGBENCH_DB) as waits:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # pgbench vacuums first, then connects its clients. Their backends exit with pgbench, so
        # their CPU is read while they run (every 0.2 s; the last fraction of a second is lost).
        last: dict[int, float] = {}
        while proc.poll() is None:
            time.sleep(0.2)
            for pid in backend_pids(S.PGBENCH_DB):
                last[pid] = max(last.get(pid, 0.0), proc_cpu_seconds(pid))
        out, err = proc.communicate(timeout=duration + 120)
        used = cpu.stop({})
        used["postgres_backends"] = round(sum(last.values()), 2)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["pgbench"] = round(
        children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime, 2
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed: {err}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    if tps is None:
        raise RuntimeError(f"cannot read pgbench output:\n{out}")
    transactions = int(done.group(1)) if done else None
    result: dict[str, Any] = {
        "clients": clients,
        "jobs": jobs,
        "duration_s": duration,
        "command": " ".join(cmd),
        "tps": float(tps.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "transactions": transactions,
        "cpu_s": used,
        "backend_states": waits.shares(),
    }
    if transactions:
        # Backends connected before the sample started, so their CPU is counted from zero;
        # that includes connection start-up, a small over-estimate.
        result["server_cpu_ms_per_txn"] = round(used["postgres_backends"] * 1000 / transactions, 3)
    return result


class WaitSampler:
    """What the database's client backends are doing, sampled every `interval` seconds.

    Categories: "cpu" (running a statement), "Lock:…"/"LWLock:…" (waiting for another
    transaction), "IO:…" (e.g. WALSync, the commit's flush), "client in transaction" (the backend
    waits for the application to send the next statement while its transaction and row locks stay
    open) and "client between transactions".
    """

    def __init__(self, database: str, interval: float = 0.05) -> None:
        import threading

        self.database = database
        self.interval = interval
        self.counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND backend_type = 'client backend' "
                    "AND pid <> pg_backend_pid()",
                    [self.database],
                ).fetchall()
                for state, wait_type, wait_event in rows:
                    if state == "idle":
                        key = "client between transactions"
                    elif state and state.startswith("idle in transaction"):
                        key = "client in transaction"
                    elif wait_type:
                        key = f"{wait_type}:{wait_event}"
                    else:
                        key = "cpu"
                    self.counts[key] = self.counts.get(key, 0) + 1

    def shares(self) -> dict[str, float]:
        """Share of backend samples per category, largest first (fractions of 1)."""
        total = sum(self.counts.values()) or 1
        ordered = sorted(self.counts.items(), key=lambda kv: -kv[1])
        return {k: round(v / total, 3) for k, v in ordered}
