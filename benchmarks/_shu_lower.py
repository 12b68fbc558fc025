"""The SHU benchmark's lower bound (benchmarks/shu.py): the per-member computation of
`figures.simulate` as ONE hand-written statement, in a few variants, each run in a transaction
rolled back afterwards; the first run's shares compared with the simulation's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from _shu_run import Clock, backend_pid

# The lower bound: the per-member computation as one hand-written statement

LOWER_BOUND_SQL = """
WITH sav AS (
    SELECT a.member_id, SUM(t.amount) AS s
    FROM savings_savingstransaction t
    JOIN savings_savingsaccount a ON a.id = t.account_id
    JOIN savings_savingsproduct p ON p.id = a.product_id
    WHERE t.cooperative_id = %(coop)s AND t.business_date <= %(last)s
      AND p.kind = ANY(%(kinds)s)
    GROUP BY a.member_id
),
paid AS (
    SELECT l.member_id, SUM(x.interest) AS i
    FROM loans_loantransaction x
    JOIN loans_loan l ON l.id = x.loan_id
    LEFT JOIN loans_loantransaction r ON r.id = x.reverses_id
    WHERE x.cooperative_id = %(coop)s AND x.business_date BETWEEN %(first)s AND %(last)s
      AND (x.kind = ANY(%(paid)s) OR (x.kind = 'reversal' AND r.kind = ANY(%(paid)s)))
    GROUP BY l.member_id
),
lent AS (
    SELECT l.member_id, SUM(x.principal) AS b
    FROM loans_loantransaction x
    JOIN loans_loan l ON l.id = x.loan_id
    WHERE x.cooperative_id = %(coop)s AND x.business_date BETWEEN %(first)s AND %(last)s
      AND x.kind = 'disbursement'
    GROUP BY l.member_id
),
fig AS (
    SELECT COALESCE(sav.member_id, paid.member_id, lent.member_id) AS member_id,
           GREATEST(COALESCE(sav.s, 0), 0) AS s,
           %(w_interest)s * COALESCE(paid.i, 0) + %(w_principal)s * COALESCE(lent.b, 0) AS t
    FROM sav
    FULL JOIN paid ON paid.member_id = sav.member_id
    FULL JOIN lent ON lent.member_id = COALESCE(sav.member_id, paid.member_id)
),
tot AS (SELECT SUM(s) AS ts, SUM(t) AS tt FROM fig)
INSERT INTO shu_lower_bound (member_id, savings, transactions, jasa_modal, jasa_usaha)
SELECT member_id, s, t,
       CASE WHEN tot.ts > 0 THEN div(s * %(pool_modal)s, tot.ts) ELSE 0 END,
       CASE WHEN tot.tt > 0 THEN div(t * %(pool_usaha)s, tot.tt) ELSE 0 END
FROM fig, tot
"""


# The same computation with the three sources as one UNION ALL grouped once (no FULL JOINs).
LOWER_BOUND_UNION_SQL = """
WITH fig AS (
    SELECT member_id, GREATEST(SUM(s), 0) AS s,
           %(w_interest)s * SUM(i) + %(w_principal)s * SUM(b) AS t
    FROM (
        SELECT a.member_id, t.amount AS s, 0 AS i, 0 AS b
        FROM savings_savingstransaction t
        JOIN savings_savingsaccount a ON a.id = t.account_id
        JOIN savings_savingsproduct p ON p.id = a.product_id
        WHERE t.cooperative_id = %(coop)s AND t.business_date <= %(last)s
          AND p.kind = ANY(%(kinds)s)
        UNION ALL
        SELECT l.member_id, 0, x.interest, 0
        FROM loans_loantransaction x
        JOIN loans_loan l ON l.id = x.loan_id
        LEFT JOIN loans_loantransaction r ON r.id = x.reverses_id
        WHERE x.cooperative_id = %(coop)s AND x.business_date BETWEEN %(first)s AND %(last)s
          AND (x.kind = ANY(%(paid)s) OR (x.kind = 'reversal' AND r.kind = ANY(%(paid)s)))
        UNION ALL
        SELECT l.member_id, 0, 0, x.principal
        FROM loans_loantransaction x
        JOIN loans_loan l ON l.id = x.loan_id
        WHERE x.cooperative_id = %(coop)s AND x.business_date BETWEEN %(first)s AND %(last)s
          AND x.kind = 'disbursement'
    ) u
    GROUP BY member_id
),
tot AS (SELECT SUM(s) AS ts, SUM(t) AS tt FROM fig)
INSERT INTO shu_lower_bound (member_id, savings, transactions, jasa_modal, jasa_usaha)
SELECT member_id, s, t,
       CASE WHEN tot.ts > 0 THEN div(s * %(pool_modal)s, tot.ts) ELSE 0 END,
       CASE WHEN tot.tt > 0 THEN div(t * %(pool_usaha)s, tot.tt) ELSE 0 END
