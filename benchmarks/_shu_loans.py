"""The SHU benchmark's loans (benchmarks/shu.py, loaded by `_shu_data.load`): the close
benchmark's plans, states and rows (`_close_loans`, `_loans_rows`) as of D0 = 28 Feb Y+1, with
their movement history, loaded with COPY.

- Loans for about `loan_share` of the members: `_close_loans.plan_loans` (12 monthly
  instalments, ~10 % in arrears), so most are disbursed in Y, some in Y-1 or Y+1, and
  repayments fall in Y-1, Y and Y+1. Per loan a DISBURSEMENT transaction (+principal) and a
  REPAYMENT per paid instalment (−principal, its interest), so Σ principal movements =
  outstanding. About 1 % of the loans with a repayment in Y also have a repayment entered twice
  and its REVERSAL (the interest nets to 0).
- Journal entries through `ledger.post_entry`, in aggregate, so the loans receivable equals its
  sub-ledger: one per month for the disbursements (Dr loans receivable, Cr cash) and one per
  month for the repayments (Dr cash, Cr loans receivable and the interest: loan interest income
  in Y and later, the retained surplus before Y, as if year Y-1 had been closed); the interest
  accrued and penalties booked as of D0 (dated D0, in Y+1).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import _close_loans as CL
import _copy as C
import _loans_rows as LR

REVERSED_EVERY = 97  # loans whose sequence number is a multiple: a repayment entered twice

LOAN_TXN_COLUMNS = [
    "id",
    "cooperative_id",
    "loan_id",
    "kind",
    "channel",
    "business_date",
    "amount",
    "principal",
    "interest",
    "penalty",
    "fee",
    "excess",
    "allocation",
    "outstanding_after",
    "journal_entry_id",
    "idempotency_key",
    "note",
    "reverses_id",
    "actor_id",
    "created_at",
]

# (kind, day, amount, principal (signed), interest, outstanding after, reverses the previous row)
Move = tuple[str, dt.date, Decimal, Decimal, Decimal, Decimal, bool]


def _loan_moves(plan: LR.Plan, schedules: LR.Schedules, d0: dt.date, year: int) -> list[Move]:
    rows = schedules.rows(plan.code, plan.principal)
    dues = schedules.due_dates(plan.disbursed)
    principal = Decimal(plan.principal)
    moves: list[Move] = [
        ("disbursement", plan.disbursed, principal, principal, Decimal(0), principal, False)
    ]
    twice = plan.seq % REVERSED_EVERY == 0
    for i in range(plan.paid):
        # The day `_close_loans.instalment_lines` marks the instalment paid.
        on = min(dues[i] - dt.timedelta(days=(plan.seq + i) % 4), d0)
        p, interest, _payment, balance = rows[i]
        moves.append(("repayment", on, p + interest, -p, interest, balance, False))
        if twice and on.year == year:
            # Entered twice by mistake, then reversed: the interest nets to 0.
            moves.append(("repayment", on, p + interest, -p, interest, balance - p, False))
            moves.append(("reversal", on, -p - interest, p, -interest, balance, True))
            twice = False
    return moves


def load_loans(
    coop: Any,
    manager: Any,
    officer_ids: list[int],
    products: dict[str, Any],
    n_loans: int,
    year: int,
    d0: dt.date,
    seed: int,
    timings: dict,
) -> dict[str, Any]:
    from koperasi.ledger import services as ledger
    from koperasi.loans.models import (
        Collateral,
        Instalment,
        Loan,
        LoanApplication,
        LoanTransaction,
    )
    from koperasi.loans.services.terms import penalty_rule
    from koperasi.members.models import Member
    from koperasi.tenancy.models import Cooperative

    t0 = time.monotonic()
    rng = random.Random(seed)
    member_ids = list(
        Member.objects.filter(cooperative=coop).order_by("pk").values_list("pk", flat=True)
    )
    schedules = LR.Schedules(products)
    plans = CL.plan_loans(
        n_loans,
        C.next_id(Loan),
        C.next_id(LoanApplication),
        member_ids,
        officer_ids,
        schedules,
        d0,
        d0,
        rng,
    )
    del member_ids
    regime = str(coop.collectibility_regime)
    rules = {code: penalty_rule(p) for code, p in products.items()}
    states = {
        plan.loan_id: CL.loan_state(
            plan, products[plan.code], rules[plan.code], schedules, regime, d0
        )
        for plan, _missed in plans
    }
    # The month totals of the movements (pass 1).
    disbursed: dict[tuple[int, int], list[Any]] = {}
    repaid: dict[tuple[int, int], list[Any]] = {}
    counts = {"disbursement": 0, "repayment": 0, "reversal": 0}
    interest_y = Decimal(0)
    borrowers_y: set[int] = set()
    for plan, _missed in plans:
        for kind, on, _amount, principal, interest, _after, _rev in _loan_moves(
            plan, schedules, d0, year
        ):
            counts[kind] += 1
            groups = disbursed if kind == "disbursement" else repaid
            group = groups.setdefault((on.year, on.month), [Decimal(0), Decimal(0), on])
            group[0] += principal
            group[1] += interest
            group[2] = max(group[2], on)
            if on.year == year and kind != "disbursement":
                interest_y += interest
                borrowers_y.add(plan.member_id)
    timings["plan_loans_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    cash = ledger.account_by_role(coop, "cash")
    receivable = ledger.account_by_role(coop, "loans_receivable")
    income = ledger.account_by_role(coop, "loan_interest_income")
    retained = ledger.account_by_role(coop, "retained_surplus")
    entries: dict[tuple[str, tuple[int, int]], int] = {}

    def post(lines: list[Any], memo: str, key: str, on: dt.date) -> int:
        return ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=lines,
            memo=memo,
            source="loans",
            source_ref="benchmark",
            idempotency_key=key,
            business_date=on,
            allow_control=True,
        ).pk

    for (y, m), (principal, _interest, latest) in sorted(disbursed.items()):
        entries[("disbursement", (y, m))] = post(
            [ledger.Line(receivable, debit=principal), ledger.Line(cash, credit=principal)],
            f"Pencairan pinjaman {m:02d}/{y} (beban benchmark)",
            f"bench:loans:disbursed:{y}-{m:02d}",
            latest,
        )
    for (y, m), (principal, interest, latest) in sorted(repaid.items()):
        # Before Y the interest was income of a closed year: in the retained surplus.
        lines = [
            ledger.Line(cash, debit=interest - principal),
            ledger.Line(receivable, credit=-principal),
        ]
        if interest:
            lines.append(ledger.Line(income if y >= year else retained, credit=interest))
        entries[("repayment", (y, m))] = post(
            lines,
            f"Angsuran pinjaman {m:02d}/{y} (beban benchmark)",
            f"bench:loans:repaid:{y}-{m:02d}",
            latest,
        )
    accrued = Decimal(sum(s.accrued_sen for s in states.values())) / 100
    penalties = Decimal(sum(s.penalty_booked_sen for s in states.values())) / 100
    for role_dr, role_cr, total in (
        ("interest_receivable", "loan_interest_income", accrued),
        ("penalty_receivable", "penalty_income", penalties),
    ):
        if total:
            post(
                [
                    ledger.Line(ledger.account_by_role(coop, role_dr), debit=total),
                    ledger.Line(ledger.account_by_role(coop, role_cr), credit=total),
                ],
                f"{role_dr} per {d0.isoformat()} (beban benchmark)",
                f"bench:loans:{role_dr}",
                d0,
            )
    timings["loan_entries_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    only_plans = [p for p, _m in plans]
    now = dt.datetime.now(dt.UTC)
    C.copy_rows(
        LoanApplication,
        LR.APPLICATION_COLUMNS,
        LR.application_rows(coop, only_plans, schedules, manager.pk, rng),
    )
    C.copy_rows(
        Loan, CL.LOAN_COLUMNS, CL.loan_rows(coop, plans, states, schedules, products, d0, now)
    )
    instalments = C.copy_text(
        Instalment,
        CL.INSTALMENT_COLUMNS,
        CL.instalment_lines(coop.pk, plans, states, schedules, d0),
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
    first_txn = C.next_id(LoanTransaction)
    created = now.isoformat()

    def txn_lines() -> Iterator[str]:
        pk = first_txn
        for plan in only_plans:
            for n, (kind, on, amount, principal, interest, after, rev) in enumerate(
                _loan_moves(plan, schedules, d0, year)
            ):
                group = "disbursement" if kind == "disbursement" else "repayment"
                entry = entries[(group, (on.year, on.month))]
                yield (
                    f"{pk}\t{coop.pk}\t{plan.loan_id}\t{kind}\tteller\t{schedules.isoformat(on)}\t"
                    f"{amount:.2f}\t{principal:.2f}\t{interest:.2f}\t0.00\t0.00\t"
                    f"0.00\t[]\t{after:.2f}\t{entry}\tbench:{plan.loan_id}:{n}\t\t"
                    f"{pk - 1 if rev else chr(92) + 'N'}\t\\N\t{created}\n"
                )
                pk += 1

    C.copy_text(LoanTransaction, LOAN_TXN_COLUMNS, txn_lines())
    for model in (LoanApplication, Loan, LoanTransaction):
        C.reset_sequence(model)
    Cooperative.objects.filter(pk=coop.pk).update(application_seq=len(plans), loan_seq=len(plans))
    timings["copy_loans_s"] = time.monotonic() - t0
    return {
        "loans": len(plans),
        "borrowers": len({p.member_id for p in only_plans}),
        "borrowers_with_repayments_in_y": len(borrowers_y),
        "instalments": instalments,
        "transactions": counts,
        "loan_interest_paid_in_y": str(interest_y),
        "accrued_interest_at_d0": str(accrued),
        "penalties_booked_at_d0": str(penalties),
        "d0": d0.isoformat(),
        "journal_entries": len(entries),
        "_interest_y": interest_y,
    }
