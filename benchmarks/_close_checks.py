"""What the close is measured and checked against (benchmarks/close.py): the lower bound (one
hand-written statement doing the accrual's writes, rolled back), `koperasi check` before and
after, and what the closes wrote."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import _close_data as CD
import _setup as S

# ---------------------------------------------------------------------------------------------
# The lower bound


LOWER_BOUND_SQL = """
WITH acc AS (
    SELECT i.id AS instalment_id, i.loan_id,
           LEAST(CAST(ROUND((i.interest - i.interest_waived) * 100) AS BIGINT),
                 (CAST(ROUND(i.interest * 100) AS BIGINT)
                    * LEAST(CAST(%(day)s AS date) - i.period_start, i.due_date - i.period_start) * 2
                  + GREATEST(i.due_date - i.period_start, 1))
                 / (2 * GREATEST(i.due_date - i.period_start, 1)))
           - CAST(ROUND(i.interest_accrued * 100) AS BIGINT) AS inc_sen
    FROM loans_instalment i
    JOIN loans_loan l ON l.id = i.loan_id AND i.version = l.schedule_version
    JOIN loans_loanproduct p ON p.id = l.product_id
    WHERE i.cooperative_id = %(coop)s AND l.status = 'active' AND p.accounting = 'accrual'
      AND l.collectibility <= %(classes)s AND i.period_start < %(day)s
      AND i.interest_accrued < i.interest - i.interest_waived
),
ins AS (
    INSERT INTO loans_loanaccrual
        (cooperative_id, loan_id, instalment_id, business_date, amount, journal_entry_id)
    SELECT %(coop)s, loan_id, instalment_id, %(day)s, inc_sen * 0.01, %(entry)s
    FROM acc WHERE inc_sen > 0
    RETURNING loan_id, amount
),
upd AS (
    UPDATE loans_loan l SET accrued_interest = l.accrued_interest + s.amount
    FROM (SELECT loan_id, SUM(amount) AS amount FROM ins GROUP BY loan_id) s
    WHERE l.id = s.loan_id
    RETURNING l.id
){extra_cte}
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd){extra_select}
"""
INSTALMENT_CTE = """,
upd_i AS (
    UPDATE loans_instalment i SET interest_accrued = i.interest_accrued + a.inc_sen * 0.01
    FROM acc a WHERE i.id = a.instalment_id AND a.inc_sen > 0
    RETURNING i.id
)"""


def lower_bound_sql(with_instalments: bool) -> str:
    return LOWER_BOUND_SQL.format(
        extra_cte=INSTALMENT_CTE if with_instalments else "",
        extra_select=", (SELECT count(*) FROM upd_i)" if with_instalments else "",
    )


def _rolled_back(coop: Any, day: dt.date, sql: str, explain: bool = False) -> dict[str, Any]:
    from django.db import connection, transaction

    from koperasi.domain.loan_quality import DPK

    with transaction.atomic():
        with connection.cursor() as cursor:
            # The foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT, which a
            # rolled-back run never reaches. Checked in the statement instead, so the lower
            # bound pays for them as the close does.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "INSERT INTO ledger_journalentry (cooperative_id, business_date, source,"
                " source_ref, memo, idempotency_key, created_at)"
                " VALUES (%s, %s, 'bench', '', 'lower bound (rolled back)', %s, now())"
                " RETURNING id",
                [coop.pk, day, f"bench:lower-bound:{time.monotonic()}"],
            )
            entry = cursor.fetchone()[0]
            params = {"coop": coop.pk, "day": day, "classes": DPK, "entry": entry}
            t0 = time.perf_counter()
            if explain:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                out: dict[str, Any] = {"plan": [r[0] for r in cursor.fetchall()]}
            else:
                cursor.execute(sql, params)
                out = {"counts": list(cursor.fetchone())}
            out["seconds"] = round(time.perf_counter() - t0, 3)
        transaction.set_rollback(True)
    return out


def lower_bound(coop: Any, day: dt.date) -> dict[str, Any]:
    basic = lower_bound_sql(False)
    runs = [_rolled_back(coop, day, basic) for _ in range(2)]
    full = _rolled_back(coop, day, lower_bound_sql(True))
    plan = _rolled_back(coop, day, basic, explain=True)
    t0 = time.monotonic()
    # The rolled-back rows are dead tuples the close would otherwise step over.
    S.run_sql(
        "VACUUM ANALYZE loans_loan", "VACUUM ANALYZE loans_loanaccrual", "VACUUM loans_instalment"
    )
    return {
        "statement": basic.strip(),
        "runs_s": [r["seconds"] for r in runs],
        "seconds": min(r["seconds"] for r in runs),
        "rows": runs[0]["counts"][0],
        "loans_updated": runs[0]["counts"][1],
        "with_instalments_s": full["seconds"],
        "with_instalments_rows": full["counts"],
        "explain_analyze": plan["plan"],
        "explain_s": plan["seconds"],
        "vacuum_after_s": round(time.monotonic() - t0, 1),
    }


# ---------------------------------------------------------------------------------------------
# Books


def verify_books(coop: Any) -> dict[str, Any]:
    """What `koperasi check --coop <code>` runs."""
    from koperasi.ledger.selectors import ledger_violations
    from koperasi.loans.selectors import loan_violations
    from koperasi.savings.selectors import savings_violations

    t0 = time.monotonic()
    ledger = ledger_violations(cooperative=coop)
    savings = savings_violations(cooperative=coop)
    loans = loan_violations(cooperative=coop)
    problems = ledger + savings + loans
    return {
        "violations": len(problems),
        "ledger": len(ledger),
        "savings": len(savings),
        "loans": len(loans),
        "samples": problems[:15],
        "seconds": round(time.monotonic() - t0, 1),
    }


def written_by_closes(coop: Any, book: CD.CloseBook) -> dict[str, Any]:
    from django.db.models import Count, Sum

    from koperasi.closing.models import CloseStep
    from koperasi.loans.models import LoanAccrual, LoanTransaction, QualitySnapshot
    from koperasi.savings.models import SavingsTransaction, WajibBill
    from koperasi.savings.services.close_steps import withholding_list
    from koperasi.tenancy.models import Cooperative

    coop = Cooperative.objects.get(pk=coop.pk)
    accruals = {
        r["business_date"].isoformat(): {"rows": r["n"], "amount": str(r["s"])}
        for r in LoanAccrual.objects.filter(cooperative=coop)
        .values("business_date")
        .annotate(n=Count("id"), s=Sum("amount"))
        .order_by("business_date")
    }
    penalties = {
        r["business_date"].isoformat(): {"rows": r["n"], "amount": str(r["s"])}
        for r in LoanTransaction.objects.filter(cooperative=coop, kind="penalty")
        .values("business_date")
        .annotate(n=Count("id"), s=Sum("amount"))
        .order_by("business_date")
    }
    interest = {
        r["kind"]: {"rows": r["n"], "amount": str(r["s"])}
        for r in SavingsTransaction.objects.filter(
            cooperative=coop, business_date=book.month_last, kind__in=["interest", "tax"]
        )
        .values("kind")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    t0 = time.monotonic()
    slips = withholding_list(
        cooperative=coop, year=book.month_last.year, month=book.month_last.month
    )
    slips_s = time.monotonic() - t0
    taxed = sum(1 for s in slips if s["tax"])
    return {
        "days_closed_through": coop.days_closed_through.isoformat()
        if coop.days_closed_through
        else None,
        "books_closed_through": coop.books_closed_through.isoformat()
        if coop.books_closed_through
        else None,
        "loan_accruals_by_day": accruals,
        "penalty_movements_by_day": penalties,
        "savings_interest_and_tax": interest,
        "withholding_list": {
            "members": len(slips),
            "taxed_members": taxed,
            "tax_total": str(sum((s["tax"] for s in slips), start=0)),
            "seconds": round(slips_s, 1),
        },
        "wajib_bills": WajibBill.objects.filter(cooperative=coop).count(),
        "quality_snapshots": QualitySnapshot.objects.filter(cooperative=coop).count(),
        "failed_steps": list(
            CloseStep.objects.filter(cooperative=coop, status="failed").values(
                "business_date", "step", "error"
            )
        ),
    }
