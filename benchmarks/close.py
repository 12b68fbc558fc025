"""Close benchmark (issue 4): one day-end and one month-end close at 1,000,000 members.

    .venv/bin/python benchmarks/close.py --quick                  # smoke run (20,000 members)
    .venv/bin/python benchmarks/close.py                          # full: 1M members, 300k loans
    .venv/bin/python benchmarks/close.py --compare-small          # + the same at 1/10 the size
    .venv/bin/python benchmarks/close.py --members 100000 --loans 30000 --explain rest
    .venv/bin/python benchmarks/close.py --snapshot               # keeps a pre-month-end copy
    .venv/bin/python benchmarks/close.py --month-end-from-snapshot  # the month-end again on it

What it does, on a throw-away database `koperasi_close_bench` (dropped afterwards unless --keep):
1. a cooperative through the tenancy services, then COPY (benchmarks/_close_data.py): members,
   sukarela accounts on three interest methods, a few time deposits, the month's savings
   movements with their journal entries and day balances, active loans (12 instalments,
   `period_start` filled, accrual and cash basis, ~10 % in arrears) with interest accrued and
   penalties assessed through D0 = the day before the first day to close; days closed through
   D0, books closed through the month before. The generation time is reported per table.
2. `koperasi check` before the close (the selectors `ledger_violations`, `savings_violations`,
   `loan_violations`), unless --skip-verify-before.
3. The lower bound: in a rolled-back transaction (foreign keys checked in the statement, as the
   close's COMMIT checks them), ONE hand-written statement (a data-modifying
   CTE) that inserts the same accrual rows into loans_loanaccrual and adds them to each loan's
   `accrued_interest` (twice; the faster counts); the same with the instalments' update too
   (info); and its EXPLAIN (ANALYZE, BUFFERS).
4. One day-end close (D1): `closing.services.start_day_close` + `execute`, in a fresh Python
   process started for it (so its peak RSS is the close's, not the generator's): wall time,
   per step wall time, rows and rows/s (from the CloseStep rows), time in SQL (statements and
   COMMITs, which run the deferred foreign-key checks) vs Python and the
   PostgreSQL backend's CPU per step, statement kinds by time, peak RSS (ru_maxrss, VmHWM, and
   VmRSS sampled every 0.1 s by a thread). Then the remaining days of the month (one run, same
   figures) and the month-end close (`start_month_close` + `execute`).
5. `koperasi check` after the closes (must be 0 violations), plus what the closes wrote
   (accrual rows, interest and tax movements, the withholding list, wajib bills).
Targets: day-end <= 120 s, month-end <= 180 s, accrual step <= 3 x the lower bound, peak RSS
<= 500 MB. --compare-small runs everything at a tenth of the size first, to show whether the
peak RSS stays flat as the data grows. --explain rest|all logs EXPLAIN (ANALYZE, BUFFERS) of
every statement slower than --explain-ms (PostgreSQL auto_explain, sent to the client as
notices) for the closes after the measured day-end (rest) or for every close (all; its timings
then include auto_explain's overhead). Results: benchmarks/results/close-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
import pstats
import re
import resource
import shutil
import sys
import threading
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _close_data as CD  # noqa: E402
import _measure as M  # noqa: E402
import _setup as S  # noqa: E402
from _workers import log  # noqa: E402

CLOSE_DB = os.environ.get("KOPERASI_CLOSE_BENCH_DB", "koperasi_close_bench")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DAY_TARGET_S = 120.0
MONTH_TARGET_S = 180.0
ACCRUAL_RATIO_TARGET = 3.0
RSS_TARGET_MB = 500.0
RSS_INTERVAL_S = 0.1


# ---------------------------------------------------------------------------------------------
# The throw-away database (only ever this one)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{CLOSE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{CLOSE_DB}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{CLOSE_DB}" WITH (FORCE)')


SNAPSHOT_DB = f"{CLOSE_DB}_month"


def copy_database(source: str, target: str) -> None:
    """`target` as a copy of `source` (CREATE DATABASE … TEMPLATE: a file copy, no rows)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


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


# ---------------------------------------------------------------------------------------------
# The lower bound


