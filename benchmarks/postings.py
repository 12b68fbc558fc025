"""Postings and member-search benchmark on PostgreSQL, measured against pgbench in the same run.

    .venv/bin/python benchmarks/postings.py                  # full run (several minutes)
    .venv/bin/python benchmarks/postings.py --quick          # smoke run, small sizes
    .venv/bin/python benchmarks/postings.py --explain        # also print EXPLAIN ANALYZE plans

What it does, on a throw-away database `koperasi_bench` (and `pgbench_bench` for pgbench):
1. a cooperative through `create_cooperative`, N active members (COPY) with a sukarela account each;
2. pgbench TPC-B (scale 10) with 1 and 8 clients, the physical reference for a posting;
3. deposits through `koperasi.savings.services.deposit` from 1 and 8 worker processes, after
   which the ledger and savings invariants must hold;
4. the same rows written by hand-written SQL (benchmarks/_floor.py): what the database itself
   allows for this deposit, so the gap to pgbench splits into database work and application work;
5. the same deposits through the HTTP API under gunicorn from 8 client processes;
6. the cooperative topped up to 1,000,000 members, and `search_members` + the first page timed
   for name, member-number, NIK and phone queries.
CPU per operation (client processes, PostgreSQL backends, whole machine) and what the backends
wait for (sampled from pg_stat_activity) are reported for every run, to show where time goes.
Figures and ratios are printed and written to benchmarks/results/postings-<timestamp>.json.
Targets: service deposits/s >= 25 % of pgbench tps at 8 clients; HTTP >= 10 %; search p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _floor  # noqa: E402
import _http  # noqa: E402
import _measure as M  # noqa: E402
import _report as R  # noqa: E402
import _search  # noqa: E402
import _setup as S  # noqa: E402
from _workers import AMOUNT, combine, log, run_processes  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WARMUP_DEPOSITS = 3


# ---------------------------------------------------------------------------------------------
# Deposits through the service layer


def _deposit_worker(coop_id: int, duration: float, seed: int, barrier: Any, results: Any) -> None:
    report: dict[str, Any] = {"ok": 0, "errors": 0, "error_samples": [], "latencies_ms": []}
    try:
        S.setup_django()
        from django.db import connection, connections

        connections.close_all()  # never share a connection with another process
        from koperasi.savings import services as savings
        from koperasi.savings.models import SavingsAccount
        from koperasi.tenancy.models import Cooperative

        coop = Cooperative.objects.get(pk=coop_id)
        ids = list(
            SavingsAccount.objects.filter(cooperative=coop, product__kind="sukarela").values_list(
                "pk", flat=True
            )
        )
        rng = random.Random(seed)

        def one() -> None:
            savings.deposit(
                cooperative=coop,
                actor=None,
                account_id=rng.choice(ids),
                amount=AMOUNT,
                idempotency_key=str(uuid.uuid4()),
            )

        for _ in range(WARMUP_DEPOSITS):  # connection, caches and code paths warm
            one()
        report["warmup"] = WARMUP_DEPOSITS
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
    results.put(report)


def run_deposits(coop_id: int, clients: int, duration: float) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()
    M.checkpoint()
    reports, cpu = run_processes(
        _deposit_worker,
        [(coop_id, duration, 1000 * clients + i) for i in range(clients)],
        timeout=duration + 300,
        pids_to_watch=lambda: {},
    )
    result = combine(reports, clients, cpu)
    result["warmup_deposits"] = sum(r.get("warmup", 0) for r in reports)
    return result


def run_floor(context: dict[str, Any], clients: int, duration: float) -> dict[str, Any]:
    M.checkpoint()
    reports, cpu = run_processes(
        _floor.floor_worker,
        [(context, duration, 3000 * clients + i) for i in range(clients)],
        timeout=duration + 300,
    )
    result = combine(reports, clients, cpu)
    result["warmup_deposits"] = sum(r.get("warmup", 0) for r in reports)
    return result


def verify_books(coop: Any, expected_movements: int) -> dict[str, Any]:
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.savings.models import SavingsTransaction
    from koperasi.savings.selectors import savings_violations

    t0 = time.monotonic()
    ledger = ledger_violations(cooperative=coop)
    savings = savings_violations(cooperative=coop)
    movements = SavingsTransaction.objects.filter(cooperative=coop).count()
    return {
        "ledger_violations": ledger[:20],
        "savings_violations": savings[:20],
        "movements": movements,
        "expected_movements": expected_movements,
        "ok": not ledger and not savings and movements == expected_movements,
        "seconds": round(time.monotonic() - t0, 1),
    }


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
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": M.server_settings(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000, help="members for the deposit runs")
    p.add_argument(
        "--search-members",
        type=int,
        default=1_000_000,
        help="members in the cooperative for the search test",
    )
    p.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    p.add_argument("--clients", default="1,8", help="comma separated client/worker counts")
    p.add_argument("--scale", type=int, default=10, help="pgbench scale factor")
    p.add_argument("--gunicorn-workers", type=int, default=3)
    p.add_argument("--search-queries", type=int, default=100, help="timed queries per kind")
    p.add_argument(
        "--skip-floor",
        action="store_true",
        help="skip the hand-written SQL floor for the same deposit",
    )
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--skip-search", action="store_true")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one query per kind")
    p.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2,000 members (20,000 for search), 5 s runs",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.members, args.search_members, args.duration = 2_000, 20_000, 5
        args.search_queries = min(args.search_queries, 30)
    args.client_counts = sorted({int(c) for c in args.clients.split(",")})
    return args


def set_up(args: argparse.Namespace, results: dict[str, Any]) -> tuple[Any, Any, list[int]]:
    from django.contrib.auth import get_user_model

    from koperasi.tenancy import services as tenancy

    t0 = time.monotonic()
    coop = S.create_cooperative()
    factory = S.MemberFactory()
    copy_s = S.copy_members(factory, coop, 1, args.members)
    ids = S.create_sukarela_accounts(coop, args.members)
    S.run_sql("VACUUM ANALYZE")
    user = get_user_model().objects.create_user(username=_http.TELLER[0], password=_http.TELLER[1])
    tenancy.add_staff(cooperative=coop, actor=None, user=user, role="teller")
    results["setup"] = {
        "members": args.members,
        "accounts": len(ids),
        "copy_members_s": round(copy_s, 1),
        "total_s": round(time.monotonic() - t0, 1),
    }
    log(
        f"{args.members:,} members and {len(ids):,} sukarela accounts in "
        f"{results['setup']['total_s']} s (COPY {copy_s:.1f} s)"
    )
    return coop, factory, ids


def measure(args: argparse.Namespace, home: str, results: dict[str, Any]) -> None:
    log(f"creating database {S.BENCH_DB} and migrating")
    S.recreate_database(S.BENCH_DB)
    S.setup_django()
    S.migrate()
    results["machine"] = machine_info()
    coop, factory, ids = set_up(args, results)

    log(f"pgbench -i -s {args.scale}")
    results["pgbench_init_s"] = round(M.pgbench_init(args.scale), 1)
    results["pgbench"] = {}
    for c in args.client_counts:
        run = M.pgbench_run(c, args.duration)
        results["pgbench"][str(c)] = run
        log(f"pgbench c={c}: {run['tps']:.1f} tps")

    results["deposits"] = {}
    movements = 0
    for c in args.client_counts:
        run = run_deposits(coop.pk, c, args.duration)
        results["deposits"][str(c)] = run
        movements += run["completed"] + run["warmup_deposits"]
        r = R.ratio(run["per_second"], results["pgbench"][str(c)]["tps"])
        log(
            f"service deposits c={c}: {run['per_second']:.1f}/s ({R.fmt_ratio(r)} of pgbench), "
            f"errors {run['errors']}"
        )
    books = verify_books(coop, movements)
    results["books"]["service deposits"] = books
    log("books after service deposits: " + ("OK" if books["ok"] else f"PROBLEM {books}"))

    if not args.skip_floor:
        results["sql_floor"] = {}
        context = _floor.floor_context(coop, ids)
        for c in args.client_counts:
            run = run_floor(context, c, args.duration)
            results["sql_floor"][str(c)] = run
            movements += run["completed"] + run["warmup_deposits"]
            r = R.ratio(run["per_second"], results["pgbench"][str(c)]["tps"])
            log(
                f"hand-written SQL deposits c={c}: {run['per_second']:.1f}/s ({R.fmt_ratio(r)} "
                f"of pgbench), errors {run['errors']}"
            )
        books = verify_books(coop, movements)
        results["books"]["SQL floor deposits"] = books
        log("books after SQL floor deposits: " + ("OK" if books["ok"] else f"PROBLEM {books}"))

    if not args.skip_http:
        clients = max(args.client_counts)
        run = _http.run_http(ids, clients, args.duration, args.gunicorn_workers, home)
        results["http"] = run
        movements += run.get("completed", 0) + run.get("probe", 0)
        if run["available"]:
            r = R.ratio(run["per_second"], results["pgbench"][str(clients)]["tps"])
            log(
                f"HTTP deposits c={clients}: {run['per_second']:.1f}/s ({R.fmt_ratio(r)} of "
                f"pgbench), non-2xx {run['non_2xx']}"
            )
        else:
            log(f"API not available ({run['reason']}); HTTP figures skipped")
        books = verify_books(coop, movements)
        results["books"]["HTTP deposits"] = books
        log("books after HTTP deposits: " + ("OK" if books["ok"] else f"PROBLEM {books}"))

    if not args.skip_search:
        want = max(args.search_members, args.members)
        log(f"topping the cooperative up to {want:,} members for search")
        results["search_setup"] = _search.top_up_members(factory, coop, args.members, want)
        log(f"top-up done: {results['search_setup']}")
        results["search"] = _search.run_search(coop, want, args.search_queries, args.explain)
        log(f"search p95 {results['search']['overall']['p95_ms']} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    home = S.prepare_environment()
    results: dict[str, Any] = {
        "benchmark": "postings",
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "args": {k: v for k, v in vars(args).items() if k != "client_counts"},
        "books": {},
    }
    try:
        measure(args, home, results)
        rows = R.summarize(results, max(args.client_counts))
        results["summary"] = rows
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        R.print_report(results, rows)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"postings-{started.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"results written to {out}")
        return 0 if all(b["ok"] for b in results["books"].values()) else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            S.drop_database(S.BENCH_DB)
            S.drop_database(S.PGBENCH_DB)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
