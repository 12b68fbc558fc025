"""A floor for the deposit: the same rows written by hand-written SQL, no Django.

Per deposit it writes exactly what `savings.services.deposit` writes (journal entry, two
postings, the savings movement with its running balance, the audit row, the account and the GL
balance slots), with the idempotency check first and the two GL slots updated last, so they
stay locked only for the commit. It tells how much of the gap to pgbench is the database work
itself and how much is the application around it. The books stay consistent, so the same
invariant checks cover it.
"""

from __future__ import annotations

import random
import time
import traceback
import uuid
from decimal import Decimal
from typing import Any

import _measure as M
import _setup as S

SQL_EXISTING = (
    "SELECT id FROM savings_savingstransaction WHERE cooperative_id = %s AND idempotency_key = %s"
)
SQL_LOCK = (
    "SELECT a.number, m.name FROM savings_savingsaccount a JOIN members_member m "
    "ON m.id = a.member_id WHERE a.id = %s AND a.cooperative_id = %s AND a.status = 'open' "
    "AND m.status = 'active' FOR NO KEY UPDATE OF a"
)
SQL_ENTRY = (
    "INSERT INTO ledger_journalentry (cooperative_id, business_date, source, source_ref, memo, "
    "idempotency_key, created_at) VALUES (%s, %s, 'savings', %s, %s, %s, now()) RETURNING id"
)
SQL_POSTINGS = (
    "INSERT INTO ledger_posting (entry_id, cooperative_id, account_id, business_date, debit, "
    "credit) VALUES (%s, %s, %s, %s, %s, 0), (%s, %s, %s, %s, 0, %s)"
)
SQL_ACCOUNT = (
    "UPDATE savings_savingsaccount SET balance = balance + %s WHERE id = %s RETURNING balance"
)
SQL_MOVEMENT = (
    "INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind, amount, "
    "balance_after, business_date, journal_entry_id, note, idempotency_key, channel, created_at) "
    "VALUES (%s, %s, 'deposit', %s, %s, %s, %s, '', %s, 'teller', now()) RETURNING id"
)
SQL_AUDIT = (
    "INSERT INTO audit_auditlog (cooperative_id, action, object_type, object_id, summary, data, "
    "created_at) VALUES (%s, 'savings.deposit', 'SavingsTransaction', %s, %s, '{}', now())"
)
# The general-ledger balances as the service keeps them: this session's balance slot.
SQL_GL = (
    "INSERT INTO ledger_balanceslot (cooperative_id, account_id, slot, amount)"
    " VALUES (%s, %s, mod(pg_backend_pid(), %s), %s) ON CONFLICT (account_id, slot)"
    " DO UPDATE SET amount = ledger_balanceslot.amount + EXCLUDED.amount"
)


def floor_worker(
    ctx: dict[str, Any], duration: float, seed: int, barrier: Any, results: Any
) -> None:
    """ctx: cooperative_id, cash_id, gl_id, product_name, business_date, account_ids, slots."""
    import psycopg

    report: dict[str, Any] = {"ok": 0, "errors": 0, "error_samples": [], "latencies_ms": []}
    rng = random.Random(seed)
    coop = ctx["cooperative_id"]
    amount = Decimal("50000.00")
    on = ctx["business_date"]
    # Lock order by primary key, as the service does; the signed change per GL account.
    gl_changes = sorted([(ctx["cash_id"], amount), (ctx["gl_id"], -amount)])
    try:
        conn = psycopg.connect(S.server_url(S.BENCH_DB))
        backend = conn.info.backend_pid

        def one() -> None:
            key = str(uuid.uuid4())
            account_id = rng.choice(ctx["account_ids"])
            with conn.transaction(), conn.cursor() as cur:
                if cur.execute(SQL_EXISTING, [coop, key]).fetchone():
                    return
                number, name = cur.execute(SQL_LOCK, [account_id, coop]).fetchone()
                memo = f"Setoran {ctx['product_name']} {number} {name}"[:255]
                entry = cur.execute(
                    SQL_ENTRY, [coop, on, number, memo, f"request:{key}"]
                ).fetchone()[0]
                cur.execute(
                    SQL_POSTINGS,
                    [
                        entry,
                        coop,
                        ctx["cash_id"],
                        on,
                        amount,
                        entry,
                        coop,
                        ctx["gl_id"],
                        on,
                        amount,
                    ],
                )
                balance = cur.execute(SQL_ACCOUNT, [amount, account_id]).fetchone()[0]
                txn = cur.execute(
                    SQL_MOVEMENT, [coop, account_id, amount, balance, on, entry, key]
                ).fetchone()[0]
                cur.execute(SQL_AUDIT, [coop, str(txn), f"{number} +{amount}"])
                for gl_id, change in gl_changes:  # hot rows last: locked only until commit
                    cur.execute(SQL_GL, [coop, gl_id, ctx["slots"], change])

        for _ in range(3):
            one()
        report["warmup"] = 3
    except Exception:
        report["fatal"] = traceback.format_exc()
        barrier.abort()
        results.put(report)
        return
    barrier.wait()
    start = time.monotonic()
    cpu0, backend0 = time.process_time(), M.proc_cpu_seconds(backend)
    while (now := time.monotonic()) < start + duration:
        try:
            one()
            report["ok"] += 1
            report["latencies_ms"].append((time.monotonic() - now) * 1000)
        except Exception as exc:
            report["errors"] += 1
            if len(report["error_samples"]) < 3:
                report["error_samples"].append(repr(exc))
    report["start"], report["end"] = start, time.monotonic()
    report["client_cpu_s"] = time.process_time() - cpu0
    report["backend_cpu_s"] = M.proc_cpu_seconds(backend) - backend0
    conn.close()
    results.put(report)


def floor_context(coop: Any, ids: list[int]) -> dict[str, Any]:
    from koperasi.ledger import services as ledger
    from koperasi.ledger.models import BalanceSlot
    from koperasi.savings.models import SavingsProduct

    product = SavingsProduct.objects.select_related("gl_account").get(
        cooperative=coop, kind="sukarela"
    )
    return {
        "cooperative_id": coop.pk,
        "cash_id": ledger.account_by_role(coop, "cash").pk,
        "gl_id": product.gl_account.pk,
        "product_name": product.name,
        "business_date": ledger.business_today(coop),
        "account_ids": ids,
        "slots": BalanceSlot.SLOTS,
    }
