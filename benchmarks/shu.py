"""SHU benchmark (issue 14): the SHU of a year computed and distributed for 1,000,000 members.

    .venv/bin/python benchmarks/shu.py --members 20000        # smoke run (about 1 minute)
    .venv/bin/python benchmarks/shu.py                        # full run: 1,000,000 members
    .venv/bin/python benchmarks/shu.py --keep                 # keeps the loaded database
    .venv/bin/python benchmarks/shu.py --skip-load            # again on the kept database
    .venv/bin/python benchmarks/shu.py --members 20000 --profile   # + a cProfiled distribution
    .venv/bin/python benchmarks/shu.py --skip-load --no-pay-into-savings   # shares left payable

Targets (issue 14): SHU computation and distribution for 1,000,000 members on PostgreSQL
<= 60 s, and <= 3 x a hand-written SQL lower bound for the per-member computation measured in
the same run.

What it does, on a throw-away database `bench_shu` (dropped afterwards unless --keep):
1. The cooperative of year Y (last year) by COPY (`_shu_data.py`, its loans `_shu_loans.py`):
   members with pokok, wajib and sukarela savings, about 30 % of them with a loan, the books
   posted in aggregate, every month of Y closed. Load time per part. With --keep a copy of the
   database as loaded is kept as `bench_shu_loaded`, which --skip-load starts from.
2. `shu.services.close_year` (timed), then `koperasi check` (unless --skip-check-before).
3. In turn, twice: `shu.figures.simulate` (wall, CPU of this process and of its PostgreSQL
   backend, SQL time per statement; `_shu_run.py`), then the lower bound (`_shu_lower.py`): ONE
   hand-written statement that sums the same sources per member and writes each member's jasa
   modal and jasa usaha (floor to the rupiah of figure x pool / total) into a temporary table,
   in a transaction rolled back afterwards, in a few variants (FULL JOINs of three aggregates or
   one UNION ALL aggregate, each with the server's JIT setting and with JIT off; work_mem 256 MB
   for information). The first bound's shares are compared with the simulation's, member by
   member. Ratio = best simulate / fastest counting variant. Then simulate once more with JIT
   off (information).
4. `shu.services.distribute` (with `pay_into_savings=True`, or False with
   --no-pay-into-savings, when the code under test has that keyword): wall time including the
   COMMIT (timed apart: it runs the deferred foreign-key checks), CPU, SQL time per statement
   kind. --profile first runs it once under cProfile in a transaction rolled back (then
   VACUUMs), so the measured run is not slowed by the profiler.
5. Checks (`_shu_report.py`): Σ shares + remainder = pool for both members' pools, one share row
   per member with a non-zero share, Σ shares = the distribution's members' total, the SHU
   payable (2305) = the unpaid shares, what was paid into savings, and `koperasi check` after
   the distribution.
Results: benchmarks/results/shu-<timestamp>.json and a short table on stdout.
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
import _measure as M  # noqa: E402
import _setup as S  # noqa: E402
import _shu_lower as B  # noqa: E402
import _shu_report as R  # noqa: E402
import _shu_run as U  # noqa: E402
from _workers import log  # noqa: E402

SHU_DB = "bench_shu"
SNAPSHOT_DB = f"{SHU_DB}_loaded"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# ---------------------------------------------------------------------------------------------
# The throw-away databases (only ever these two)


def _admin(sql: str) -> list[Any]:
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def database_exists(name: str) -> bool:
    assert name in (SHU_DB, SNAPSHOT_DB), name
    return bool(_admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def recreate_database() -> None:
    _admin(f'DROP DATABASE IF EXISTS "{SHU_DB}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{SHU_DB}"')


def drop_database(name: str) -> None:
    assert name in (SHU_DB, SNAPSHOT_DB), name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(source: str, target: str) -> None:
    """`target` as a file copy of `source` (CREATE DATABASE … TEMPLATE)."""
    from django.db import connections

    assert target in (SHU_DB, SNAPSHOT_DB), target
    connections.close_all()
    _admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


# ---------------------------------------------------------------------------------------------
# The run


def prepare(args: argparse.Namespace, results: dict[str, Any], save: Any) -> tuple[Any, Any]:
    """The loaded cooperative (loaded now, or the kept copy) and its manager."""
    import _loans_data as LD
    import _shu_data as D
    from django.contrib.auth import get_user_model
    from django.db import connections

    from koperasi.tenancy.models import Cooperative

    if args.skip_load:
        if database_exists(SNAPSHOT_DB):
            log(f"restoring {SHU_DB} from {SNAPSHOT_DB} and migrating")
            copy_database(SNAPSHOT_DB, SHU_DB)
            results["data"] = {"from": SNAPSHOT_DB}
        elif database_exists(SHU_DB):
            log(f"reusing {SHU_DB} as it is")
            results["data"] = {"from": SHU_DB}
        else:
            raise SystemExit(f"--skip-load: neither {SNAPSHOT_DB} nor {SHU_DB} exists")
        S.migrate()
        coop = Cooperative.objects.get(code=D.COOP_CODE)
        manager = get_user_model().objects.get(username=LD.MANAGER[0])
        return coop, manager
    log(f"creating database {SHU_DB} and migrating")
    connections.close_all()
    recreate_database()
    S.migrate()
    log(f"loading {args.members:,} members")
    book = D.load(args.members, args.loan_share)
    results["data"] = book.stats
    save()
    log(f"loaded in {book.stats['timings_s']['total_s']} s: {book.stats['timings_s']}")
    log(f"COPY per table: {book.stats['copy_s']}")
    if args.keep:
        t0 = time.monotonic()
        copy_database(SHU_DB, SNAPSHOT_DB)
        log(f"kept a copy as loaded: {SNAPSHOT_DB} ({time.monotonic() - t0:.0f} s)")
    return Cooperative.objects.get(pk=book.cooperative.pk), book.manager


def measure(args: argparse.Namespace, results: dict[str, Any], save: Any) -> None:
    from koperasi.ledger import services as ledger
    from koperasi.members.models import Member
    from koperasi.shu import services
    from koperasi.shu.models import ShuDistribution, ShuYear

    coop, manager = prepare(args, results, save)
    results["members"] = Member.objects.filter(cooperative=coop).count()
    year = ledger.local_today(coop).year - 1
    shu_year = ShuYear.objects.filter(cooperative=coop, year=year).first()
    if shu_year is None:
        M.checkpoint()
        log(f"close_year({year})")
        t0 = time.perf_counter()
        shu_year = services.close_year(cooperative=coop, actor=manager, year=year)
        results["close_year_s"] = round(time.perf_counter() - t0, 3)
        log(f"close_year: {results['close_year_s']} s")
    if ShuDistribution.objects.filter(shu_year=shu_year).exists():
        raise SystemExit(f"the SHU of {year} is distributed already in {SHU_DB}")
    results["shu_year"] = {
        "year": year,
        "surplus": str(shu_year.surplus),
        "member_part": str(shu_year.member_part),
        "non_member_part": str(shu_year.non_member_part),
        "member_income": str(shu_year.member_income),
        "non_member_income": str(shu_year.non_member_income),
    }
    log(f"SHU {year}: {results['shu_year']}")
    save()
    if not args.skip_check_before:
        log("koperasi check before the distribution")
        results["check_before"] = R.verify_books(coop)
        log(f"check before: {results['check_before']}")
        save()

    # The computation and its lower bound, in turn, twice (the first bound's shares are
    # compared with the simulation's after its timing); then simulate once more with JIT off
    # for this session (for information, not in the ratio).
    M.checkpoint()
    sims: list[dict[str, Any]] = []
    bounds: list[dict[str, Any]] = []
    for _round in range(2):
        sim, figures = U.run_simulate(coop, year)
        sims.append(figures)
        log(f"simulate: {figures}")
        for variant in B.LOWER_BOUND_VARIANTS:
            bounds.append(B.lower_bound(coop, year, sim, variant, compare=not bounds))
            log(f"lower bound: {bounds[-1]}")
    results["simulate"] = sims
    results["lower_bound"] = {
        "statements": {
            "full_join": B.LOWER_BOUND_SQL.strip(),
            "union_all": B.LOWER_BOUND_UNION_SQL.strip(),
        },
        "runs": bounds,
    }
    S.run_sql("SET jit = off")
    _sim, results["simulate_jit_off"] = U.run_simulate(coop, year)
    S.run_sql("RESET jit")
    log(f"simulate with JIT off (info): {results['simulate_jit_off']}")
    best_sim = min(s["wall_s"] for s in sims)
    best = min((b for b in bounds if b["counts_for_bound"]), key=lambda b: b["wall_s"])
    results["lower_bound"]["best"] = {"variant": best["variant"], "wall_s": best["wall_s"]}
    results["ratio"] = round(best_sim / best["wall_s"], 2) if best["wall_s"] else None
    save()

    if args.profile:
        log("distribute under cProfile (rolled back)")
        results["profile"] = U.profile_distribute(coop, manager, year, not args.no_pay_into_savings)
        print(results["profile"]["profile"][:6000])
        save()
    M.checkpoint()
    distribution, results["distribute"] = U.run_distribute(
        coop, manager, year, not args.no_pay_into_savings
    )
    log(f"distribute: {results['distribute']}")
    save()
    results["checks"] = R.check_distribution(coop, distribution, sim)
    log(f"checks: {results['checks']}")
    if args.no_pay_into_savings and args.pay_later:
        # The other way to pay: the distribution left the shares payable; the board pays them
        # into savings afterwards, in a transaction of its own (its COMMIT included).
        M.checkpoint()
        t0 = time.perf_counter()
        paid = services.pay_into_savings(
            cooperative=coop, actor=manager, year=year, idempotency_key="bench-pay-later"
        )
        results["pay_later"] = {"wall_s": round(time.perf_counter() - t0, 2), "shares": paid}
        log(f"pay_into_savings afterwards: {results['pay_later']}")
        save()
    log("koperasi check after the distribution")
    results["check_after"] = R.verify_books(coop)
    log(f"check after: {results['check_after']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--loan-share", type=float, default=0.30, help="members with a loan")
    p.add_argument(
        "--keep",
        action="store_true",
        help=f"keep {SHU_DB} afterwards, and a copy as loaded ({SNAPSHOT_DB}) for --skip-load",
    )
    p.add_argument(
        "--skip-load",
        action="store_true",
        help=f"start from the kept copy {SNAPSHOT_DB} (else {SHU_DB} as it is)",
    )
    p.add_argument("--skip-check-before", action="store_true")
    p.add_argument(
        "--no-pay-into-savings",
        action="store_true",
        help="distribute with pay_into_savings=False (shares stay payable); default True",
    )
    p.add_argument(
        "--pay-later",
        action="store_true",
        help="with --no-pay-into-savings: then time shu.services.pay_into_savings on its own",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="first run the distribution once under cProfile, rolled back",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    home = S.prepare_environment(SHU_DB)
    results: dict[str, Any] = {
        "benchmark": "shu",
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "args": vars(args),
        "code": R.code_under_test(),
        "targets": {"distribute_s": R.TARGET_SECONDS, "ratio_to_lower_bound": R.TARGET_RATIO},
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"shu-{started.strftime('%Y%m%d-%H%M%S')}.json"

    def save() -> None:
        out.write_text(json.dumps(results, indent=2, default=str))

    ok = False
    try:
        S.setup_django()
        results["machine"] = R.machine_info()
        log(f"load average at start: {results['machine']['load_average_at_start']}")
        measure(args, results, save)
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        save()
        R.print_report(results)
        log(f"results written to {out}")
        ok = results["checks"]["ok"] and results["check_after"]["ok"]
    finally:
        save()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(SHU_DB)
        shutil.rmtree(home, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
