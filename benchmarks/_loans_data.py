"""A loan book of realistic shape, loaded with COPY in minutes (benchmarks/loans.py).

Disbursing 300,000 loans through `loans.services.disburse` would take hours and is not what the
benchmark measures, so the rows are written directly, but valid: the same products (through
`create_product`), schedules from the same calculator (`domain.schedule.build_schedule`), and
books that verify (`loan_violations`, `ledger_violations`):

- members (COPY, `_setup.MemberFactory`), about 45 % of them with a loan, a sukarela account each
  (a repayment's excess on a "to savings" product goes there);
- 8 loan officers, a manager and a teller (users and staff roles through the services);
- per loan an application (disbursed), the loan and its 12 monthly instalment rows (version 1),
  and for the collateral-backed product one collateral row;
- instalments due before today are paid (principal and interest, `paid_on` set) except for the
  most recent ones of loans in arrears, so `outstanding_principal` = unpaid principal of the
  schedule, and `days_past_due` and the class (`domain.loan_quality.classify`, the
  cooperative's regime) follow from the rows; about 8 % of the loans are paid off (closed);
- ONE journal entry through `ledger.post_entry(allow_control=True)`: Dr loans receivable, Cr cash,
  for the total outstanding, and one DISBURSEMENT LoanTransaction per loan pointing at it with
  principal = the loan's outstanding, so the sub-ledger reconciles to its control account.

Simplifications (stated in docs/performance.md): no guarantor or document rows, no accrued
interest or penalties yet (the first repayment on a loan in arrears assesses its penalty), no
restructured or written-off loans.


The loans' plans and rows: `_loans_rows.py`; COPY: `_copy.py`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import _setup as S
from _copy import (
    COPY_SECONDS,
    bulk_load,
    copy_rows,
    copy_text,
    dangling_references,
    next_id,
    reset_sequence,
)
from _loans_rows import (
    APPLICATION_COLUMNS,
    TERM,
    Schedules,
    application_rows,
    instalment_lines,
    loan_rows,
    plan_loans,
)
from _workers import log

OFFICERS = 8
MANAGER = ("bench-manager", "bench-manager-password-2026")
TELLER = ("bench-loan-teller", "bench-teller-password-2026")

# Besides the three every cooperative starts with (PU, PP, PD): two more, through the service.
EXTRA_PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "code": "PK",
        "name": "Pinjaman Konsumtif",
        "method": "anuitas",
        "rate": Decimal("1.25"),
        "rate_period": "month",
        "rounding": "100",
        "min_term": 3,
        "max_term": 36,
        "min_principal": Decimal("1000000"),
        "max_principal": Decimal("75000000"),
        "provisi_pct": Decimal("1"),
        "penalty_kind": "pct_day",
        "penalty_rate": Decimal("0.05"),
        "penalty_cap_pct": Decimal("10"),
    },
    {
        "code": "PS",
        "name": "Pinjaman Pendidikan",
        "method": "flat",
        "rate": Decimal("0.9"),
        "rate_period": "month",
        "rounding": "1000",
        "min_term": 6,
        "max_term": 24,
        "min_principal": Decimal("500000"),
        "max_principal": Decimal("15000000"),
        "admin_fee": Decimal("15000"),
    },
)

Active = tuple[Decimal, str, int, dt.date]


@dataclass
class LoanBook:
    """What the benchmark needs to know about the loaded book."""

    cooperative: Any
    manager: Any
    teller: Any
    officer_ids: list[int]
    product_ids: dict[str, int]
    today: dt.date
    # Active loans: id -> (amount of the first unpaid instalment, product code, days past due,
    # due date of the first unpaid instalment).
    active: dict[int, Active] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Staff and products


def _staff(coop: Any) -> tuple[Any, Any, list[int]]:
    from django.contrib.auth import get_user_model

    from koperasi.tenancy import services as tenancy

    users = get_user_model().objects
    manager = users.create_user(username=MANAGER[0], password=MANAGER[1], first_name="Maria")
    tenancy.add_staff(cooperative=coop, actor=None, user=manager, role="manager")
    teller = users.create_user(username=TELLER[0], password=TELLER[1], first_name="Yohanes")
    tenancy.add_staff(cooperative=coop, actor=None, user=teller, role="teller")
    officers = []
    for i in range(OFFICERS):
        user = users.create_user(
            username=f"bench-officer-{i + 1}", password=None, first_name=S.MEN[i], last_name="AO"
        )
        tenancy.add_staff(cooperative=coop, actor=None, user=user, role="loan_officer")
        officers.append(user.pk)
    return manager, teller, officers


def _products(coop: Any) -> dict[str, Any]:
    from koperasi.loans import services as loans
    from koperasi.loans.models import LoanProduct

    for spec in EXTRA_PRODUCTS:
        fields = dict(spec)
        code, name = fields.pop("code"), fields.pop("name")
        loans.create_product(cooperative=coop, actor=None, code=code, name=name, **fields)
    return {p.code: p for p in LoanProduct.objects.filter(cooperative=coop)}


# ---------------------------------------------------------------------------------------------
# The load


def load(
    loans_wanted: int, members_wanted: int, seed: int = 20261124
) -> tuple[LoanBook, S.MemberFactory]:
    """Cooperative, staff, products, members, the loan book and its journal entry; ANALYZE."""

    from koperasi.domain.loan_quality import DIRAGUKAN, classify
    from koperasi.ledger import services as ledger
    from koperasi.loans.models import (
        Collateral,
        Instalment,
        Loan,
        LoanApplication,
        LoanTransaction,
    )
    from koperasi.tenancy.models import Cooperative

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    t_all = t0 = time.monotonic()
    coop = S.create_cooperative()
    manager, teller, officer_ids = _staff(coop)
    products = _products(coop)
    timings["cooperative_staff_products_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    factory = S.MemberFactory()
    timings["copy_members_s"] = S.copy_members(factory, coop, 1, members_wanted)
    S.create_sukarela_accounts(coop, members_wanted)
    from koperasi.members.models import Member

    member_ids = list(
        Member.objects.filter(cooperative=coop).order_by("pk").values_list("pk", flat=True)
    )
    timings["members_and_savings_s"] = time.monotonic() - t0
    log(f"{len(member_ids):,} members with a sukarela account each")

    t0 = time.monotonic()
    today = ledger.business_today(coop)
    regime = str(coop.collectibility_regime)
    schedules = Schedules(products)
    plans = plan_loans(
        loans_wanted,
        next_id(Loan),
        next_id(LoanApplication),
        member_ids,
        officer_ids,
        schedules,
        today,
        rng,
    )
    # Per loan: outstanding, days past due, class; the next instalment's amount if active.
    outcome: dict[int, tuple[Decimal, int, int, dt.date | None]] = {}
    book = LoanBook(
        cooperative=coop,
        manager=manager,
        teller=teller,
        officer_ids=officer_ids,
        product_ids={code: p.pk for code, p in products.items()},
        today=today,
    )
    for plan in plans:
        rows = schedules.rows(plan.code, plan.principal)
        dues = schedules.due_dates(plan.disbursed)
        outstanding = rows[plan.paid - 1][3] if plan.paid else Decimal(plan.principal)
        if plan.closed:
            outcome[plan.loan_id] = (outstanding, 0, 1, None)
            continue
        first_unpaid = plan.paid  # index of the first unpaid row
        late = [i for i in range(first_unpaid, TERM) if dues[i] < today]
        dpd = (today - dues[first_unpaid]).days if late else 0
        debt = outstanding + sum((rows[i][1] for i in late), Decimal(0))
        collateral = Decimal(plan.principal) * Decimal("1.2") if plan.code == "PP" else Decimal(0)
        klass = classify(
            regime,
            days_past_due=dpd,
            oldest_unpaid_principal_due=dues[first_unpaid] if late else None,
            as_of=today,
            frequency="monthly",
            collateral_value=collateral,
            debt=debt,
        )
        doubtful = today if klass == DIRAGUKAN else None
        outcome[plan.loan_id] = (outstanding, dpd, klass, doubtful)
        book.active[plan.loan_id] = (rows[first_unpaid][2], plan.code, dpd, dues[first_unpaid])
    timings["plan_s"] = time.monotonic() - t0
    total = sum((o[0] for o in outcome.values()), Decimal(0))
    log(f"{len(plans):,} loans planned ({len(book.active):,} active), outstanding Rp {total:,.2f}")

    now = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    with bulk_load(Instalment._meta.db_table, LoanTransaction._meta.db_table):
        entry = ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=[
                ledger.Line(ledger.account_by_role(coop, "loans_receivable"), debit=total),
                ledger.Line(ledger.account_by_role(coop, "cash"), credit=total),
            ],
            memo="Saldo awal pinjaman (beban benchmark)",
            source="loans",
            source_ref="benchmark",
            idempotency_key="bench:opening-loan-book",
            allow_control=True,
        )
        timings["applications"] = copy_rows(
            LoanApplication,
            APPLICATION_COLUMNS,
            application_rows(coop, plans, schedules, manager.pk, rng),
        )
        timings["loans"] = copy_rows(
            Loan,
            [
                "id",
                "cooperative_id",
                "number",
                "member_id",
                "product_id",
                "application_id",
                "officer_id",
                "principal",
                "rate",
                "rate_period",
                "method",
                "frequency",
                "rounding",
                "term",
                "disbursed_on",
                "maturity_date",
                "disbursed_to",
                "status",
                "closed_on",
                "outstanding_principal",
                "days_past_due",
                "collectibility",
                "doubtful_since",
                "assessed_on",
                "created_at",
            ],
            loan_rows(coop, plans, schedules, products, outcome, today, now),
        )
        timings["instalments"] = copy_text(
            Instalment,
            [
                "cooperative_id",
                "loan_id",
                "version",
                "no",
                "due_date",
                "principal",
                "interest",
                "payment",
                "balance",
                "principal_paid",
                "interest_paid",
                "interest_waived",
                "penalty",
                "penalty_paid",
                "penalty_through",
                "paid_on",
                "period_start",
                "interest_accrued",
            ],
            instalment_lines(coop.pk, plans, schedules),
        )
        timings["collaterals"] = copy_rows(
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
                for p in plans
                if p.code == "PP"
            ),
        )
        timings["transactions"] = copy_rows(
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
                    outcome[p.loan_id][0],
                    outcome[p.loan_id][0],
                    outcome[p.loan_id][0],
                    entry.pk,
                    f"bench-opening:{p.loan_id}",
                    "Saldo awal (beban benchmark)",
                    now,
                )
                for p in plans
            ),
        )
        for model in (LoanApplication, Loan):
            reset_sequence(model)
        Cooperative.objects.filter(pk=coop.pk).update(
            application_seq=len(plans), loan_seq=len(plans)
        )
    timings["copy_loan_book_s"] = time.monotonic() - t0
    log(
        f"COPY: {timings['applications']:,} applications, {timings['loans']:,} loans, "
        f"{timings['instalments']:,} instalments, {timings['collaterals']:,} collaterals, "
        f"{timings['transactions']:,} transactions in {timings['copy_loan_book_s']:.1f} s"
    )
    t0 = time.monotonic()
    S.run_sql("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    dangling = dangling_references([LoanApplication, Loan, Instalment, Collateral, LoanTransaction])
    timings["reference_check_s"] = time.monotonic() - t0
    if any(dangling.values()):
        raise RuntimeError(f"the load left dangling references: {dangling}")
    timings["total_s"] = time.monotonic() - t_all
    coop.refresh_from_db()
    classes: dict[int, int] = {}
    dpd_buckets = {"0": 0, "1-30": 0, "31-90": 0, "91-180": 0, ">180": 0}
    for loan_id in book.active:
        _o, dpd, klass, _d = outcome[loan_id]
        classes[klass] = classes.get(klass, 0) + 1
        bucket = (
            "0"
            if dpd == 0
            else "1-30"
            if dpd <= 30
            else "31-90"
            if dpd <= 90
            else "91-180"
            if dpd <= 180
            else ">180"
        )
        dpd_buckets[bucket] += 1
    book.cooperative = coop
    book.stats = {
        "loans": len(plans),
        "active": len(book.active),
        "closed": len(plans) - len(book.active),
        "members": len(member_ids),
        "borrowers": len({p.member_id for p in plans}),
        "instalments": timings["instalments"],
        "products": {code: sum(1 for p in plans if p.code == code) for code in products},
        "officers": len(officer_ids),
        "active_by_class": dict(sorted(classes.items())),
        "active_by_days_past_due": dpd_buckets,
        "outstanding_total": str(total),
        "regime": regime,
        "today": today.isoformat(),
        "timings_s": {k: round(v, 1) for k, v in timings.items() if k.endswith("_s")},
        "copy_s": {k: round(v, 1) for k, v in COPY_SECONDS.items()},
        "dangling_references": sum(dangling.values()),
    }
    return book, factory
