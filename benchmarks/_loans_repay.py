"""Repayments through `koperasi.loans.services.repay` (channel teller) and where their time goes.

Each repayment pays one instalment amount (the loan's next unpaid instalment when the book was
loaded) on a random active loan with a fresh idempotency key. Every worker process gets its own
shuffled share of the active loans and takes each loan once (tellers serve different borrowers;
no loan is paid twice within a run unless a worker runs out of loans), so what is measured is the
posting path, not contention on one loan row.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import re
import time
import traceback
import uuid
from decimal import Decimal
from typing import Any

import _measure as M
import _setup as S
from _loans_data import Active
from _workers import combine, run_processes

WARMUP = 3
# Upper bound of repayments per second used to size each worker's share of loans.
MAX_RATE = 2000

Work = list[tuple[int, Decimal]]


def shares(active: dict[int, Active], clients: int, wanted: int, rng: random.Random) -> list[Work]:
    """`clients` disjoint lists of (loan id, amount), `wanted` loans in all (fewer if short)."""
    ids = list(active)
    rng.shuffle(ids)
    ids = ids[:wanted]
    return [[(i, active[i][0]) for i in ids[k::clients]] for k in range(clients)]


def take(active: dict[int, Active], loan_ids: list[int]) -> None:
    """Forget loans already paid on, so a later run starts from untouched loans."""
    for loan_id in loan_ids:
        active.pop(loan_id, None)


def _repay_worker(
    coop_id: int,
    teller_id: int,
    work: Work,
    duration: float,
    barrier: Any,
    results: Any,
) -> None:
    report: dict[str, Any] = {"ok": 0, "errors": 0, "error_samples": [], "latencies_ms": []}
    try:
        S.setup_django()
        from django.contrib.auth import get_user_model
        from django.db import connection, connections

        connections.close_all()  # never share a connection with another process
        from koperasi.loans import services as loans
        from koperasi.tenancy.models import Cooperative

        coop = Cooperative.objects.get(pk=coop_id)
        teller = get_user_model().objects.get(pk=teller_id)
        statements = [0]

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements[0] += 1
            return execute(sql, params, many, context)

        position = [0]
        used: list[int] = []

        def one() -> None:
            loan_id, amount = work[position[0] % len(work)]
            position[0] += 1
            used.append(loan_id)
            loans.repay(
                cooperative=coop,
                actor=teller,
                loan_id=loan_id,
                amount=amount,
                idempotency_key=str(uuid.uuid4()),
                channel="teller",
            )

        for _ in range(WARMUP):  # connection, caches and code paths warm
            one()
        report["warmup"] = WARMUP
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    except Exception:
        report["fatal"] = traceback.format_exc()
        barrier.abort()
        results.put(report)
        return
    barrier.wait()
    start = time.monotonic()
    cpu0, backend0 = time.process_time(), M.proc_cpu_seconds(backend)
    deadline = start + duration
    latencies = report["latencies_ms"]
    with connection.execute_wrapper(count):
        while (now := time.monotonic()) < deadline:
            try:
                one()
                report["ok"] += 1
                latencies.append((time.monotonic() - now) * 1000)
            except Exception as exc:  # counted and shown; the run goes on
                report["errors"] += 1
                if len(report["error_samples"]) < 3:
                    report["error_samples"].append(repr(exc))
    report["start"], report["end"] = start, time.monotonic()
    report["client_cpu_s"] = time.process_time() - cpu0
    report["backend_cpu_s"] = M.proc_cpu_seconds(backend) - backend0
    report["statements"] = statements[0]
    report["used_loans"] = used
    report["wrapped_around"] = position[0] > len(work)
    results.put(report)


def run_repayments(
    coop_id: int, teller_id: int, shares_: list[Work], duration: float
) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()
    M.checkpoint()
    clients = len(shares_)
    reports, cpu = run_processes(
        _repay_worker,
        [(coop_id, teller_id, share, duration) for share in shares_],
        timeout=duration + 300,
        pids_to_watch=lambda: {},
    )
    result = combine(reports, clients, cpu)
    result["warmup_repayments"] = sum(r.get("warmup", 0) for r in reports)
    measured = sum(r["ok"] + r["errors"] for r in reports)
    result["statements_per_repayment"] = (
        round(sum(r["statements"] for r in reports) / measured, 1) if measured else None
    )
    result["loans_offered"] = sum(len(s) for s in shares_)
    result["wrapped_around"] = any(r["wrapped_around"] for r in reports)
    result["used_loans"] = [loan for r in reports for loan in r["used_loans"]]
    return result


# ---------------------------------------------------------------------------------------------
# Where the time goes, in this process: the statements of one repayment, database time vs the
# rest (execute wrapper, wall clock), and a CPU profile grouped by code area.

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """'SELECT loans_loan', 'UPDATE ledger_account', 'SAVEPOINT' ..."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    match = _TABLE.search(sql)
    return f"{verb} {match.group(1)}" if match and verb != "SAVEPOINT" else verb


