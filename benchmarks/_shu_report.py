"""The SHU benchmark's checks and report (benchmarks/shu.py): the books (`koperasi check`), the
distribution against the simulation, what code and machine were measured, the printed table."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import _measure as M

TARGET_SECONDS = 60.0
TARGET_RATIO = 3.0
ROOT = Path(__file__).resolve().parent.parent

# Checks


def verify_books(coop: Any) -> dict[str, Any]:
    """What `koperasi check --coop <code>` runs (web/management/commands/books_check.py)."""
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.loans.selectors import loan_violations
    from koperasi.savings.selectors import savings_violations

    t0 = time.monotonic()
    problems = {
        "ledger": ledger_violations(cooperative=coop),
        "savings": savings_violations(cooperative=coop),
        "loans": loan_violations(cooperative=coop),
    }
    everything = [p for found in problems.values() for p in found]
    return {
        "violations": len(everything),
        **{k: len(v) for k, v in problems.items()},
        "samples": everything[:10],
        "seconds": round(time.monotonic() - t0, 1),
        "ok": not everything,
    }


def check_distribution(coop: Any, distribution: Any, sim: Any) -> dict[str, Any]:
    from django.db import connection

    from koperasi.domain import shu as calculator
    from koperasi.ledger import services as ledger
    from koperasi.ledger.models import Account

    result = sim.result
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), COALESCE(SUM(jasa_modal), 0), COALESCE(SUM(jasa_usaha), 0),"
            " COALESCE(SUM(total), 0), count(*) FILTER (WHERE paid_on IS NULL),"
            " COALESCE(SUM(total) FILTER (WHERE paid_on IS NULL), 0),"
            " count(*) FILTER (WHERE total <> jasa_modal + jasa_usaha OR total <= 0)"
            " FROM shu_shushare WHERE distribution_id = %s",
            [distribution.pk],
        )
        rows, modal, usaha, total, unpaid_rows, unpaid, malformed = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), COALESCE(SUM(amount), 0) FROM savings_savingstransaction"
            " WHERE cooperative_id = %s AND kind = 'shu'",
            [coop.pk],
        )
        into_savings_rows, into_savings = cursor.fetchone()
    payable = ledger.account_by_role(coop, "shu_payable")
    payable = Account.objects.get(pk=payable.pk)  # balance read afresh
    pool_modal = result.pool(calculator.JASA_MODAL)
    pool_usaha = result.pool(calculator.JASA_USAHA)
    nonzero = sum(1 for s in result.members if s.total)
    checks = {
        "jasa_modal: Σ shares + remainder = pool": (
            modal + result.remainder_jasa_modal == pool_modal,
            f"{modal} + {result.remainder_jasa_modal} vs {pool_modal}",
        ),
        "jasa_usaha: Σ shares + remainder = pool": (
            usaha + result.remainder_jasa_usaha == pool_usaha,
            f"{usaha} + {result.remainder_jasa_usaha} vs {pool_usaha}",
        ),
        "share rows = members with a non-zero share": (rows == nonzero, f"{rows} vs {nonzero}"),
        "each row: total = jasa modal + jasa usaha > 0": (malformed == 0, f"{malformed} not"),
        "Σ shares = the distribution's members' total": (
            total == distribution.members_total,
            f"{total} vs {distribution.members_total}",
        ),
        "SHU payable (2305) = unpaid shares": (
            -payable.balance == unpaid,
            f"{-payable.balance} vs {unpaid} ({unpaid_rows} unpaid rows)",
        ),
        "paid into savings = paid shares": (
            into_savings == total - unpaid and into_savings_rows == rows - unpaid_rows,
            f"{into_savings_rows} movements, {into_savings} vs {total - unpaid}",
        ),
    }
    return {
        "checks": {k: {"ok": ok, "detail": detail} for k, (ok, detail) in checks.items()},
        "share_rows": rows,
        "members_total": str(total),
        "unpaid_rows": unpaid_rows,
        "to_reserve": str(distribution.to_reserve),
        "ok": all(ok for ok, _d in checks.values()),
    }


# ---------------------------------------------------------------------------------------------
# What was measured, and the table


def code_under_test() -> dict[str, Any]:
    files = [
        "src/koperasi/shu/figures.py",
        "src/koperasi/shu/services/distribution.py",
        "src/koperasi/shu/services/payments.py",
        "src/koperasi/shu/services/rules.py",
        "src/koperasi/domain/shu.py",
        "src/koperasi/savings/services/bulk_credit.py",
        "src/koperasi/ledger/selectors.py",
    ]

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified": git("status", "--short", "src").splitlines(),
        "files": {
            f: hashlib.sha1((ROOT / f).read_bytes()).hexdigest()[:10]
            for f in files
            if (ROOT / f).exists()
        },
    }


def machine_info() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "postgresql": M.server_settings(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def print_report(results: dict[str, Any]) -> None:
    def row(figure: str, value: str, target: str = "", verdict: str = "") -> None:
        print(f"{figure:<52} {value:>22} {target:>14} {verdict:>8}")

    def met(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    print()
    print(
        f"SHU benchmark, {results.get('members', 0):,} members (year {results['shu_year']['year']})"
    )
    row("figure", "value", "target", "")
    data = results.get("data", {})
    if "timings_s" in data:
        row("data load (COPY, entries, month closes)", f"{data['timings_s']['total_s']:.1f} s")
    if "close_year_s" in results:
        row("shu.services.close_year", f"{results['close_year_s']:.2f} s")
    for n, s in enumerate(results["simulate"], 1):
        row(
            f"figures.simulate run {n}: wall / CPU py / CPU pg",
            f"{s['wall_s']:.2f}/{s['cpu_python_s']:.2f}/{s['cpu_postgres_s']:.2f} s",
        )
    j = results["simulate_jit_off"]
    row(
        "figures.simulate, JIT off (info)",
        f"{j['wall_s']:.2f}/{j['cpu_python_s']:.2f}/{j['cpu_postgres_s']:.2f} s",
    )
    runs: dict[str, list[str]] = defaultdict(list)
    for b in results["lower_bound"]["runs"]:
        runs[b["variant"]].append(f"{b['wall_s']:.2f}")
    for variant, times in runs.items():
        row(f"lower bound {variant} (runs)", " / ".join(times) + " s")
    best = results["lower_bound"]["best"]
    row(f"lower bound, best counting ({best['variant']})", f"{best['wall_s']:.2f} s")
    ratio = results.get("ratio")
    row(
        "ratio best simulate / best lower bound",
        f"{ratio:.2f} x" if ratio else "n/a",
        f"<= {TARGET_RATIO:.0f} x",
        met(bool(ratio and ratio <= TARGET_RATIO)),
    )
    d = results["distribute"]
    row(
        f"distribute (pay_into_savings={d['pay_into_savings']}) wall",
        f"{d['wall_s']:.2f} s",
        f"<= {TARGET_SECONDS:.0f} s",
        met(d["wall_s"] <= TARGET_SECONDS),
    )
    row(
        "  of which SQL / Python+COPY / COMMIT",
        f"{d['sql_s']:.1f}/{d['python_and_copy_s']:.1f}/{d['commit_s']:.1f} s",
    )
    row(
        "  CPU python / CPU postgres backend",
        f"{d['cpu_python_s']:.1f}/{d['cpu_postgres_s']:.1f} s",
    )
    for kind in d["by_kind"][:6]:
        row(f"    {kind['kind'][:46]} ×{kind['count']}", f"{kind['seconds']:.2f} s")
    same = results["lower_bound"]["runs"][0]["same_as_simulate"]
    row("lower bound's shares = simulate's", str(same.get("ok")), "", met(bool(same.get("ok"))))
    for name, check in results["checks"]["checks"].items():
        row(name[:52], check["detail"][:22], "", met(check["ok"]))
    for key in ("check_before", "check_after"):
        if key in results:
            c = results[key]
            row(f"koperasi check {key[6:]}", f"{c['violations']} violations", "0", met(c["ok"]))
    print()
