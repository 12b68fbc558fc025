"""Loans benchmark (issue 3): schedules, repayments against pgbench, the portfolio at 300,000 loans.

    .venv/bin/python benchmarks/loans.py                 # full run (300,000 loans)
    .venv/bin/python benchmarks/loans.py --quick         # smoke run, small sizes (< 2 minutes)
    .venv/bin/python benchmarks/loans.py --loans 100000 --duration 10

What it does, in one run, on a throw-away database `koperasi_bench` (and `pgbench_bench`):
1. schedules of 36 instalments per second from `domain.schedule.build_schedule` in this process,
   per method and rounding rule (the cases of benchmarks/schedule.py); target >= 20,000/s;
2. a loan book loaded with COPY (benchmarks/_loans_data.py): members, 5 products, N loans with
   applications, 12 instalment rows each, one DISBURSEMENT movement each and one opening journal
   entry, then VACUUM ANALYZE;
3. pgbench TPC-B (scale 10) with 1 and 8 clients; repayments through
   `koperasi.loans.services.repay` (channel teller, one instalment amount on a random active
   loan) from 1 and 8 worker processes; target at 8: >= 20 % of pgbench tps. CPU of the client
   processes and of their PostgreSQL backends per repayment, what the backends wait for, the
   statements of one repayment of each kind (CaptureQueriesContext), and a single-process
   profile (time inside execute() vs the rest; Python CPU by code area);
4. the books verified afterwards: `loan_violations` and `ledger_violations` must be empty and
   the number of repayment movements must equal the repayments made;
5. the portfolio's first page (50 rows), without and with each filter (product, officer,
   collectibility, min_days_past_due): the selector `loans.selectors.portfolio`, the staff page
   `lending:portfolio` (manager, django.test.Client) and `GET /api/v1/loans/loans?limit=50`
   (bearer token); target p95 < 100 ms.
Figures and ratios are printed and written to benchmarks/results/loans-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _loans_data as D  # noqa: E402
import _loans_portfolio as P  # noqa: E402
import _loans_repay as L  # noqa: E402
import _measure as M  # noqa: E402
import _report as R  # noqa: E402
import _setup as S  # noqa: E402
from _workers import log  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCHEDULE_TARGET = 20_000
REPAY_TARGET = 0.20
PORTFOLIO_P95_TARGET_MS = 100.0


# ---------------------------------------------------------------------------------------------
# 1. Schedules (the cases and measuring loop of benchmarks/schedule.py)


def run_schedules(seconds: float, periods: int = 36) -> list[dict[str, Any]]:
    import holidays
    import schedule as schedule_bench  # benchmarks/schedule.py

    from koperasi.domain.schedule import METHODS

    first = schedule_bench.START.year
    calendar = frozenset(holidays.Indonesia(years=range(first, first + periods // 12 + 2)))
    cases = [(method, "none", False) for method in METHODS]
    cases += [(method, "1000", False) for method in METHODS]
    cases += [("anuitas", "1000", True)]
    out = []
    for method, rounding, skip in cases:
        kwargs = {"is_holiday": calendar} if skip else {}
        figures = schedule_bench.measure(
            schedule_bench.loans(method, periods, rounding), seconds, **kwargs
        )
        out.append(
            {
                "method": method,
                "rounding": rounding,
                "skip_holidays": skip,
                "periods": periods,
                **{k: round(v, 1) for k, v in figures.items()},
            }
        )
        log(
            f"schedules {method}/{rounding}{'/holidays' if skip else ''}: "
            f"{figures['per_s_cpu']:,.0f}/s (CPU), {figures['per_s_wall']:,.0f}/s (wall)"
        )
    return out


# ---------------------------------------------------------------------------------------------
# 3. Repayments


def measure_repayments(args: argparse.Namespace, book: D.LoanBook, results: dict[str, Any]) -> None:
    coop, teller = book.cooperative, book.teller
    log(f"pgbench -i -s {args.scale}")
    results["pgbench_init_s"] = round(M.pgbench_init(args.scale), 1)
    results["pgbench"] = {}
    for c in args.client_counts:
        run = M.pgbench_run(c, args.duration)
        results["pgbench"][str(c)] = run
        log(f"pgbench c={c}: {run['tps']:.1f} tps")

    rng = random.Random(7)
    expected = 0
    results["repayments"] = {}
    for c in args.client_counts:
        wanted = int(args.duration * L.MAX_RATE) + 10 * c
        shares = L.shares(book.active, c, wanted, rng)
        run = L.run_repayments(coop.pk, teller.pk, shares, args.duration)
        L.take(book.active, run.pop("used_loans"))
        results["repayments"][str(c)] = run
        expected += run["completed"] + run["warmup_repayments"]
        r = R.ratio(run["per_second"], results["pgbench"][str(c)]["tps"])
        log(
            f"repayments c={c}: {run['per_second']:.1f}/s ({R.fmt_ratio(r)} of pgbench c={c}), "
            f"errors {run['errors']}, {run['statements_per_repayment']} statements each"
            + (" (workers ran out of loans and wrapped around)" if run["wrapped_around"] else "")
        )

    from django.db import connections

    connections.close_all()
    log("statements of one repayment of each kind")
    results["repayment_queries"] = L.query_counts(coop, teller, book.active, book.today)
    expected += len(results["repayment_queries"])
    log(f"profile of {args.profile} + {args.profile} repayments in this process")
    results["repayment_profile"] = L.profile(coop, teller, book.active, args.profile, seed=11)
    expected += 2 * results["repayment_profile"]["repayments"]

    log("verifying the books (loan_violations, ledger_violations)")
    books = L.verify_books(coop, expected)
    results["books"] = books
    log(
        "books after repayments: "
        + ("OK" if books["ok"] else f"PROBLEM {json.dumps(books)[:2000]}")
        + f" ({books['seconds']} s)"
    )


# ---------------------------------------------------------------------------------------------
# 5. Portfolio


def measure_portfolio(args: argparse.Namespace, book: D.LoanBook, results: dict[str, Any]) -> None:
    results["portfolio"] = {}
    log(f"portfolio selector, {args.queries} first pages per variant")
    results["portfolio"]["selector"] = P.selector(book, args.queries)
    log(f"selector p95 {results['portfolio']['selector']['overall']['p95_ms']} ms")
    results["portfolio"]["summary"] = P.summary(book, max(args.queries // 5, 10))
    log(f"summary by class p95 {results['portfolio']['summary']['p95_ms']} ms")
    log("portfolio staff page (lending:portfolio)")
    results["portfolio"]["page"] = P.page(book, args.queries)
    log(_availability(results["portfolio"]["page"]))
    log("portfolio API list (GET /api/v1/loans/loans?limit=50)")
    results["portfolio"]["api"] = P.api(book, args.queries)
    log(_availability(results["portfolio"]["api"]))


def _availability(run: dict[str, Any]) -> str:
    if not run.get("available"):
        return "not available: " + run.get("reason", "")
    return f"p95 {run['overall']['p95_ms']} ms, statuses {run['status_counts']}"


# ---------------------------------------------------------------------------------------------
# Summary


def summarize(results: dict[str, Any], max_clients: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for case in results.get("schedules", []):
        name = f"schedules {case['method']}, rounding {case['rounding']}"
        if case["skip_holidays"]:
            name += ", holidays"
        rows.append(
            {
                "figure": name,
                "value": case["per_s_cpu"],
                "unit": "/s",
                "target": f">= {SCHEDULE_TARGET:,}",
                "met": case["per_s_cpu"] >= SCHEDULE_TARGET,
            }
        )
    pg = results.get("pgbench", {})
    for key, run in pg.items():
        rows.append(
            {"figure": f"pgbench TPC-B, {key} client(s)", "value": run["tps"], "unit": "tps"}
        )
    for key, run in results.get("repayments", {}).items():
        r = R.ratio(run["per_second"], pg.get(key, {}).get("tps"))
        is_target = int(key) == max_clients
        rows.append(
            {
                "figure": f"repayments (loans.repay), {key} worker(s)",
                "value": run["per_second"],
                "unit": "/s",
                "ratio": r,
                "reference": f"pgbench c={key}",
                "target": f">= {REPAY_TARGET:.0%}" if is_target else "(info)",
                "met": (r is not None and r >= REPAY_TARGET) if is_target else None,
            }
        )
    books = results.get("books")
    if books:
        rows.append(
            {
                "figure": "books verify after repayments",
                "value": None,
                "unit": "",
                "target": "no violations",
                "met": books["ok"],
            }
        )
    summary = results.get("portfolio", {}).get("summary")
    if summary is not None:
        rows.append(
            {
                "figure": "portfolio summary by class (own request) p95",
                "value": summary["p95_ms"],
                "unit": "ms",
                "target": "(info)",
                "met": None,
            }
        )
    labels = {"selector": "portfolio selector", "page": "portfolio page", "api": "portfolio API"}
    for part, label in labels.items():
        run = results.get("portfolio", {}).get(part)
        if run is None:
            continue
        if part != "selector" and not run.get("available"):
            rows.append(
                {
                    "figure": f"{label} p95",
                    "value": None,
                    "unit": "",
                    "target": f"< {PORTFOLIO_P95_TARGET_MS:.0f} ms",
                    "note": "not available: " + run.get("reason", ""),
                }
            )
            continue
        for kind, k in run["kinds"].items():
            target = kind in P.KINDS
            rows.append(
                {
                    "figure": f"{label} p95, {kind}",
                    "value": k["p95_ms"],
                    "unit": "ms",
                    "target": f"< {PORTFOLIO_P95_TARGET_MS:.0f} ms" if target else "(info)",
                    "met": k["p95_ms"] < PORTFOLIO_P95_TARGET_MS if target else None,
                }
            )
    return rows


def print_report(results: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    m = results["machine"]
    pg = m["postgresql"]
    width = 112
    print()
    print("=" * width)
    print(
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB; PostgreSQL {pg['server_version']} "
        f"(shared_buffers {pg['shared_buffers']}, synchronous_commit {pg['synchronous_commit']}); "
        f"Python {m['python']}; load average at start {m['load_average_at_start']}"
    )
    book = results.get("loan_book", {})
    if book:
        print(
            f"Loan book: {book['loans']:,} loans ({book['active']:,} active) of "
            f"{book['borrowers']:,} borrowers among {book['members']:,} members, "
            f"{book['instalments']:,} instalment rows; loaded in {book['timings_s']['total_s']} s"
        )
        print(
            f"  active by class {book['active_by_class']}, by days past due "
            f"{book['active_by_days_past_due']}"
        )
    schedules = results.get("schedules")
    if schedules:
        print("-" * width)
        print(f"Schedules of {schedules[0]['periods']} instalments, one process:")
        print(f"  {'method':9} {'rounding':9} {'holidays':9} {'CPU /s':>10} {'wall /s':>10}")
        for c in schedules:
            print(
                f"  {c['method']:9} {c['rounding']:9} {'skipped' if c['skip_holidays'] else '-':9} "
                f"{c['per_s_cpu']:>10,.0f} {c['per_s_wall']:>10,.0f}"
            )
    print("-" * width)
    print(
        f"{'figure':50} {'value':>14} {'reference':>14} {'ratio':>8} {'target':>14} {'result':>8}"
    )
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:,.1f} {row['unit']}"
        shown_ratio = R.fmt_ratio(row.get("ratio")) if "reference" in row else ""
        shown_verdict = R.verdict(row.get("met")) if "met" in row else ""
        print(
            f"{row['figure']:50.50} {value:>14} {row.get('reference', ''):>14} "
            f"{shown_ratio:>8} {row.get('target', ''):>14} {shown_verdict:>8}"
        )
        if row.get("note"):
            print(f"    {row['note']}")
    print()
    for key, run in results.get("pgbench", {}).items():
        print(
            f"  pgbench c={key}: {run['transactions']:,} transactions, latency avg "
            f"{run['latency_avg_ms']} ms"
        )
        print("  " + R._cpu_line(f"pgbench c={key}", run["cpu_s"], run["transactions"]))
    for key, run in results.get("repayments", {}).items():
        lat = run["latency"]
        print(
            f"  repayments c={key}: {run['completed']:,} in {run['wall_s']} s, errors "
            f"{run['errors']}, latency p50 {lat['p50_ms']} ms p95 {lat['p95_ms']} ms p99 "
            f"{lat['p99_ms']} ms; {run['statements_per_repayment']} statements per repayment"
        )
        print("  " + R._cpu_line(f"repayments c={key}", run["cpu_s"], run["completed"]))
        print("  " + R._states_line(run["backend_states"]))
        for sample in run["error_samples"]:
            print(f"    error: {sample}")
    for label, q in results.get("repayment_queries", {}).items():
        print(f"  one repayment, {label}: {q['queries']} queries")
    prof = results.get("repayment_profile")
    if prof:
        print(
            f"  single process, {prof['repayments']} repayments: wall "
            f"{prof['wall_ms_per_repayment']} ms, Python CPU {prof['python_cpu_ms_per_repayment']}"
            f" ms, inside execute() {prof['in_execute_ms_per_repayment']} ms, "
            f"{prof['statements_per_repayment']} statements"
        )
        top = ", ".join(
            f"{k['kind']} x{k['per_repayment']:g} {k['ms_per_repayment']:.2f} ms"
            for k in prof["statement_kinds"][:8]
        )
        print(f"    slowest statement kinds (per repayment): {top}")
        areas = ", ".join(
            f"{a['area']} {a['share']:.0%}" for a in prof["cpu_profile"]["by_area"][:7]
        )
        print(f"    Python CPU by code area (cProfile shares): {areas}")
        steps = ", ".join(
            f"{k['function'].split(' ')[-1]} {k['share']:.0%}"
            for k in prof["cpu_profile"]["steps_inclusive"][:14]
        )
        print(f"    Python CPU by step, inclusive: {steps}")
    books = results.get("books")
    if books:
        state = "OK (no violations)" if books["ok"] else "VIOLATIONS"
        print(
            f"  books: {state}; loan_violations={books['loan_violations']} "
            f"ledger_violations={books['ledger_violations']}; repayment movements "
            f"{books['repayments']:,} (expected {books['expected_repayments']:,})"
        )
    portfolio = results.get("portfolio", {})
    for part, run in portfolio.items():
        if not run.get("kinds"):
            continue
        print("-" * width)
        print(f"Portfolio {part}: first page of {P.PAGE}")
        print(
            f"{'variant':24} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9} "
            f"{'rows':>6}  slowest (value)"
        )
        for kind, k in run["kinds"].items():
            print(
                f"{kind:24.24} {k['n']:>5} {k['p50_ms']:>9.2f} {k['p95_ms']:>9.2f} "
                f"{k['p99_ms']:>9.2f} {k['max_ms']:>9.2f} {k['mean_rows']:>6}  "
                f"{k['slowest']['ms']:.1f} ms ({k['slowest']['value']})"
            )
        o = run["overall"]
        print(
            f"{'overall':24} {o['n']:>5} {o['p50_ms']:>9.2f} {o['p95_ms']:>9.2f} "
            f"{o['p99_ms']:>9.2f} {o['max_ms']:>9.2f}"
        )
        for kind, info in run.get("explain", {}).items():
            print(
                f"  EXPLAIN {kind} ({info['value']}): {info['execution_ms']} ms, indexes "
                f"{', '.join(info['indexes']) or 'none'}"
                + (f", seq scans {', '.join(info['seq_scans'])}" if info["seq_scans"] else "")
            )
    print("=" * width)


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
    """Last change of the measured code (the services change while other work goes on)."""
    src = Path(__file__).resolve().parent.parent / "src" / "koperasi"
    files = [
        *sorted((src / "loans" / "services").glob("*.py")),
        src / "loans" / "selectors.py",
        src / "loans" / "views.py",
        src / "loans" / "api.py",
        src / "ledger" / "services.py",
    ]
    return {
        str(f.relative_to(src.parent.parent)): dt.datetime.fromtimestamp(
            f.stat().st_mtime, dt.UTC
        ).isoformat(timespec="seconds")
        for f in files
        if f.exists()
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--loans", type=int, default=300_000, help="loans in the book")
    p.add_argument("--members", type=int, default=None, help="members (default: twice the loans)")
    p.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    p.add_argument("--clients", default="1,8", help="comma separated worker counts")
    p.add_argument("--scale", type=int, default=10, help="pgbench scale factor")
    p.add_argument("--queries", type=int, default=100, help="timed first pages per variant")
    p.add_argument("--schedule-seconds", type=float, default=2.0, help="per schedule case")
    p.add_argument("--profile", type=int, default=200, help="repayments in each profile pass")
    p.add_argument("--skip-schedules", action="store_true")
    p.add_argument("--skip-repayments", action="store_true")
    p.add_argument("--skip-portfolio", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    p.add_argument(
        "--quick", action="store_true", help="smoke run: 5,000 loans, 3 s runs, 10 queries"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.loans, args.duration = 5_000, 3
        args.queries = min(args.queries, 10)
        args.schedule_seconds = min(args.schedule_seconds, 0.2)
        args.profile = min(args.profile, 20)
    args.members = args.members or 2 * args.loans
    args.client_counts = sorted({int(c) for c in args.clients.split(",")})
    return args


def measure(args: argparse.Namespace, results: dict[str, Any]) -> None:
    if not args.skip_schedules:
        results["schedules"] = run_schedules(args.schedule_seconds)
    log(f"creating database {S.BENCH_DB} and migrating")
    S.recreate_database(S.BENCH_DB)
    S.setup_django()
    S.migrate()
    results["machine"] = machine_info()
    log(f"loading {args.loans:,} loans for {args.members:,} members")
    book, _factory = D.load(args.loans, args.members)
    results["loan_book"] = book.stats
    log(
        f"loan book loaded in {book.stats['timings_s']['total_s']} s "
        f"(COPY per table: {book.stats['copy_s']})"
    )
    if not args.skip_repayments:
        measure_repayments(args, book, results)
    if not args.skip_portfolio:
        measure_portfolio(args, book, results)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    home = S.prepare_environment()
    # django.test.Client calls itself "testserver".
    os.environ["ALLOWED_HOSTS"] += ",testserver"
    results: dict[str, Any] = {
        "benchmark": "loans",
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "args": {k: v for k, v in vars(args).items() if k != "client_counts"},
        "code_modified": code_versions(),
    }
    try:
        t0 = time.monotonic()
        measure(args, results)
        results["total_s"] = round(time.monotonic() - t0, 1)
        rows = summarize(results, max(args.client_counts))
        results["summary"] = rows
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        print_report(results, rows)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"loans-{started.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"results written to {out}")
        return 0 if results.get("books", {"ok": True})["ok"] else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            S.drop_database(S.BENCH_DB)
            S.drop_database(S.PGBENCH_DB)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
