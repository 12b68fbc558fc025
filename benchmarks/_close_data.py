"""A cooperative ready for its day-end and month-end close, loaded with COPY (benchmarks/close.py).

Same approach as the loan book of benchmarks/_loans_data.py (whose helpers it reuses: products
through the services, schedules from the calculator, COPY with the secondary indexes rebuilt
afterwards, aggregate journal entries through `ledger.post_entry`), but the state is the one a
close meets: a cooperative that has closed every day through D0 (the day before the first day
to close) and every month through the end of the month before.

- N members (COPY, `_setup.MemberFactory`), one sukarela account each: 80 % on the default
  product SS (saldo harian, 3 % p.a.), 10 % on ST (saldo terendah, 3 %), 10 % on SR (saldo
  rata-rata, 3 %); about 2 % of the members also hold a 12-month time deposit (SB12, harian 6 %)
  maturing on a day spread over the next year (half roll over, half pay into sukarela).
  Pokok and wajib accounts are NOT created (the close does not read them; the wajib billing
  reads members only).
- Savings movements: an opening deposit the day before the month (balances spread up to
  Rp 1 billion, about 1 % above Rp 100 million so the final-tax cliff is crossed), then 1-3
  deposits or withdrawals per sukarela account on days spread over the whole month (also on the
  days still to close), `balance_after` consistent, `account.balance` = sum of its movements.
  One journal entry per (day, direction) through `post_entry` (Dr cash / Cr savings control
  or the reverse), so the savings control accounts equal the sub-ledger.
- `SavingsDayBalance` rows for every (account, day) with movements from the 1st through D0, as
  the day-end closes of those days would have written them.
- M active loans (no closed ones) of 12 monthly instalments, products PU, PP, PK accrual-basis
  (75 % of the loans) and PD, PS cash-basis; `period_start` = the previous due date (the
  disbursement date for the first row). About 10 % are in arrears (the most recent instalments
  due before D0 unpaid); the others have paid every instalment due through the month's last day
  (the ones due after D0 paid early, `paid_on` <= D0).
- Steady state as of D0 (as if every earlier day had been closed): interest accrued through D0
  on the unpaid rows of accrual-basis loans that are Lancar or DPK (the engine's formula,
  rounded the same way), `interest_accrued` = `interest_paid` on paid rows; penalties assessed
  through D0 on late rows (`domain.repayment.penalty_increment`, `penalty_through` = D0);
  days past due and class as of D0 (`domain.loan_quality.classify`), `assessed_on` = D0.
  `accrued_interest` and `penalty_receivable` per loan = what its rows hold; one opening entry
  each for the loan book, the accrued interest and the booked penalties.
- `books_closed_through` = the month before (through `ledger.close_month`),
  `days_closed_through` = D0, and a finished close run with its day steps for D0 (so the first
  close starts at D0 + 1, as after a real close history).


The savings: `_close_savings.py`; the loans: `_close_loans.py`; COPY: `_copy.py`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import _close_loans as CL
import _close_savings as CS
import _copy as C
import _loans_data as LD
import _loans_rows as LR
import _setup as S
from _workers import log


@dataclass
class CloseBook:
    cooperative: Any
    month_first: dt.date
    month_last: dt.date
    first_close_day: dt.date  # D1
    stats: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The load


def default_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last month that has ended: (first day, last day)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def load(
    members_wanted: int,
    loans_wanted: int,
    *,
    close_days: int = 2,
    berjangka_share: float = 0.02,
    seed: int = 20261123,
) -> CloseBook:
    """Cooperative, staff, products, members, savings, the loan book and the closed-through
    state; VACUUM ANALYZE; the references checked. Returns what the benchmark needs."""
    from django.db import connection

    from koperasi.ledger import services as ledger
    from koperasi.loans.models import (
        Collateral,
        Instalment,
        Loan,
        LoanApplication,
        LoanTransaction,
    )
    from koperasi.members.models import Member
    from koperasi.savings.models import SavingsAccount, SavingsDayBalance, SavingsTransaction
    from koperasi.tenancy.models import Cooperative

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    C.COPY_SECONDS.clear()
    t_all = t0 = time.monotonic()
    coop = S.create_cooperative()
    manager, _teller, officer_ids = LD._staff(coop)
    loan_products = CL.create_loan_products(coop)
    savings_products = CS.create_savings_products(coop)
    timings["cooperative_staff_products_s"] = time.monotonic() - t0

    today = ledger.local_today(coop)
    month_first, month_last = default_month(today)
    first_close_day = month_last - dt.timedelta(days=close_days - 1)
    last_closed = first_close_day - dt.timedelta(days=1)  # D0
    if last_closed < month_first:
        raise ValueError("--close-days must leave at least one closed day in the month")

    t0 = time.monotonic()
    factory = S.MemberFactory()
    timings["copy_members_s"] = S.copy_members(factory, coop, 1, members_wanted)
    del factory
    log(f"{members_wanted:,} members in {timings['copy_members_s']:.1f} s")

    regime = str(coop.collectibility_regime)
    schedules = LR.Schedules(loan_products)
    now = dt.datetime.now(dt.UTC)
    stats: dict[str, Any] = {}
    with C.bulk_load(
        Instalment._meta.db_table,
        LoanTransaction._meta.db_table,
        SavingsAccount._meta.db_table,
        SavingsTransaction._meta.db_table,
    ):
        stats["savings"] = CS.load_savings(
            coop,
            savings_products,
            month_first,
            month_last,
            first_close_day,
            berjangka_share,
            seed + 1,
            timings,
        )
        log(
            f"{stats['savings']['accounts']:,} savings accounts, "
            f"{stats['savings']['movements']:,} movements"
        )

        t0 = time.monotonic()
        member_ids = list(
            Member.objects.filter(cooperative=coop).order_by("pk").values_list("pk", flat=True)
        )
        plans = CL.plan_loans(
            loans_wanted,
            C.next_id(Loan),
            C.next_id(LoanApplication),
            member_ids,
            officer_ids,
            schedules,
            last_closed,
            month_last,
            rng,
        )
        del member_ids
        from koperasi.loans.services.terms import penalty_rule

        rules = {code: penalty_rule(p) for code, p in loan_products.items()}
        states = {
            plan.loan_id: CL.loan_state(
                plan, loan_products[plan.code], rules[plan.code], schedules, regime, last_closed
            )
            for plan, _missed in plans
        }
        timings["plan_loans_s"] = time.monotonic() - t0
        outstanding = sum((s.outstanding for s in states.values()), Decimal(0))
        accrued = Decimal(sum(s.accrued_sen for s in states.values())) / 100
        penalties = Decimal(sum(s.penalty_booked_sen for s in states.values())) / 100

        t0 = time.monotonic()
        opening = ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=[
                ledger.Line(ledger.account_by_role(coop, "loans_receivable"), debit=outstanding),
                ledger.Line(ledger.account_by_role(coop, "cash"), credit=outstanding),
            ],
            memo="Saldo awal pinjaman (beban benchmark)",
            source="loans",
            source_ref="benchmark",
            idempotency_key="bench:opening-loan-book",
            business_date=month_first - dt.timedelta(days=1),
            allow_control=True,
        )
        for role_dr, role_cr, total, key in (
            ("interest_receivable", "loan_interest_income", accrued, "bench:opening-accrued"),
            ("penalty_receivable", "penalty_income", penalties, "bench:opening-penalties"),
        ):
            if total:
                ledger.post_entry(
                    cooperative=coop,
                    actor=None,
                    lines=[
                        ledger.Line(ledger.account_by_role(coop, role_dr), debit=total),
                        ledger.Line(ledger.account_by_role(coop, role_cr), credit=total),
                    ],
                    memo=f"Saldo awal {role_dr} (beban benchmark)",
                    source="loans",
                    source_ref="benchmark",
                    idempotency_key=key,
                    business_date=last_closed,
                    allow_control=True,
                )
        only_plans = [p for p, _m in plans]
        C.copy_rows(
            LoanApplication,
            LR.APPLICATION_COLUMNS,
            LR.application_rows(coop, only_plans, schedules, manager.pk, rng),
        )
        C.copy_rows(
            Loan,
            CL.LOAN_COLUMNS,
            CL.loan_rows(coop, plans, states, schedules, loan_products, last_closed, now),
        )
        instalments = C.copy_text(
            Instalment,
            CL.INSTALMENT_COLUMNS,
            CL.instalment_lines(coop.pk, plans, states, schedules, last_closed),
        )
        C.copy_rows(
            Collateral,
            ["cooperative_id", "application_id", "kind", "description", "value"],
            (
                (
                    coop.pk,
                    p.application_id,
                    "bpkb" if p.principal < 30_000_000 else "shm",
                    "BPKB kendaraan" if p.principal < 30_000_000 else "SHM tanah dan bangunan",
                    Decimal(p.principal) * Decimal("1.2"),
                )
                for p in only_plans
                if p.code == "PP"
            ),
        )
        C.copy_rows(
            LoanTransaction,
            [
                "cooperative_id",
                "loan_id",
                "kind",
                "channel",
                "business_date",
                "amount",
                "principal",
                "outstanding_after",
                "journal_entry_id",
                "idempotency_key",
                "note",
                "created_at",
            ],
            (
                (
                    coop.pk,
                    p.loan_id,
                    "disbursement",
                    "teller",
                    p.disbursed,
                    states[p.loan_id].outstanding,
                    states[p.loan_id].outstanding,
                    states[p.loan_id].outstanding,
                    opening.pk,
                    f"bench-opening:{p.loan_id}",
                    "Saldo awal (beban benchmark)",
                    now,
                )
                for p in only_plans
            ),
        )
        for model in (LoanApplication, Loan):
            C.reset_sequence(model)
        Cooperative.objects.filter(pk=coop.pk).update(
            application_seq=len(plans), loan_seq=len(plans)
        )
        timings["copy_loan_book_s"] = time.monotonic() - t0
    timings["rebuild_indexes_s"] = C.COPY_SECONDS.get("rebuild_indexes", 0.0)

    t0 = time.monotonic()
    day_balances = CS.day_balances(coop, month_first, last_closed)
    timings["day_balances_s"] = time.monotonic() - t0

    # Closed through: the month before (a real month close), and the days through D0 with the
    # close history a real run leaves (its day steps done), so the next close starts at D1.
    ledger.close_month(
        cooperative=coop,
        actor=None,
        year=(month_first - dt.timedelta(days=1)).year,
        month=(month_first - dt.timedelta(days=1)).month,
    )
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=last_closed)
    CL.close_history(coop, month_first, last_closed)

    t0 = time.monotonic()
    S.run_sql("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    dangling = C.dangling_references(
        [
            LoanApplication,
            Loan,
            Instalment,
            Collateral,
            LoanTransaction,
            SavingsAccount,
            SavingsTransaction,
            SavingsDayBalance,
        ]
    )
    timings["reference_check_s"] = time.monotonic() - t0
    if any(dangling.values()):
        raise RuntimeError(f"the load left dangling references: {dangling}")
    timings["total_s"] = time.monotonic() - t_all

    coop.refresh_from_db()
    classes: dict[int, int] = defaultdict(int)
    arrears = 0
    for s in states.values():
        classes[s.klass] += 1
        arrears += s.dpd > 0
    accrual_loans = sum(1 for p, _m in plans if p.code in CL.ACCRUAL_CODES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c WHERE relname = ANY(%s)",
            [
                [
                    "members_member",
                    "savings_savingsaccount",
                    "savings_savingstransaction",
                    "savings_savingsdaybalance",
                    "loans_loan",
                    "loans_instalment",
                ]
            ],
        )
        sizes = {name: round(size / 1024 / 1024, 1) for name, size in cursor.fetchall()}
    stats.update(
        {
            "members": members_wanted,
            "loans": len(plans),
            "accrual_loans": accrual_loans,
            "cash_loans": len(plans) - accrual_loans,
            "loans_by_product": {
                code: sum(1 for p, _m in plans if p.code == code) for code in loan_products
            },
            "loans_in_arrears": arrears,
            "arrears_share": round(arrears / max(len(plans), 1), 3),
            "loans_by_class": dict(sorted(classes.items())),
            "instalments": instalments,
            "outstanding_total": str(outstanding),
            "accrued_interest_total": str(accrued),
            "penalty_receivable_total": str(penalties),
            "day_balance_rows": day_balances,
            "regime": regime,
            "month": f"{month_first.isoformat()}..{month_last.isoformat()}",
            "days_closed_through": last_closed.isoformat(),
            "books_closed_through": coop.books_closed_through.isoformat()
            if coop.books_closed_through
            else None,
            "table_sizes_mb": sizes,
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "copy_s": {k: round(v, 1) for k, v in C.COPY_SECONDS.items()},
            "dangling_references": sum(dangling.values()),
        }
    )
    return CloseBook(coop, month_first, month_last, first_close_day, stats)
