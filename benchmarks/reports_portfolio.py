"""Portfolio reports benchmark (issue 13 point 2): the quality report, the arrears list and the
officer report over a loan book of 300,000 loans (target: the quality report < 2 s).

    .venv/bin/python benchmarks/reports_portfolio.py               # 300,000 loans
    .venv/bin/python benchmarks/reports_portfolio.py --quick       # smoke run, 5,000 loans
    .venv/bin/python benchmarks/reports_portfolio.py --loans 500000 --repeat 10

On a throw-away database `bench_portfolio`:
1. the loan book of benchmarks/loans.py (`_loans_data.load`: members, 5 products, 8 officers,
   N loans with 12 instalment rows each, about 8 % closed, the rest in every class), plus a
   collection note on every tenth loan in arrears, eligible collateral on the PP product's loans
   and 24 months of day-end quality snapshots (for the trend);
2. each timed `--repeat` times after a warm-up: the selectors (`reports.portfolio.quality_report`,
   `quality_trend`, the arrears page's rows, `officer_performance`, `flows`, `maturity_gaps`),
   and the pages through `django.test.Client` as a manager (screen, XLSX, PDF of the quality
   report; the arrears list unfiltered and by officer, class, days; the officer report; the API);
3. the same quality figures the naive way, once: every active loan read as a model object and
   summed in Python, one `allowance` per class at the end (what a per-loan report would do), and
   the arrears page's amounts due one loan at a time (`loans.selectors.arrears`, N+1);
4. EXPLAIN ANALYZE of the quality report's aggregate.
Figures are printed and written to benchmarks/results/reports-portfolio-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _loans_data as D  # noqa: E402
import _measure as M  # noqa: E402
import _setup as S  # noqa: E402
from _workers import log  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUALITY_TARGET_MS = 2000.0


def timed(call: Callable[[], Any], repeat: int) -> dict[str, Any]:
    call()  # warm-up
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t0) * 1000)
    return M.latency_summary(ms)


# ---------------------------------------------------------------- extra data


def add_extras(book: D.LoanBook) -> dict[str, Any]:
    """Collateral on PP loans, a collection note on every tenth loan in arrears, 24 months of
    day-end snapshots (written directly: the day-end would take hours to replay)."""
    from koperasi.domain.periods import add_months
    from koperasi.loans.models import CollectionNote, Loan, QualitySnapshot
    from koperasi.reports.portfolio import month_ends
    from koperasi.tenancy.models import Cooperative

    coop = book.cooperative
    t0 = time.monotonic()
    # The loans were disbursed long before the cooperative was set up here.
    Cooperative.objects.filter(pk=coop.pk).update(legal_entity_date=dt.date(2010, 1, 1))
    coop.refresh_from_db()
    pp = book.product_ids["PP"]
    # 120 % of the principal, as the load pledged for this product.
    S.run_sql(
        "UPDATE loans_loan SET collateral_value = round(principal * 1.2, 2) "
        f"WHERE cooperative_id = {int(coop.pk)} AND product_id = {int(pp)}"
    )
    late = list(
        Loan.objects.filter(cooperative=coop, status="active", days_past_due__gt=0)
        .order_by("pk")
        .values_list("pk", "disbursed_on")
    )
    notes = [
        CollectionNote(
            cooperative=coop,
            loan_id=loan_id,
            contacted_on=max(disbursed, book.today - dt.timedelta(days=3)),
            kind="call",
            note="Ditelepon, janji bayar minggu depan",
            promise_date=book.today + dt.timedelta(days=7),
            promise_amount=Decimal("250000"),
        )
        for loan_id, disbursed in late[::10]
    ]
    CollectionNote.objects.bulk_create(notes, batch_size=5000)
    snapshots = []
    for end in month_ends(book.today):
        for back in range(0, 28, 3):  # a snapshot every third day of the month
            day = end - dt.timedelta(days=back)
            for klass in range(1, 6):
                outstanding = Decimal(10_000_000_000 // klass)
                snapshots.append(
                    QualitySnapshot(
                        cooperative=coop,
                        business_date=day,
                        collectibility=klass,
                        loans=1000 // klass,
                        outstanding=outstanding,
                        collateral=Decimal(0),
                        allowance=outstanding / 100,
                        par1=outstanding if klass > 1 else Decimal(0),
                        par30=outstanding if klass > 1 else Decimal(0),
                        par60=outstanding if klass > 2 else Decimal(0),
                        par90=outstanding if klass > 2 else Decimal(0),
                    )
                )
    QualitySnapshot.objects.bulk_create(snapshots, batch_size=5000)
    S.run_sql("VACUUM ANALYZE loans_loan", "VACUUM ANALYZE loans_collectionnote")
    first = add_months(book.today, -23)
    return {
        "collection_notes": len(notes),
        "loans_in_arrears": len(late),
        "snapshots": len(snapshots),
        "snapshots_from": first.isoformat(),
        "seconds": round(time.monotonic() - t0, 1),
    }


# ---------------------------------------------------------------- the measures


def selectors(book: D.LoanBook, repeat: int) -> dict[str, Any]:
    from koperasi.domain.periods import add_months
    from koperasi.reports import portfolio, portfolio_lists

    coop, today = book.cooperative, book.today
    year_ago = add_months(today.replace(day=1), -11)

    def arrears_page() -> None:
        loans = list(
            portfolio_lists.arrears_loans(cooperative=coop, where=portfolio_lists.ArrearsFilter())[
                :50
            ]
        )
        portfolio_lists.arrears_rows(cooperative=coop, loans=loans, as_of=today)

    calls: dict[str, Callable[[], Any]] = {
        "quality_report (today)": lambda: portfolio.quality_report(cooperative=coop),
        "quality_report (past date, snapshot)": lambda: portfolio.quality_report(
            cooperative=coop, as_of=today - dt.timedelta(days=5)
        ),
        "quality_trend (24 month ends)": lambda: portfolio.quality_trend(cooperative=coop),
        "arrears page rows (50)": arrears_page,
        "officer_performance (12 months)": lambda: portfolio_lists.officer_performance(
            cooperative=coop, date_from=year_ago, date_to=today
        ),
        "flows (12 months)": lambda: portfolio_lists.flows(
            cooperative=coop, date_from=year_ago, date_to=today
        ),
        "maturity_gaps": lambda: portfolio_lists.maturity_gaps(cooperative=coop, as_of=today),
    }
    out = {}
    for name, call in calls.items():
        out[name] = timed(call, repeat)
        log(f"selector {name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")
    return out


def pages(book: D.LoanBook, repeat: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from koperasi.tenancy.services.tokens import issue_token

    coop = book.cooperative
    client = Client()
    client.force_login(book.manager)

    def url(name: str) -> str:
        return reverse(f"reports:{name}", kwargs={"code": coop.code})

    officer = book.officer_ids[0]
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "quality page": (url("portfolio_quality"), {}),
        "quality XLSX": (url("portfolio_quality_xlsx"), {}),
        "quality PDF": (url("portfolio_quality_pdf"), {}),
        "arrears page, no filter": (url("portfolio_arrears"), {}),
        "arrears page, one officer": (url("portfolio_arrears"), {"officer": officer}),
        "arrears page, class 5": (url("portfolio_arrears"), {"klass": 5}),
        "arrears page, >= 90 days, page 20": (url("portfolio_arrears"), {"dpd": 90, "page": 20}),
        "arrears XLSX, one officer": (url("portfolio_arrears_xlsx"), {"officer": officer}),
        "officer report page": (url("portfolio_officers"), {}),
        "flows page (12 months)": (url("portfolio_flows"), {}),
        "maturity page": (url("portfolio_maturity"), {}),
    }
    out: dict[str, Any] = {}
    for name, (path, params) in requests.items():
        status = client.get(path, params).status_code
        if status != 200:
            out[name] = {"status": status}
            log(f"page {name}: status {status}")
            continue
        # Downloads are slower and informative only: fewer repeats.
        n = repeat if "XLSX" not in name and "PDF" not in name else max(2, repeat // 3)
        out[name] = timed(lambda p=path, q=params: client.get(p, q), n)
        log(f"page {name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")
    token = issue_token(cooperative=coop, user=book.manager)
    api = Client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/reports/portfolio", headers=auth).status_code == 200
    out["API GET /reports/portfolio"] = timed(
        lambda: api.get("/api/v1/reports/portfolio", headers=auth), repeat
    )
    log(f"API: p95 {out['API GET /reports/portfolio']['p95_ms']} ms")
    return out


def naive(book: D.LoanBook) -> dict[str, Any]:
    """The same class totals and PAR one loan object at a time; the arrears page's amounts due
    one loan at a time (loans.selectors.arrears)."""
    from koperasi.domain.loan_quality import allowance
    from koperasi.loans import selectors as loans
    from koperasi.loans.models import Loan
    from koperasi.reports import portfolio, portfolio_lists

    coop = book.cooperative
    t0 = time.perf_counter()
    totals: dict[int, list[Any]] = {}
    for loan in Loan.objects.filter(cooperative=coop, status="active").iterator(chunk_size=2000):
        acc = totals.setdefault(loan.collectibility, [0, Decimal(0), Decimal(0), Decimal(0)])
        acc[0] += 1
        acc[1] += loan.outstanding_principal
        acc[2] += max(loan.outstanding_principal - loan.collateral_value, Decimal(0))
        if loan.days_past_due >= 30:
            acc[3] += loan.outstanding_principal
    required = sum(
        (allowance(out, klass, out - unc) for klass, (_n, out, unc, _p) in totals.items()),
        Decimal(0),
    )
    naive_ms = (time.perf_counter() - t0) * 1000
    report = portfolio.quality_report(cooperative=coop)
    agree = required == report.required and sum(v[1] for v in totals.values()) == (
        report.outstanding
    )
    page = list(
        portfolio_lists.arrears_loans(cooperative=coop, where=portfolio_lists.ArrearsFilter())[:50]
    )
    t0 = time.perf_counter()
    for loan in page:
        loans.arrears(loan=loan, as_of=book.today)
    per_loan_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    portfolio_lists.arrears_rows(cooperative=coop, loans=page, as_of=book.today)
    set_ms = (time.perf_counter() - t0) * 1000
    return {
        "quality per loan object (ms)": round(naive_ms, 1),
        "quality per loan agrees with the report": agree,
        "arrears amounts, 50 loans one at a time (ms)": round(per_loan_ms, 1),
        "arrears amounts, 50 loans in one query (ms)": round(set_ms, 1),
    }


def explain(book: D.LoanBook) -> list[str]:
    from django.db import connection

    from koperasi.loans.models import Loan

    sql = (
        "EXPLAIN (ANALYZE, BUFFERS) SELECT product_id, collectibility, count(*), "
        "sum(outstanding_principal), sum(CASE WHEN days_past_due >= 30 THEN "
        "outstanding_principal ELSE 0 END) FROM loans_loan WHERE cooperative_id = %s AND "
        "status = 'active' GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [book.cooperative.pk])
        return [row[0] for row in cursor.fetchall()] + [f"(loans in table: {Loan.objects.count()})"]


# ---------------------------------------------------------------- run


def print_report(results: dict[str, Any]) -> None:
    width = 96
    print("=" * width)
    book = results["loan_book"]
    print(
        f"Loan book: {book['loans']:,} loans ({book['active']:,} active), {book['instalments']:,}"
        f" instalment rows; active by class {book['active_by_class']}"
    )
    print(f"Extras: {results['extras']}")
    print("-" * width)
    print(f"{'measure':52} {'n':>4} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10}")
    for group in ("selectors", "pages"):
        for name, run in results[group].items():
            if "p50_ms" not in run:
                print(f"{group[:4]} {name:47.47} status {run.get('status')}")
                continue
            print(
                f"{group[:4]} {name:47.47} {run['n']:>4} {run['p50_ms']:>10.1f} "
                f"{run['p95_ms']:>10.1f} {run['max_ms']:>10.1f}"
            )
    print("-" * width)
    for name, value in results["naive"].items():
        print(f"naive: {name}: {value}")
    quality = results["pages"].get("quality page", {}).get("p95_ms")
    verdict = "n/a" if quality is None else ("MET" if quality < QUALITY_TARGET_MS else "NOT MET")
    print(f"quality report page p95 {quality} ms, target < {QUALITY_TARGET_MS:.0f} ms: {verdict}")
    print("=" * width)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--loans", type=int, default=300_000)
    p.add_argument("--members", type=int, default=None, help="default: twice the loans")
    p.add_argument("--repeat", type=int, default=5, help="timed calls per measure")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--quick", action="store_true", help="5,000 loans, 3 repeats")
    args = p.parse_args(argv)
    if args.quick:
        args.loans, args.repeat = 5_000, 3
    args.members = args.members or 2 * args.loans
    started = dt.datetime.now(dt.UTC)
    home = S.prepare_environment(S.PORTFOLIO_DB)
    import os

    os.environ["ALLOWED_HOSTS"] += ",testserver"
    results: dict[str, Any] = {
        "benchmark": "reports_portfolio",
        "started": started.isoformat(timespec="seconds"),
        "args": vars(args),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        log(f"creating database {S.PORTFOLIO_DB} and migrating")
        S.recreate_database(S.PORTFOLIO_DB)
        S.setup_django()
        S.migrate()
        results["postgresql"] = M.server_settings()
        log(f"loading {args.loans:,} loans for {args.members:,} members")
        book, _factory = D.load(args.loans, args.members)
        results["loan_book"] = book.stats
        log(f"loan book loaded in {book.stats['timings_s']['total_s']} s")
        results["extras"] = add_extras(book)
        log(f"extras: {results['extras']}")
        results["selectors"] = selectors(book, args.repeat)
        results["pages"] = pages(book, args.repeat)
        log("the naive way")
        results["naive"] = naive(book)
        results["explain"] = explain(book)
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        print_report(results)
        print("\n".join(results["explain"]))
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"reports-portfolio-{started.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"results written to {out}")
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            S.drop_database(S.PORTFOLIO_DB)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
