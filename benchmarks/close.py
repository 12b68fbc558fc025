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
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _close_data as CD  # noqa: E402
import _measure as M  # noqa: E402
import _setup as S  # noqa: E402
from _close_checks import lower_bound, verify_books, written_by_closes  # noqa: E402
from _close_child import code_versions, run_close  # noqa: E402
from _close_report import print_report, print_scenario, rss_flatness, summarize  # noqa: E402
from _workers import log  # noqa: E402

CLOSE_DB = os.environ.get("KOPERASI_CLOSE_BENCH_DB", "koperasi_close_bench")
RESULTS_DIR = Path(__file__).resolve().parent / "results"

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
