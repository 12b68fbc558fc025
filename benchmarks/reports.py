"""Reports benchmark (issue 13): the trial balance and the statement of financial position with
10,000,000 postings in the books, against a plain SUM over the postings in the same run.

    .venv/bin/python benchmarks/reports.py --quick        # smoke run: 200,000 postings
    .venv/bin/python benchmarks/reports.py                # full: 10,000,000 postings
    .venv/bin/python benchmarks/reports.py --keep         # keep the database afterwards

What it does, on a throw-away database `koperasi_reports_bench` (dropped unless --keep):
1. a cooperative with the KSP chart through the services, then by COPY: journal entries of two
   lines each, spread evenly over the 730 days up to today, between random postable accounts,
   and the maintained balances (slots) they add up to;
2. every month up to the one before last closed through `ledger.services.close_month` (which
   keeps the closed months' totals), so today's books have about five weeks open, as on a
   typical 6th of the month before the month-end has run;
3. timed, each several times (median and slowest): the trial balance and the statement of
   financial position as of today and as of every past month end, the position as of a day in
   the open month, the PDF of the position with its comparison column, the statement of
   activities for the year; and in the same run the naive way: one `SUM() ... GROUP BY` over
   every posting up to the date;
4. `koperasi check`'s ledger invariants on the loaded books (0 violations expected), and the
   plans the sums used (`ledger.period_sums.last_plans`).
Targets: trial balance and position as of today < 500 ms, as of any past month end < 1 s,
PDF of the position < 3 s. Results: benchmarks/results/reports-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _setup as S  # noqa: E402
from _copy import bulk_load, copy_text  # noqa: E402
from _workers import log  # noqa: E402

REPORTS_DB = os.environ.get("KOPERASI_REPORTS_BENCH_DB", "koperasi_reports_bench")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DAYS = 730


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{REPORTS_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{REPORTS_DB}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(S.server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{REPORTS_DB}" WITH (FORCE)')


def load_books(coop, postings: int, today: dt.date) -> dict[str, float]:
    """COPY postings/2 balanced entries over the DAYS days up to today, then the slots."""
    from django.db import connection

    from koperasi.ledger.models import Account, JournalEntry, Posting

    accounts = list(
        Account.objects.filter(cooperative=coop, is_header=False).values_list("pk", flat=True)
    )
    entries = postings // 2
    first_day = today - dt.timedelta(days=DAYS - 1)
    rng = random.Random(13)
    created = "2026-12-01 00:00:00+00"
    timings: dict[str, float] = {}

    def entry_lines():
        for n in range(1, entries + 1):
            day = first_day + dt.timedelta(days=(n - 1) * DAYS // entries)
            fields = (n, coop.pk, day, "bench", "", "benchmark entry", f"bench-{n}")
            yield "\t".join(map(str, fields)) + f"\t\\N\t\\N\t{created}\n"

    def posting_lines():
        for n in range(1, entries + 1):
            day = first_day + dt.timedelta(days=(n - 1) * DAYS // entries)
            debit, credit = rng.sample(accounts, 2)
            amount = f"{rng.randint(100, 50_000_000)}.{rng.randint(0, 99):02d}"
            yield f"{2 * n - 1}\t{n}\t{coop.pk}\t{debit}\t{day}\t{amount}\t0\n"
            yield f"{2 * n}\t{n}\t{coop.pk}\t{credit}\t{day}\t0\t{amount}\n"

    t0 = time.monotonic()
    with bulk_load("ledger_journalentry", "ledger_posting"):
        copy_text(
            JournalEntry,
            [
                "id",
                "cooperative_id",
                "business_date",
                "source",
                "source_ref",
                "memo",
                "idempotency_key",
                "actor_id",
                "reversal_of_id",
                "created_at",
            ],
            entry_lines(),
        )
        copy_text(
            Posting,
            ["id", "entry_id", "cooperative_id", "account_id", "business_date", "debit", "credit"],
            posting_lines(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_balanceslot (cooperative_id, account_id, slot, amount) "
                "SELECT %s, account_id, 0, SUM(debit - credit) FROM ledger_posting "
                "WHERE cooperative_id = %s GROUP BY account_id",
                [coop.pk, coop.pk],
            )
            for table in ("ledger_journalentry", "ledger_posting"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    timings["load_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_posting")
        cursor.execute("VACUUM ANALYZE ledger_journalentry")
    timings["vacuum_analyze_s"] = time.monotonic() - t0
    return timings


def close_months(coop, today: dt.date) -> tuple[float, int]:
    """Close every month before last month, in order, as an accountant would."""
    from koperasi.domain.periods import add_months
    from koperasi.ledger import services as ledger

    first = (today - dt.timedelta(days=DAYS - 1)).replace(day=1)
    stop = add_months(today.replace(day=1), -1)
    month, count = first, 0
    t0 = time.monotonic()
    while month < stop:
        ledger.close_month(cooperative=coop, actor=None, year=month.year, month=month.month)
        month = add_months(month, 1)
        count += 1
    return time.monotonic() - t0, count


def timed(fn, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(times), "max_ms": max(times), "runs": repeat}


def naive_sum(coop, day: dt.date):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, SUM(debit), SUM(credit) FROM ledger_posting "
            "WHERE cooperative_id = %s AND business_date <= %s GROUP BY account_id",
            [coop.pk, day],
        )
        return cursor.fetchall()


def measure(coop, today: dt.date, repeat: int) -> dict[str, object]:
    from django.template.loader import render_to_string

    from koperasi.common.pdf import html_to_pdf
    from koperasi.domain.periods import add_months
    from koperasi.ledger import period_sums
    from koperasi.ledger import selectors as ledger
    from koperasi.reports import flows
    from koperasi.reports.statements import position

    results: dict[str, object] = {}
    year_end = today.replace(month=1, day=1) - dt.timedelta(days=1)

    def trial_balance(day):
        return lambda: ledger.trial_balance(cooperative=coop, as_of=day)

    def position_of(day, compare=None):
        return lambda: position(cooperative=coop, as_of=day, compare_to=compare)

    results["trial_balance_today"] = timed(trial_balance(today), repeat)
    results["trial_balance_today_plans"] = list(period_sums.last_plans)
    results["position_today"] = timed(position_of(today), repeat)
    results["position_today_with_year_end"] = timed(position_of(today, year_end), repeat)
    results["naive_sum_today"] = timed(lambda: naive_sum(coop, today), max(1, repeat // 2))
    month_ends = []
    month = (today - dt.timedelta(days=DAYS - 1)).replace(day=1)
    while add_months(month, 1) <= today:
        month_ends.append(add_months(month, 1) - dt.timedelta(days=1))
        month = add_months(month, 1)
    past = {"trial_balance": [], "position": [], "plans": set()}
    for day in month_ends:
        past["trial_balance"].append(timed(trial_balance(day), 3)["median_ms"])
        past["plans"].update(period_sums.last_plans)
        past["position"].append(timed(position_of(day), 3)["median_ms"])
    results["past_month_ends"] = {
        "count": len(month_ends),
        "trial_balance_median_ms": statistics.median(past["trial_balance"]),
        "trial_balance_max_ms": max(past["trial_balance"]),
        "position_median_ms": statistics.median(past["position"]),
        "position_max_ms": max(past["position"]),
        "plans": sorted(past["plans"]),
    }
    oldest, middle = month_ends[0], month_ends[len(month_ends) // 2]
    results["naive_sum_oldest_month_end"] = timed(lambda: naive_sum(coop, oldest), 3)
    results["naive_sum_middle_month_end"] = timed(lambda: naive_sum(coop, middle), 3)
    mid_open = today.replace(day=1) - dt.timedelta(days=15)
    results["position_mid_open_month"] = timed(position_of(mid_open), repeat)
    results["activity_year_to_date"] = timed(
        lambda: flows.activity(cooperative=coop, period=(today.replace(month=1, day=1), today)),
        repeat,
    )

    def pdf():
        statement = position(cooperative=coop, as_of=today, compare_to=year_end)
        html = render_to_string(
            "reports/statement_pdf.html",
            {"coop": coop, "statements": [statement], "title": statement.title, "signatures": True},
        )
        return html_to_pdf(html)

    results["position_pdf"] = timed(pdf, max(1, repeat // 2))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 postings")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    postings = 200_000 if args.quick else args.postings

    S.prepare_environment(REPORTS_DB)
    log(f"creating database {REPORTS_DB} and migrating")
    recreate_database()
    S.setup_django()
    S.migrate()
    from koperasi.ledger import selectors as ledger
    from koperasi.ledger import services as ledger_services

    coop = S.create_cooperative("laporan")
    today = ledger_services.business_today(coop)
    log(f"loading {postings:,} postings over {DAYS} days up to {today}")
    out: dict[str, object] = {"postings": postings, "today": today.isoformat()}
    out["load"] = load_books(coop, postings, today)
    log(f"loaded in {out['load']}")
    seconds, months = close_months(coop, today)
    out["close_months"] = {"months": months, "seconds": seconds}
    log(f"closed {months} months in {seconds:.1f} s")
    coop.refresh_from_db()
    out["results"] = measure(coop, today, args.repeat)
    violations = ledger.ledger_violations(cooperative=coop)
    out["ledger_violations"] = len(violations)
    print_report(out)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"reports-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    log(f"results in {path}")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database()
    return 0 if not violations else 1


def print_report(out: dict) -> None:
    r = out["results"]
    past = r["past_month_ends"]

    def ms(key):
        return r[key]["median_ms"]

    print()
    print(f"Reports with {out['postings']:,} postings (today {out['today']})")
    print(f"  load {out['load']}, closed {out['close_months']}")
    print(f"  trial balance as of today       {ms('trial_balance_today'):9.1f} ms  (target < 500)")
    print(f"  position as of today            {ms('position_today'):9.1f} ms  (target < 500)")
    print(f"  position today + year end       {ms('position_today_with_year_end'):9.1f} ms")
    print(
        f"  past month ends ({past['count']}): trial balance median "
        f"{past['trial_balance_median_ms']:.1f} ms, slowest {past['trial_balance_max_ms']:.1f} ms; "
        f"position median {past['position_median_ms']:.1f} ms, slowest "
        f"{past['position_max_ms']:.1f} ms  (target < 1000)  plans {past['plans']}"
    )
    print(f"  position mid open month         {ms('position_mid_open_month'):9.1f} ms")
    print(f"  activities year to date         {ms('activity_year_to_date'):9.1f} ms")
    print(f"  PDF of the position             {ms('position_pdf'):9.1f} ms  (target < 3000)")
    naive_today = ms("naive_sum_today")
    print(
        f"  naive SUM as of today           {naive_today:9.1f} ms  "
        f"= {naive_today / ms('trial_balance_today'):.0f}x the trial balance"
    )
    for key in ("naive_sum_middle_month_end", "naive_sum_oldest_month_end"):
        print(f"  {key:31s} {ms(key):9.1f} ms")
    print(f"  ledger violations: {out['ledger_violations']}")


if __name__ == "__main__":
    sys.exit(main())