def _cases(active: dict[int, Active], today: Any) -> dict[str, tuple[int, Decimal]]:
    """One loan per kind of repayment the mix contains (first found of each)."""
    wanted = {
        "PU, nothing due yet (pays the next instalment in advance)": lambda c, d, n: (
            c == "PU" and n > today
        ),
        "PU, in arrears (penalty assessed first; cash basis)": lambda c, d, n: c == "PU" and d > 3,
        "PP, in arrears > 45 days (accrual: penalty entry posted)": lambda c, d, n: (
            c == "PP" and d > 45
        ),
        "PD, nothing due yet (the amount goes to savings)": lambda c, d, n: c == "PD" and n > today,
    }
    found: dict[str, tuple[int, Decimal]] = {}
    for loan_id, (amount, code, dpd, next_due) in active.items():
        for label, test in wanted.items():
            if label not in found and test(code, dpd, next_due):
                found[label] = (loan_id, amount)
        if len(found) == len(wanted):
            break
    return found


def query_counts(coop: Any, teller: Any, active: dict[int, Active], today: Any) -> dict[str, Any]:
    """CaptureQueriesContext around one repayment of each kind; the statements listed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from koperasi.loans import services as loans

    out: dict[str, Any] = {}
    for label, (loan_id, amount) in _cases(active, today).items():
        with CaptureQueriesContext(connection) as ctx:
            loans.repay(
                cooperative=coop,
                actor=teller,
                loan_id=loan_id,
                amount=amount,
                idempotency_key=str(uuid.uuid4()),
                channel="teller",
            )
        statements = [q["sql"] for q in ctx.captured_queries]
        out[label] = {
            "loan_id": loan_id,
            "amount": str(amount),
            "queries": len(statements),
            "kinds": [statement_kind(s) for s in statements],
            "sql": statements,
        }
        take(active, [loan_id])
    return out


def _area(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker, area in (
        ("django/db/models/sql/", "Django ORM: SQL compilation"),
        ("django/db/models/", "Django ORM: querysets, models, fields"),
        ("django/db/backends/", "Django DB backend (cursor wrappers, adapters)"),
        ("django/db/transaction", "Django transactions / savepoints"),
        ("django/", "Django other"),
        ("psycopg", "psycopg"),
        ("/koperasi/domain/", "koperasi.domain (pure calculations)"),
        ("/koperasi/", "koperasi services/selectors"),
        ("decimal", "decimal"),
    ):
        if marker in path:
            return area
    if path.startswith("~") or path.startswith("<"):
        return "builtins / C functions"
    return "other Python"


def profile(
    coop: Any, teller: Any, active: dict[int, Active], count: int, seed: int
) -> dict[str, Any]:
    """`count` repayments timed with an execute wrapper (DB round trips, wall) and again with
    cProfile on the CPU clock (Python CPU by code area); both on random active loans."""
    from django.db import connection

    from koperasi.loans import services as loans

    rng = random.Random(seed)
    ids = rng.sample(list(active), min(len(active), 2 * count))
    first, second = ids[:count], ids[count:]
    per_kind: dict[str, list[float]] = {}

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            per_kind.setdefault(statement_kind(sql), []).append(time.perf_counter() - t0)

    def pay(loan_id: int) -> None:
        loans.repay(
            cooperative=coop,
            actor=teller,
            loan_id=loan_id,
            amount=active[loan_id][0],
            idempotency_key=str(uuid.uuid4()),
            channel="teller",
        )

    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        for loan_id in first:
            pay(loan_id)
            done += 1
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    # COMMIT is not an execute() call; time it separately on a fresh sample below.
    db_wall = sum(sum(v) for v in per_kind.values())
    kinds = sorted(per_kind.items(), key=lambda kv: -sum(kv[1]))
    result: dict[str, Any] = {
        "repayments": done,
        "wall_ms_per_repayment": round(wall * 1000 / done, 2) if done else None,
        "python_cpu_ms_per_repayment": round(cpu * 1000 / done, 2) if done else None,
        "in_execute_ms_per_repayment": round(db_wall * 1000 / done, 2) if done else None,
        "statements_per_repayment": round(sum(len(v) for v in per_kind.values()) / done, 1)
        if done
        else None,
        "statement_kinds": [
            {
                "kind": kind,
                "per_repayment": round(len(times) / done, 2),
                "ms_per_repayment": round(sum(times) * 1000 / done, 3),
            }
            for kind, times in kinds
        ],
    }
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for loan_id in second:
        pay(loan_id)
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    functions = []
    total = 0.0
    cumulative = []
    for (filename, line, name), (_cc, _nc, tottime, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        area = _area(filename)
        areas[area] = areas.get(area, 0.0) + tottime
        total += tottime
        functions.append((tottime, f"{filename.rsplit('/', 2)[-1]}:{line} {name}"))
        # Which steps of the service cost what (inclusive of what they call).
        if (
            "/koperasi/" in filename
            or (
                "django/db/models/query.py" in filename
                and name in ("first", "get", "bulk_update", "update", "create", "exists", "count")
            )
            or ("django/db/models/base.py" in filename and name == "save")
        ):
            short = (
                filename.split("/koperasi/")[-1]
                if "/koperasi/" in filename
                else "django " + filename.rsplit("/", 1)[-1]
            )
            cumulative.append((ct, f"{short}:{line} {name}"))
    # cProfile's own overhead inflates every function, so areas are reported as shares of the
    # profiled CPU and scaled to the unprofiled Python CPU per repayment measured above.
    total = total or 1.0
    python_ms = result["python_cpu_ms_per_repayment"] or 0.0
    result["cpu_profile"] = {
        "repayments": len(second),
        "by_area": [
            {"area": a, "share": round(t / total, 3), "est_ms": round(t / total * python_ms, 2)}
            for a, t in sorted(areas.items(), key=lambda kv: -kv[1])
        ],
        "top_functions": [
            {"function": f, "share": round(t / total, 4)}
            for t, f in sorted(functions, reverse=True)[:20]
        ],
        "steps_inclusive": [
            {"function": f, "share": round(t / total, 3)}
            for t, f in sorted(cumulative, reverse=True)[:30]
        ],
    }
    take(active, ids)
    result["loans_used"] = len(ids)
    return result


def verify_books(coop: Any, expected_repayments: int) -> dict[str, Any]:
    """The loan sub-ledger against its control accounts, the ledger itself, and the count."""
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.loans.models import LoanTransaction
    from koperasi.loans.selectors import loan_violations

    t0 = time.monotonic()
    ledger = ledger_violations(cooperative=coop)
    loans = loan_violations(cooperative=coop)
    repayments = LoanTransaction.objects.filter(cooperative=coop, kind="repayment").count()
    return {
        "ledger_violations": ledger[:20],
        "loan_violations": loans[:20],
        "repayments": repayments,
        "expected_repayments": expected_repayments,
        "ok": not ledger and not loans and repayments == expected_repayments,
        "seconds": round(time.monotonic() - t0, 1),
    }