LOWER_BOUND_SQL = """
WITH acc AS (
    SELECT i.id AS instalment_id, i.loan_id,
           LEAST(CAST(ROUND((i.interest - i.interest_waived) * 100) AS BIGINT),
                 (CAST(ROUND(i.interest * 100) AS BIGINT)
                    * LEAST(CAST(%(day)s AS date) - i.period_start, i.due_date - i.period_start) * 2
                  + GREATEST(i.due_date - i.period_start, 1))
                 / (2 * GREATEST(i.due_date - i.period_start, 1)))
           - CAST(ROUND(i.interest_accrued * 100) AS BIGINT) AS inc_sen
    FROM loans_instalment i
    JOIN loans_loan l ON l.id = i.loan_id AND i.version = l.schedule_version
    JOIN loans_loanproduct p ON p.id = l.product_id
    WHERE i.cooperative_id = %(coop)s AND l.status = 'active' AND p.accounting = 'accrual'
      AND l.collectibility <= %(classes)s AND i.period_start < %(day)s
      AND i.interest_accrued < i.interest - i.interest_waived
),
ins AS (
    INSERT INTO loans_loanaccrual
        (cooperative_id, loan_id, instalment_id, business_date, amount, journal_entry_id)
    SELECT %(coop)s, loan_id, instalment_id, %(day)s, inc_sen * 0.01, %(entry)s
    FROM acc WHERE inc_sen > 0
    RETURNING loan_id, amount
),
upd AS (
    UPDATE loans_loan l SET accrued_interest = l.accrued_interest + s.amount
    FROM (SELECT loan_id, SUM(amount) AS amount FROM ins GROUP BY loan_id) s
    WHERE l.id = s.loan_id
    RETURNING l.id
){extra_cte}
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd){extra_select}
"""
INSTALMENT_CTE = """,
upd_i AS (
    UPDATE loans_instalment i SET interest_accrued = i.interest_accrued + a.inc_sen * 0.01
    FROM acc a WHERE i.id = a.instalment_id AND a.inc_sen > 0
    RETURNING i.id
)"""


def lower_bound_sql(with_instalments: bool) -> str:
    return LOWER_BOUND_SQL.format(
        extra_cte=INSTALMENT_CTE if with_instalments else "",
        extra_select=", (SELECT count(*) FROM upd_i)" if with_instalments else "",
    )


def _rolled_back(coop: Any, day: dt.date, sql: str, explain: bool = False) -> dict[str, Any]:
    from django.db import connection, transaction

    from koperasi.domain.loan_quality import DPK

    with transaction.atomic():
        with connection.cursor() as cursor:
            # The foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT, which a
            # rolled-back run never reaches. Checked in the statement instead, so the lower
            # bound pays for them as the close does.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "INSERT INTO ledger_journalentry (cooperative_id, business_date, source,"
                " source_ref, memo, idempotency_key, created_at)"
                " VALUES (%s, %s, 'bench', '', 'lower bound (rolled back)', %s, now())"
                " RETURNING id",
                [coop.pk, day, f"bench:lower-bound:{time.monotonic()}"],
            )
            entry = cursor.fetchone()[0]
            params = {"coop": coop.pk, "day": day, "classes": DPK, "entry": entry}
            t0 = time.perf_counter()
            if explain:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                out: dict[str, Any] = {"plan": [r[0] for r in cursor.fetchall()]}
            else:
                cursor.execute(sql, params)
                out = {"counts": list(cursor.fetchone())}
            out["seconds"] = round(time.perf_counter() - t0, 3)
        transaction.set_rollback(True)
    return out


def lower_bound(coop: Any, day: dt.date) -> dict[str, Any]:
    basic = lower_bound_sql(False)
    runs = [_rolled_back(coop, day, basic) for _ in range(2)]
    full = _rolled_back(coop, day, lower_bound_sql(True))
    plan = _rolled_back(coop, day, basic, explain=True)
    t0 = time.monotonic()
    # The rolled-back rows are dead tuples the close would otherwise step over.
    S.run_sql(
        "VACUUM ANALYZE loans_loan", "VACUUM ANALYZE loans_loanaccrual", "VACUUM loans_instalment"
    )
    return {
        "statement": basic.strip(),
        "runs_s": [r["seconds"] for r in runs],
        "seconds": min(r["seconds"] for r in runs),
        "rows": runs[0]["counts"][0],
        "loans_updated": runs[0]["counts"][1],
        "with_instalments_s": full["seconds"],
        "with_instalments_rows": full["counts"],
        "explain_analyze": plan["plan"],
        "explain_s": plan["seconds"],
        "vacuum_after_s": round(time.monotonic() - t0, 1),
    }


