"""The SHU benchmark's measuring (benchmarks/shu.py): time per statement kind, wall and CPU of
this process and of its PostgreSQL backend, and the code under test run under them
(`figures.simulate`, `services.distribute`, the latter optionally once under cProfile)."""

from __future__ import annotations

import cProfile
import inspect
import io
import pstats
import re
import time
from collections import defaultdict
from typing import Any

import _measure as M
import _setup as S
from _workers import log

# Measuring


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|TABLE)\s+"?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """'VERB table' of a statement (the first table it names after FROM/INTO/UPDATE)."""
    text = " ".join(sql.split())
    verb = text.split(" ", 1)[0].upper()
    if verb == "WITH":
        verb = "WITH…"
    found = _TABLE.search(text)
    return f"{verb} {found.group(1)}" if found else verb


class StatementTimer:
    """A Django execute wrapper: time in each statement kind, and the slowest statements."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.slowest: list[tuple[float, str]] = []
        self.total = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - t0
            self.total += took
            entry = self.kinds[statement_kind(sql)]
            entry[0] += 1
            entry[1] += took
            self.slowest.append((took, " ".join(sql.split())[:300]))
            self.slowest = sorted(self.slowest, reverse=True)[:8]

    def report(self) -> dict[str, Any]:
        kinds = sorted(self.kinds.items(), key=lambda kv: -kv[1][1])
        return {
            "sql_s": round(self.total, 3),
            "statements": sum(int(v[0]) for _k, v in kinds),
            "by_kind": [
                {"kind": k, "count": int(v[0]), "seconds": round(v[1], 3)} for k, v in kinds[:15]
            ],
            "slowest": [{"seconds": round(t, 3), "sql": s} for t, s in self.slowest],
        }


class Clock:
    """Wall, CPU of this process and CPU of the Django connection's PostgreSQL backend."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall = time.perf_counter()
        self.python = time.process_time()
        self.postgres = M.proc_cpu_seconds(pid)

    def read(self) -> dict[str, float]:
        return {
            "wall_s": round(time.perf_counter() - self.wall, 3),
            "cpu_python_s": round(time.process_time() - self.python, 3),
            "cpu_postgres_s": round(M.proc_cpu_seconds(self.pid) - self.postgres, 3),
        }


# ---------------------------------------------------------------------------------------------
# The code under test


def run_simulate(coop: Any, year: int) -> tuple[Any, dict[str, Any]]:
    from django.db import connection

    from koperasi.shu import figures

    timer = StatementTimer()
    clock = Clock(backend_pid())
    with connection.execute_wrapper(timer):
        sim = figures.simulate(cooperative=coop, year=year)
    out = clock.read()
    sql = timer.report()
    out["sql_s"] = sql["sql_s"]
    out["python_and_other_s"] = round(out["wall_s"] - sql["sql_s"], 3)
    out["statements"] = sql["by_kind"]
    out["members_with_figures"] = len(sim.result.members)
    return sim, out


def distribute_kwargs(
    coop: Any, actor: Any, year: int, into_savings: bool = True
) -> tuple[dict[str, Any], bool]:
    """The call's keywords, and whether the code under test has `pay_into_savings` (passed only
    then, as `into_savings`)."""
    from koperasi.ledger import services as ledger
    from koperasi.shu import services

    kwargs: dict[str, Any] = {
        "cooperative": coop,
        "actor": actor,
        "year": year,
        "approved_on": ledger.local_today(coop),
        "approval_reference": f"Keputusan RAT Tahun Buku {year} No. 7/RAT/{year + 1} (benchmark)",
        "idempotency_key": f"bench-shu-{year}",
    }
    supported = "pay_into_savings" in inspect.signature(services.distribute).parameters
    if supported:
        kwargs["pay_into_savings"] = into_savings
    return kwargs, supported


def profile_distribute(coop: Any, actor: Any, year: int, into_savings: bool) -> dict[str, Any]:
    """One distribution under cProfile, rolled back; then the touched tables VACUUMed."""
    from django.db import transaction

    from koperasi.shu import services

    kwargs, _supported = distribute_kwargs(coop, actor, year, into_savings)
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    with transaction.atomic():
        profiler.enable()
        services.distribute(**kwargs)
        profiler.disable()
        transaction.set_rollback(True)
    wall = time.perf_counter() - t0
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    t0 = time.perf_counter()
    S.run_sql(
        "VACUUM ANALYZE savings_savingsaccount",
        "VACUUM ANALYZE savings_savingstransaction",
        "VACUUM ANALYZE shu_shushare",
        "VACUUM ANALYZE ledger_journalentry",
        "VACUUM ANALYZE ledger_posting",
    )
    return {
        "wall_profiled_s": round(wall, 2),
        "vacuum_after_s": round(time.perf_counter() - t0, 1),
        "profile": text.getvalue(),
    }


def run_distribute(
    coop: Any, actor: Any, year: int, into_savings: bool
) -> tuple[Any, dict[str, Any]]:
    from django.db import connection, transaction

    from koperasi.shu import services

    kwargs, supported = distribute_kwargs(coop, actor, year, into_savings)
    passed = kwargs.get("pay_into_savings", "not in the code: not passed")
    log(f"distribute(pay_into_savings={passed})")
    timer = StatementTimer()
    clock = Clock(backend_pid())
    # distribute() is atomic itself; the outer block only lets the COMMIT (the deferred
    # foreign-key checks) be timed apart from the work. Same single transaction.
    with transaction.atomic():
        with connection.execute_wrapper(timer):
            distribution = services.distribute(**kwargs)
        body = time.perf_counter() - clock.wall
    out = clock.read()
    sql = timer.report()
    out.update(
        pay_into_savings=kwargs.get("pay_into_savings"),
        body_s=round(body, 3),
        commit_s=round(out["wall_s"] - body, 3),
        sql_s=sql["sql_s"],
        python_and_copy_s=round(body - sql["sql_s"], 3),
        statements=sql["statements"],
        by_kind=sql["by_kind"],
        slowest=sql["slowest"],
    )
    return distribution, out
