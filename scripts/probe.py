#!/usr/bin/env python3
"""Probe a throw-away Koperasi Digital for server errors, cross-tenant leaks, double posts and
overdrafts (issue 12's "done when"). Bounded, and loopback only.

What it does, in order:

  1. Creates its own database (PostgreSQL: `koperasi_probe` on 127.0.0.1:5432, created and
     dropped; --sqlite: the embedded database in a temporary KOPERASI_HOME) and builds two
     cooperatives through the services: "alfa" (A) and "bravo" (B), each with staff of every
     role, members with savings, loans in every stage, a repayment, a restructuring and a
     write-off waiting for decision, a document and a pending day-end run.
  2. Serves the app with `koperasi serve` (gunicorn) on a free 127.0.0.1 port.
  3. tenant (cross-tenant): A's tokens (every role and a member's) and A's staff and portal
     sessions try every API operation and every staff page (/k/alfa/... with B's ids,
     /k/bravo/...) and the portal with B's ids. A leak is an answer showing B's data, a 2xx
     for B's record, or any change to B's rows.
  4. fuzz: every operation of /api/v1/openapi.json with a fixed battery of malformed requests,
     then Hypothesis-generated valid and invalid requests with the tokens of several roles.
     Any 5xx, unanswered request, or non-JSON answer under /api/ is a server error.
  5. race (concurrency): many threads deposit, withdraw, transfer and repay on the same accounts
     with retries of one Idempotency-Key and overdraw attempts, and confirm one payroll file
     at once. Then double posts (movements vs keys), overdrafts (a balance below zero or not
     Σ of its movements) and `koperasi check`.

Prints every distinct problem (with a request that reproduces it), then
  server_errors=N leaks=N double_posts=N overdrafts=N check=OK|FAILED
and exits 1 if any count is non-zero or the check failed (2 if the probe itself failed).

Examples:
  .venv/bin/python scripts/probe.py                       # PostgreSQL, about 5 minutes
  .venv/bin/python scripts/probe.py --sqlite --budget-seconds 120
  .venv/bin/python scripts/probe.py --phases fuzz --max-examples 500 --report probe.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _probe import world  # noqa: E402
from _probe.findings import Findings  # noqa: E402

PHASES = ("tenant", "fuzz", "race")
CHECK_RESERVE = 15.0  # seconds kept for the final checks
# Each check runs at least this long even when a slow set-up ate the budget: a run that
# checked nothing must not look clean.
MIN_PHASE_SECONDS = 10.0


def _deadline(seconds: float) -> float:
    return time.monotonic() + max(seconds, MIN_PHASE_SECONDS)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="embedded SQLite, not PostgreSQL")
    parser.add_argument(
        "--pg-server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server (loopback only; trust auth) (default: %(default)s)",
    )
    parser.add_argument(
        "--db-name",
        default=world.PROBE_DB,
        help="the probe's own database, dropped and created (must start with %(default)s)",
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=300,
        help="the whole run, set-up included; each check still gets at least "
        f"{MIN_PHASE_SECONDS:.0f} s (default: %(default)s)",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=100,
        help="generated requests per API operation at most (default: %(default)s)",
    )
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients (default: 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument("--seed", type=int, default=20261205, help="random seed")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="which checks to run, comma separated (default: %(default)s)",
    )
    parser.add_argument("--report", type=Path, help="also write the findings as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    end = started + args.budget_seconds
    findings = Findings()
    env = world.prepare(
        sqlite=args.sqlite, pg_server=args.pg_server, db_name=args.db_name, keep=args.keep
    )
    print(f"probe: {'SQLite' if args.sqlite else env.database}, budget {args.budget_seconds:.0f} s")
    crashed = False
    try:
        run_phases(args, env, findings, started, end)
    except Exception:  # noqa: BLE001 - report what was found before the probe itself failed
        traceback.print_exc()
        crashed = True
    finally:
        env.cleanup()
    findings.report()
    if args.report:
        args.report.write_text(json.dumps(findings.as_json(), indent=2, default=str))
    print(findings.summary_line())
    if crashed:
        print("probe: the probe itself failed (traceback above); the counts are incomplete")
        return 2
    return 1 if findings.failed() else 0


def run_phases(
    args: argparse.Namespace,
    env: world.Environment,
    findings: Findings,
    started: float,
    end: float,
) -> None:
    world.setup_django()
    from _probe import books, fuzz, race, tenant
    from _probe.context import Context
    from _probe.server import HttpClient, Server

    the_world = world.build(env)
    print(f"  two cooperatives built ({time.monotonic() - started:.0f} s)")
    server = Server(env.home, args.workers)
    server.start()
    try:
        client = HttpClient(server.port)
        spec = json.loads(client.request("GET", "/api/v1/openapi.json").body)
        ctx = Context(client, server, the_world, findings, the_world.markers_of_b())
        print(f"  serving on 127.0.0.1:{server.port} ({time.monotonic() - started:.0f} s)")
        watch = None
        if "tenant" in args.phases:
            watch = tenant.run(ctx, spec, _deadline(0.4 * (end - time.monotonic() - CHECK_RESERVE)))
            print(f"  cross-tenant done ({time.monotonic() - started:.0f} s)")
        if "fuzz" in args.phases:
            watch = watch or tenant.Watch(ctx)
            left = end - time.monotonic() - CHECK_RESERVE
            share = 0.65 * left if "race" in args.phases else left
            fuzz.run(ctx, spec, _deadline(share), args.max_examples, args.seed)
            watch.after(fuzz.PHASE, None, None)  # B's rows are still as they were
            print(f"  fuzz done ({time.monotonic() - started:.0f} s)")
        if "race" in args.phases:
            left = end - time.monotonic() - CHECK_RESERVE
            race.run(ctx, _deadline(left), args.threads, args.seed)
            print(f"  concurrency done ({time.monotonic() - started:.0f} s)")
    finally:
        server.stop()
    findings.overdrafts += books.overdrafts()
    findings.check_ok, findings.check_output = books.run_check()
    print(f"  koperasi check: {findings.check_output}")


if __name__ == "__main__":
    sys.exit(main())