FROM fig, tot
"""
# name -> (statement, SET LOCAL settings for it, counts for the bound). The lower bound is the
# fastest of the variants that count: with the server's defaults PostgreSQL JIT-compiles the
# FULL JOIN statement (its row estimate is far too high), which at 20,000 members costs 0.7 s
# of 0.8 s; a DBA would write either form, JIT off or not. The work_mem variant is for
# information only: simulate runs with the server's work_mem (4 MB by default), so the bound
# does too.
LOWER_BOUND_VARIANTS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "full_join": (LOWER_BOUND_SQL, (), True),
    "full_join_jit_off": (LOWER_BOUND_SQL, ("jit = off",), True),
    "union_all": (LOWER_BOUND_UNION_SQL, (), True),
    "union_all_jit_off": (LOWER_BOUND_UNION_SQL, ("jit = off",), True),
    "full_join_work_mem_256mb_info": (LOWER_BOUND_SQL, ("work_mem = '256MB'",), False),
}


def lower_bound(coop: Any, year: int, sim: Any, variant: str, compare: bool) -> dict[str, Any]:
    """One run of a variant of the statement, in a transaction rolled back afterwards; with
    `compare`, its shares checked against the simulation's, member by member."""
    from django.db import connection, transaction

    from koperasi.domain import shu as calculator
    from koperasi.shu import figures

    settings = figures.settings_of(coop)
    if Decimal(settings.rounding) != 1:
        raise RuntimeError("the lower bound rounds down to the rupiah: use the default rounding")
    if settings.savings_basis != "year_end":
        raise RuntimeError("the lower bound sums savings to the year end: use that basis")
    weights = {k: Decimal(v) for k, v in settings.transaction_weights.items()}
    params = {
        "coop": coop.pk,
        "first": dt.date(year, 1, 1),
        "last": dt.date(year, 12, 31),
        "kinds": [str(k) for k in settings.savings_kinds or figures.DEFAULT_KINDS],
        "paid": [str(k) for k in figures.PAID],
        "w_interest": weights.get("loan_interest", Decimal(0)),
        "w_principal": weights.get("loan_principal", Decimal(0)),
        "pool_modal": sim.result.pool(calculator.JASA_MODAL),
        "pool_usaha": sim.result.pool(calculator.JASA_USAHA),
    }
    sql, local_settings, counts = LOWER_BOUND_VARIANTS[variant]
    out: dict[str, Any] = {"variant": variant, "counts_for_bound": counts}
    pid = backend_pid()
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in local_settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(
            "CREATE TEMPORARY TABLE shu_lower_bound (member_id bigint, savings numeric,"
            " transactions numeric, jasa_modal numeric, jasa_usaha numeric) ON COMMIT DROP"
        )
        clock = Clock(pid)
        cursor.execute(sql, params)
        out.update(clock.read())
        out["rows"] = cursor.rowcount
        if compare:
            out["same_as_simulate"] = _compare(cursor, sim)
        transaction.set_rollback(True)
    return out


def _compare(cursor: Any, sim: Any) -> dict[str, Any]:
    cursor.execute("SELECT member_id, jasa_modal, jasa_usaha FROM shu_lower_bound")
    ours = {str(m): (jm, ju) for m, jm, ju in cursor.fetchall()}
    theirs = {s.id: (s.jasa_modal, s.jasa_usaha) for s in sim.result.members}
    differ = [k for k, v in theirs.items() if ours.get(k) != v]
    return {
        "members_sql": len(ours),
        "members_simulate": len(theirs),
        "differing_members": len(differ) + len(set(ours) - set(theirs)),
        "examples": [[k, str(ours.get(k)), str(theirs[k])] for k in differ[:3]],
        "ok": not differ and set(ours) == set(theirs),
    }