# ---------------------------------------------------------------------------------------------
# Books


def verify_books(coop: Any) -> dict[str, Any]:
    """What `koperasi check --coop <code>` runs."""
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.loans.selectors import loan_violations
    from koperasi.savings.selectors import savings_violations

    t0 = time.monotonic()
    ledger = ledger_violations(cooperative=coop)
    savings = savings_violations(cooperative=coop)
    loans = loan_violations(cooperative=coop)
    problems = ledger + savings + loans
    return {
        "violations": len(problems),
        "ledger": len(ledger),
        "savings": len(savings),
        "loans": len(loans),
        "samples": problems[:15],
        "seconds": round(time.monotonic() - t0, 1),
    }


def written_by_closes(coop: Any, book: CD.CloseBook) -> dict[str, Any]:
    from django.db.models import Count, Sum

    from koperasi.closing.models import CloseStep
    from koperasi.loans.models import LoanAccrual, LoanTransaction, QualitySnapshot
    from koperasi.savings.models import SavingsTransaction, WajibBill
    from koperasi.savings.services.close_steps import withholding_list
    from koperasi.tenancy.models import Cooperative

    coop = Cooperative.objects.get(pk=coop.pk)
    accruals = {
        r["business_date"].isoformat(): {"rows": r["n"], "amount": str(r["s"])}
        for r in LoanAccrual.objects.filter(cooperative=coop)
        .values("business_date")
        .annotate(n=Count("id"), s=Sum("amount"))
        .order_by("business_date")
    }
    penalties = {
        r["business_date"].isoformat(): {"rows": r["n"], "amount": str(r["s"])}
        for r in LoanTransaction.objects.filter(cooperative=coop, kind="penalty")
        .values("business_date")
        .annotate(n=Count("id"), s=Sum("amount"))
        .order_by("business_date")
    }
    interest = {
        r["kind"]: {"rows": r["n"], "amount": str(r["s"])}
        for r in SavingsTransaction.objects.filter(
            cooperative=coop, business_date=book.month_last, kind__in=["interest", "tax"]
        )
        .values("kind")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    t0 = time.monotonic()
    slips = withholding_list(
        cooperative=coop, year=book.month_last.year, month=book.month_last.month
    )
    slips_s = time.monotonic() - t0
    taxed = sum(1 for s in slips if s["tax"])
    return {
        "days_closed_through": coop.days_closed_through.isoformat()
        if coop.days_closed_through
        else None,
        "books_closed_through": coop.books_closed_through.isoformat()
        if coop.books_closed_through
        else None,
        "loan_accruals_by_day": accruals,
        "penalty_movements_by_day": penalties,
        "savings_interest_and_tax": interest,
        "withholding_list": {
            "members": len(slips),
            "taxed_members": taxed,
            "tax_total": str(sum((s["tax"] for s in slips), start=0)),
            "seconds": round(slips_s, 1),
        },
        "wajib_bills": WajibBill.objects.filter(cooperative=coop).count(),
        "quality_snapshots": QualitySnapshot.objects.filter(cooperative=coop).count(),
        "failed_steps": list(
            CloseStep.objects.filter(cooperative=coop, status="failed").values(
                "business_date", "step", "error"
            )
        ),
    }


# ---------------------------------------------------------------------------------------------
# One scenario: load, verify, lower bound, the closes, verify


def scenario(
    members: int,
    loans: int,
    args: argparse.Namespace,
    save: Any = None,
    out: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything for one size, filled into `out` as it goes; `save()` is called after each
    part, so a run stopped midway leaves its figures so far on disk."""
    out = {} if out is None else out
    out.update(members=members, loans=loans)
    save = save or (lambda: None)
    log(f"creating database {CLOSE_DB} and migrating")
    from django.db import connections

    connections.close_all()
    recreate_database()
    S.migrate()
    log(f"loading {members:,} members, {loans:,} loans")
    book = CD.load(members, loans, close_days=args.close_days, berjangka_share=args.berjangka_share)
    out["data"] = book.stats
    save()
    log(
        f"loaded in {book.stats['timings_s']['total_s']} s (per part: {book.stats['timings_s']}; "
        f"COPY per table: {book.stats['copy_s']})"
    )
    coop = book.cooperative
    if not args.skip_verify_before:
        log("koperasi check before the close")
        out["check_before"] = verify_books(coop)
        log(
            f"check before: {out['check_before']['violations']} violation(s) "
            f"({out['check_before']['seconds']} s) {out['check_before']['samples'][:3]}"
        )
    d1 = book.first_close_day
    log(f"lower bound (hand-written SQL, rolled back) for {d1}")
    out["lower_bound"] = lower_bound(coop, d1)
    save()
    log(
        f"lower bound {out['lower_bound']['seconds']} s for {out['lower_bound']['rows']:,} "
        f"accrual rows (runs {out['lower_bound']['runs_s']}); with the instalments' update "
        f"{out['lower_bound']['with_instalments_s']} s"
    )
    M.checkpoint()
    explain_first = args.explain_ms if args.explain == "all" else None
    explain_rest = args.explain_ms if args.explain in ("rest", "all") else None
    profile_first = args.profile == "all"
    profile_rest = args.profile in ("rest", "all")
    base = {"coop": coop.code}
    log(f"day-end close of {d1} (measured)")
    out["day_close"] = run_close(
        {
            **base,
            "kind": "day",
            "to": d1.isoformat(),
            "label": "day-end",
            "explain_ms": explain_first,
            "profile": profile_first,
        }
    )
    _log_close(out["day_close"])
    save()
    if d1 < book.month_last:
        M.checkpoint()
        log(f"day-end closes {d1 + dt.timedelta(days=1)}..{book.month_last}")
        out["rest_days_close"] = run_close(
            {
                **base,
                "kind": "day",
                "to": book.month_last.isoformat(),
                "label": "remaining days",
                "explain_ms": explain_rest,
                "profile": profile_rest,
            }
        )
        _log_close(out["rest_days_close"])
        save()
    if args.snapshot:
        log(f"snapshot before the month-end: {SNAPSHOT_DB}")
        copy_database(CLOSE_DB, SNAPSHOT_DB)
    M.checkpoint()
    log(f"month-end close of {book.month_last:%m/%Y}")
    out["month_close"] = run_close(
        {
            **base,
            "kind": "month",
            "year": book.month_last.year,
            "month": book.month_last.month,
            "label": "month-end",
            "explain_ms": explain_first,
            "profile": profile_first,
        }
    )
    _log_close(out["month_close"])
    save()
    log("koperasi check after the closes")
    out["check_after"] = verify_books(coop)
    log(
        f"check after: {out['check_after']['violations']} violation(s) "
        f"({out['check_after']['seconds']} s) {out['check_after']['samples'][:3]}"
    )
    out["written"] = written_by_closes(coop, book)
    return out


def month_end_from_snapshot(args: argparse.Namespace) -> dict[str, Any]:
    """The month-end alone, again, on a copy of the database a --snapshot run kept just before
    its month-end (migrated to the current code first): for trying changes to the month-end
    without generating and day-closing the data again."""
    from koperasi.members.models import Member
    from koperasi.tenancy.models import Cooperative

    log(f"restoring {CLOSE_DB} from {SNAPSHOT_DB} and migrating")
    copy_database(SNAPSHOT_DB, CLOSE_DB)
    S.migrate()
    coop = Cooperative.objects.get()
    last = coop.days_closed_through
    out: dict[str, Any] = {
        "members": Member.objects.filter(cooperative=coop).count(),
        "from_snapshot": SNAPSHOT_DB,
    }
    M.checkpoint()
    log(f"month-end close of {last:%m/%Y}")
    out["month_close"] = run_close(
        {
            "coop": coop.code,
            "kind": "month",
            "year": last.year,
            "month": last.month,
            "label": "month-end",
            "explain_ms": args.explain_ms if args.explain != "off" else None,
            "profile": args.profile != "off",
        }
    )
    _log_close(out["month_close"])
    log("koperasi check after the close")
    out["check_after"] = verify_books(coop)
    log(f"check after: {out['check_after']['violations']} violation(s)")
    return out


def _log_close(result: dict[str, Any]) -> None:
    if "error" in result:
        return
    steps = ", ".join(
        f"{s['business_date'][5:]} {s['step']} {s['seconds']:.1f}s/{s['rows']:,}"
        for s in result["steps"]
    )
    log(
        f"{result['label']}: {result['run_status']} in {result['wall_s']:.1f} s, peak RSS "
        f"{result['rss']['ru_maxrss_mb']:.0f} MB (sampled {result['rss']['peak_sampled_mb']:.0f})"
        f"; {steps}"
    )


# ---------------------------------------------------------------------------------------------
# Summary and report


def _step(result: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not result or "steps" not in result:
        return None
    return next((s for s in result["steps"] if s["step"] == name), None)


def summarize(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day, month = res.get("day_close", {}), res.get("month_close", {})
    size = f"{res['members']:,} m."
    if "wall_s" in day:
        rows.append(
            {
                "figure": f"day-end close, one day ({size})",
                "value": day["wall_s"],
                "unit": "s",
                "target": f"<= {DAY_TARGET_S:.0f} s",
                "met": day["wall_s"] <= DAY_TARGET_S and day["run_status"] == "done",
            }
        )
    if "wall_s" in month:
        rows.append(
            {
                "figure": f"month-end close ({size})",
                "value": month["wall_s"],
                "unit": "s",
                "target": f"<= {MONTH_TARGET_S:.0f} s",
                "met": month["wall_s"] <= MONTH_TARGET_S and month["run_status"] == "done",
            }
        )
    accrual = _step(day, "loan_accrual")
    lb = res.get("lower_bound")
    if accrual and lb:
        ratio = accrual["seconds"] / lb["seconds"] if lb["seconds"] else None
        rows.append(
            {
                "figure": "accrual step / SQL lower bound",
                "value": ratio,
                "unit": "x",
                "detail": f"{accrual['seconds']:.2f} s / {lb['seconds']:.2f} s",
                "target": f"<= {ACCRUAL_RATIO_TARGET:g} x",
                "met": ratio is not None and ratio <= ACCRUAL_RATIO_TARGET,
            }
        )
    peaks = [
        r["rss"]["ru_maxrss_mb"]
        for r in (day, res.get("rest_days_close"), month)
        if r and "rss" in r
    ]
    if peaks:
        rows.append(
            {
                "figure": f"peak RSS of a close process ({size})",
                "value": max(peaks),
                "unit": "MB",
                "target": f"<= {RSS_TARGET_MB:.0f} MB",
                "met": max(peaks) <= RSS_TARGET_MB,
            }
        )
    check = res.get("check_after")
    if check:
        rows.append(
            {
                "figure": "koperasi check after the closes",
                "value": check["violations"],
                "unit": "violations",
                "target": "0",
                "met": check["violations"] == 0,
            }
        )
    return rows


def print_scenario(res: dict[str, Any]) -> None:
    width = 118
    print("-" * width)
    if "data" in res:
        print_data(res["data"])
    _print_closes(res)


def print_data(data: dict[str, Any]) -> None:
    sav = data["savings"]
    print(
        f"Data: {data['members']:,} members; {sav['accounts']:,} savings accounts "
        f"({sav['accounts_by_product']}), {sav['movements']:,} movements, "
        f"{data['day_balance_rows']:,} day balances; {data['loans']:,} active loans "
        f"({data['accrual_loans']:,} accrual, {data['cash_loans']:,} cash), "
        f"{data['instalments']:,} instalments, {data['loans_in_arrears']:,} in arrears "
        f"({data['arrears_share']:.1%}), by class {data['loans_by_class']}"
    )
    print(
        f"  month {data['month']}, days closed through {data['days_closed_through']}, books "
        f"closed through {data['books_closed_through']}; table sizes MB {data['table_sizes_mb']}"
    )
    print(f"  generation {data['timings_s']['total_s']} s: {data['timings_s']}")
    print(f"  COPY per table (s): {data['copy_s']}")


def _print_closes(res: dict[str, Any]) -> None:
    for key in ("check_before", "check_after"):
        c = res.get(key)
        if c:
            print(
                f"  koperasi check {key.split('_')[1]} the close: {c['violations']} violation(s) "
                f"(ledger {c['ledger']}, savings {c['savings']}, loans {c['loans']}) in "
                f"{c['seconds']} s" + (f"; e.g. {c['samples'][:3]}" if c["samples"] else "")
            )
    lb = res.get("lower_bound")
    if lb:
        print(
            f"  lower bound: {lb['rows']:,} accrual rows + {lb['loans_updated']:,} loans in one "
            f"statement: {lb['seconds']} s (runs {lb['runs_s']}); with the instalments' update "
            f"too: {lb['with_instalments_s']} s"
        )
    for key in ("day_close", "rest_days_close", "month_close"):
        r = res.get(key)
        if not r:
            continue
        if "error" in r:
            print(f"  {key}: ERROR {r['error']}")
            continue
        rss = r["rss"]
        print(
            f"  {r['label']}: {r['run_status']} in {r['wall_s']} s (Python CPU "
            f"{r['python_cpu_s']} s, PostgreSQL backend CPU {r['backend_cpu_s']} s); RSS "
            f"baseline {rss['baseline_mb']} MB, peak sampled {rss['peak_sampled_mb']} MB, "
            f"VmHWM {rss['vm_hwm_mb']} MB, ru_maxrss {rss['ru_maxrss_mb']} MB"
            + (f"; auto_explain on (>= {r['explain_ms']} ms)" if r.get("explain_ms") else "")
            + (f"; ERROR {r['run_error']}" if r["run_error"] else "")
        )
        print(
            f"    {'date':10} {'step':22} {'rows':>10} {'seconds':>9} {'rows/s':>10} "
            f"{'SQL s':>8} {'Python s':>8} {'PG CPU':>7} {'stmts':>7} {'RSS MB':>7}"
        )
        phases = {p["phase"]: p for p in r["phases"]}
        for s in r["steps"]:
            p = phases.get(f"{s['business_date']} {s['step']}", {})
            print(
                f"    {s['business_date']:10} {s['step']:22} {s['rows']:>10,} "
                f"{s['seconds']:>9.2f} {s['rows_per_s'] or 0:>10,.0f} "
                f"{p.get('sql_s', 0):>8.2f} {p.get('python_s', 0):>8.2f} "
                f"{p.get('backend_cpu_s', 0):>7.2f} {p.get('statements', 0):>7,} "
                f"{p.get('peak_rss_mb', 0):>7.0f}"
            )
        slow = sorted(r["phases"], key=lambda p: -p["wall_s"])[:3]
        for p in slow:
            if p["wall_s"] < 0.5:
                continue
            tops = "; ".join(
                f"{t['kind'][:70]} x{t['count']} {t['seconds']:.2f}s"
                for t in p["top_statements"][:3]
            )
            print(f"    where {p['phase']} goes: {tops}")
        prof = r.get("profile")
        if prof:
            print(
                "    cProfile, koperasi functions by inclusive time: "
                + "; ".join(
                    f"{f['function'].split(' ')[-1]} {f['incl_s']:.1f}s x{f['calls']}"
                    for f in prof["koperasi_inclusive"][:10]
                )
            )
            print(
                "    cProfile, functions by own time: "
                + "; ".join(
                    f"{f['function']} {f['own_s']:.1f}s x{f['calls']}"
                    for f in prof["by_own_time"][:10]
                )
            )
        for plan in r.get("explains", [])[:3]:
            print(f"    auto_explain {plan['phase']}: {plan['ms']} ms")
            for line in plan["plan"][:25]:
                print(f"      {line}")
    w = res.get("written")
    if w:
        print(
            f"  written: accruals {w['loan_accruals_by_day']}; penalties "
            f"{w['penalty_movements_by_day']}; savings {w['savings_interest_and_tax']}; "
            f"withholding list {w['withholding_list']}; wajib bills {w['wajib_bills']:,}; "
            f"failed steps {w['failed_steps']}"
        )


def print_report(results: dict[str, Any]) -> None:
    width = 118
    m = results["machine"]
    pg = m["postgresql"]
    print()
    print("=" * width)
    print(
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB; PostgreSQL {pg['server_version']} "
        f"(shared_buffers {pg['shared_buffers']}, work_mem {pg['work_mem']}, synchronous_commit "
        f"{pg['synchronous_commit']}); Python {m['python']}; load average at start "
        f"{m['load_average_at_start']}, at end {results.get('load_average_at_end')}"
    )
    for key in ("small", "main"):
        if key in results:
            print_scenario(results[key])
    print("-" * width)
    print(f"{'figure':52} {'value':>14} {'detail':>22} {'target':>12} {'result':>8}")
    for row in results["summary"]:
        value = "-" if row["value"] is None else f"{row['value']:,.2f} {row['unit']}"
        verdict = "PASS" if row.get("met") else "FAIL"
        print(
            f"{row['figure']:52.52} {value:>14} {row.get('detail', ''):>22} "
            f"{row.get('target', ''):>12} {verdict:>8}"
        )
    flat = results.get("rss_flatness")
    if flat:
        print(
            "RSS flatness (ru_maxrss of the close process): "
            + "; ".join(f"{k}: {v}" for k, v in flat.items())
        )
    print("=" * width)


def rss_flatness(small: dict[str, Any], main: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in ("day_close", "rest_days_close", "month_close"):
        a, b = small.get(key, {}), main.get(key, {})
        if "rss" in a and "rss" in b:
            out[a.get("label", key)] = (
                f"{small['members']:,} members {a['rss']['ru_maxrss_mb']:.0f} MB vs "
                f"{main['members']:,} members {b['rss']['ru_maxrss_mb']:.0f} MB"
            )
    return out


# ---------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    import django

    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "postgresql": M.server_settings(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def code_versions() -> dict[str, str]:
    """Last change and content hash of the measured code, which other work may be changing
    while the benchmark runs: recorded at the start and by each close process."""
    src = Path(__file__).resolve().parent.parent / "src" / "koperasi"
    files = [
        *sorted((src / "closing").glob("*.py")),
        src / "loans" / "close_steps.py",
        src / "loans" / "services" / "common.py",
        src / "loans" / "services" / "quality.py",
        src / "savings" / "close_steps.py",
        src / "ledger" / "services.py",
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--members", type=int, default=1_000_000, help="members (one sukarela each)")
    p.add_argument("--loans", type=int, default=300_000, help="active loans")
    p.add_argument(
        "--close-days",
        type=int,
        default=2,
        help="days of the month left to close (the first is the measured day-end)",
    )
    p.add_argument("--berjangka-share", type=float, default=0.02, help="members with a deposit")
    p.add_argument(
        "--compare-small",
        action="store_true",
        help="first run everything at a tenth of the size (RSS flatness)",
    )
    p.add_argument("--skip-verify-before", action="store_true")
    p.add_argument(
        "--explain",
        choices=("off", "rest", "all"),
        default="off",
        help="auto_explain (ANALYZE, BUFFERS) for the closes after the measured one, or all",
    )
    p.add_argument("--explain-ms", type=int, default=500, help="auto_explain threshold")
    p.add_argument(
        "--profile",
        choices=("off", "rest", "all"),
        default="off",
        help="cProfile the closes after the measured one (rest) or every close (all)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument(
        "--snapshot",
        action="store_true",
        help=f"keep a copy of the database just before the month-end ({SNAPSHOT_DB})",
    )
    p.add_argument(
        "--month-end-from-snapshot",
        action="store_true",
        help="only the month-end again, on a copy of a --snapshot run's database",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 20,000 members, 6,000 loans")
    args = p.parse_args(argv)
    if args.quick:
        args.members, args.loans = 20_000, 6_000
    if args.close_days < 1:
        p.error("--close-days must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    home = S.prepare_environment(CLOSE_DB)
    results: dict[str, Any] = {
        "benchmark": "close",
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "args": vars(args),
        "code_modified": code_versions(),
        "notes": [
            "each close runs in a fresh Python process (start_day_close/start_month_close + "
            "execute in that process), so its peak RSS is the close's own",
            "no pokok/wajib savings accounts are generated (the close does not read them)",
        ],
    }
    try:
        S.setup_django()
        results["machine"] = machine_info()
        t0 = time.monotonic()
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"close-{started.strftime('%Y%m%d-%H%M%S')}.json"

        def save() -> None:
            out.write_text(json.dumps(results, indent=2, default=str))

        if args.month_end_from_snapshot:
            results["main"] = month_end_from_snapshot(args)
            results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            print_scenario(results["main"])
            save()
            log(f"results written to {out}")
            return 0 if results["main"]["check_after"]["violations"] == 0 else 1
        if args.compare_small:
            small = (max(args.members // 10, 100), max(args.loans // 10, 30))
            log(f"=== small scenario: {small[0]:,} members, {small[1]:,} loans")
            results["small"] = {}
            scenario(small[0], small[1], args, save, results["small"])
            save()
        log(f"=== scenario: {args.members:,} members, {args.loans:,} loans")
        results["main"] = {}
        scenario(args.members, args.loans, args, save, results["main"])
        results["total_s"] = round(time.monotonic() - t0, 1)
        summary = summarize(results["main"])
        if "small" in results:
            summary += [
                {**row, "figure": row["figure"]}
                for row in summarize(results["small"])
                if "RSS" in row["figure"]
            ]
            results["rss_flatness"] = rss_flatness(results["small"], results["main"])
        results["summary"] = summary
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        print_report(results)
        save()
        log(f"results written to {out}")
        ok = all(row.get("met") for row in summary if "check" in row["figure"])
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
