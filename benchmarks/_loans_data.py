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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import _setup as S
from _workers import log

TERM = 12  # instalments per loan: 300,000 loans -> 3.6 million schedule rows
OFFICERS = 8
MANAGER = ("bench-manager", "bench-manager-password-2026")
TELLER = ("bench-loan-teller", "bench-teller-password-2026")
CLOSED_SHARE = 0.08
# Arrears: how many of the most recent past-due instalments are unpaid (weights, %).
# 9 or more: loans past their maturity with most of the schedule unpaid (Diragukan, Macet).
MISSED_WEIGHTS = {
    0: 77.0,
    1: 8.0,
    2: 4.0,
    3: 3.0,
    4: 2.0,
    5: 2.0,
    6: 1.0,
    7: 1.0,
    8: 1.0,
    10: 0.5,
    12: 0.5,
}
PURPOSES = [
    "Modal usaha warung",
    "Biaya sekolah anak",
    "Renovasi rumah",
    "Pembelian motor",
    "Modal tenun ikat",
    "Pupuk dan bibit",
    "Biaya kesehatan",
    "Perahu dan jaring",
]

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
# (product code, share of loans, smallest, largest, step) of the principal.
LOAN_MIX = (
    ("PU", 40, 1_000_000, 30_000_000, 500_000),
    ("PP", 20, 5_000_000, 100_000_000, 1_000_000),
    ("PD", 10, 500_000, 5_000_000, 250_000),
    ("PK", 15, 2_000_000, 50_000_000, 1_000_000),
    ("PS", 15, 1_000_000, 10_000_000, 500_000),
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
# COPY


def _fill_columns(model: Any, given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """The columns not given and their constant values (field defaults); refuses a column
    that has neither a value nor a default, so a new NOT NULL field fails loudly here."""
    from django.db import models

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in given or f.primary_key:
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.blank and f.empty_strings_allowed:
            value = ""  # what the ORM stores for a blank text field
        else:
            raise RuntimeError(f"{model.__name__}.{f.name} needs a value in the benchmark load")
        if isinstance(f, models.JSONField):
            value = json.dumps(value)
        columns.append(f.column)
        values.append(value)
    return columns, tuple(values)


# Seconds each COPY took (generating the rows included), by table.
COPY_SECONDS: dict[str, float] = {}


def copy_rows(model: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY tuples into the model's table (other columns get their defaults); returns rows."""
    from django.db import connection

    t0 = time.monotonic()
    extra_columns, extra = _fill_columns(model, columns)
    names = ", ".join([*columns, *extra_columns])
    count = 0
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *extra))
            count += 1
    COPY_SECONDS[model._meta.db_table] = time.monotonic() - t0
    return count


def copy_text(model: Any, columns: Sequence[str], lines: Iterable[str]) -> int:
    """COPY preformatted text lines (tab-separated, `\\N` for NULL) for the bulk tables."""
    from django.db import connection

    t0 = time.monotonic()
    extra_columns, _extra = _fill_columns(model, columns)
    if extra_columns:
        raise RuntimeError(f"{model.__name__}: give every column, missing {extra_columns}")
    names = ", ".join(columns)
    count = 0
    sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write("".join(chunk))
            count += len(chunk)
    COPY_SECONDS[model._meta.db_table] = time.monotonic() - t0
    return count


@contextlib.contextmanager
def bulk_load(*big_tables: str) -> Iterator[None]:
    """Inside one transaction: foreign-key triggers off for this session (the rows are built
    consistent; checking ~8 million references at commit would take minutes) and the secondary
    indexes of `big_tables` dropped, then rebuilt in one pass each after the COPY."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        saved: list[str] = []
        for table in big_tables:
            # Not one a foreign key refers to (the tenant keys): it stays, as its index.
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS ("
                " SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'"
                " AND f.conindid = c.conindid)",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                "  WHERE c.conindid = i.indexrelid AND c.contype = 'u')",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append(definition)
                cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        t0 = time.monotonic()
        for statement in saved:
            cursor.execute(statement)
        COPY_SECONDS["rebuild_indexes"] = time.monotonic() - t0


def dangling_references(models: Iterable[Any]) -> dict[str, int]:
    """What the foreign-key triggers would have checked, as one anti-join per reference:
    rows pointing at a row that does not exist (must all be 0)."""
    from django.db import connection

    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta.db_table
                cursor.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.{f.column} IS NOT NULL AND NOT "
                    f"EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{f.column})"
                )
                found[f"{table}.{f.column}"] = cursor.fetchone()[0]
    return found


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


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
# Schedules: amounts depend on (product, principal), due dates on the disbursement date only
# (monthly, no holiday skipping), so both are computed once by the calculator and reused.


class Schedules:
    def __init__(self, products: dict[str, Any]) -> None:
        self.products = products
        self.amounts: dict[tuple[str, int], list[tuple[Decimal, ...]]] = {}
        self.text: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self.dates: dict[dt.date, list[dt.date]] = {}
        self.iso: dict[dt.date, str] = {}

    def rows(self, code: str, principal: int) -> list[tuple[Decimal, ...]]:
        """(principal, interest, payment, balance) per instalment."""
        key = (code, principal)
        found = self.amounts.get(key)
        if found is None:
            from koperasi.loans.services.terms import product_schedule

            schedule = product_schedule(
                self.products[code],
                principal=Decimal(principal),
                term=TERM,
                grace_periods=0,
                start=dt.date(2026, 1, 15),
            )
            found = [(r.principal, r.interest, r.payment, r.balance) for r in schedule.instalments]
            self.amounts[key] = found
            # "principal\tinterest\tpayment\tbalance" and "principal\tinterest" (when paid).
            self.text[key] = [
                (f"{p:.2f}\t{i:.2f}\t{pay:.2f}\t{b:.2f}", f"{p:.2f}\t{i:.2f}")
                for p, i, pay, b in found
            ]
        return found

    def due_dates(self, disbursed: dt.date) -> list[dt.date]:
        found = self.dates.get(disbursed)
        if found is None:
            from koperasi.domain.schedule import LoanTerms, build_schedule

            terms = LoanTerms(
                principal=Decimal(1_200_000),
                rate=Decimal(0),
                rate_period="month",
                periods=TERM,
                method="flat",
            )
            found = [r.due_date for r in build_schedule(terms, disbursed_on=disbursed).instalments]
            self.dates[disbursed] = found
        return found

    def isoformat(self, day: dt.date) -> str:
        text = self.iso.get(day)
        if text is None:
            text = self.iso[day] = day.isoformat()
        return text


@dataclass(frozen=True, slots=True)
class Plan:
    """One generated loan, enough to write all its rows."""

    loan_id: int
    application_id: int
    seq: int
    member_id: int
    code: str
    principal: int
    officer_id: int
    disbursed: dt.date
    paid: int  # instalments paid in full (the first `paid` rows)
    closed: bool


def _plans(
    n: int,
    first_loan_id: int,
    first_application_id: int,
    member_ids: list[int],
    officer_ids: list[int],
    schedules: Schedules,
    today: dt.date,
    rng: random.Random,
) -> list[Plan]:
    codes = [m[0] for m in LOAN_MIX]
    weights = [m[1] for m in LOAN_MIX]
    ranges = {m[0]: m[2:] for m in LOAN_MIX}
    missed_values = list(MISSED_WEIGHTS)
    missed_weights = list(MISSED_WEIGHTS.values())
    borrowers = rng.sample(member_ids, min(len(member_ids), max(1, int(n * 0.9))))
    plans = []
    for k in range(n):
        code = rng.choices(codes, weights)[0]
        low, high, step = ranges[code]
        principal = rng.randrange(low, high + step, step)
        closed = rng.random() < CLOSED_SHARE
        missed = 0 if closed else rng.choices(missed_values, missed_weights)[0]
        if closed:
            disbursed = today - dt.timedelta(days=rng.randint(380, 730))
        elif missed >= 9:
            disbursed = today - dt.timedelta(days=rng.randint(300, 540))
        else:
            disbursed = today - dt.timedelta(days=rng.randint(1, 360))
        dues = schedules.due_dates(disbursed)
        past = sum(1 for d in dues if d < today)
        paid = TERM if closed else past - min(past, missed)
        # About one member in ten of those with a loan has a second one.
        member = borrowers[k] if k < len(borrowers) else rng.choice(borrowers)
        plans.append(
            Plan(
                loan_id=first_loan_id + k,
                application_id=first_application_id + k,
                seq=k + 1,
                member_id=member,
                code=code,
                principal=principal,
                officer_id=rng.choice(officer_ids),
                disbursed=disbursed,
                paid=paid,
                closed=closed,
            )
        )
    return plans


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
    plans = _plans(
        loans_wanted,
        _next_id(Loan),
        _next_id(LoanApplication),
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
            [
                "id",
                "cooperative_id",
                "number",
                "member_id",
                "product_id",
                "principal",
                "term",
                "purpose",
                "status",
                "channel",
                "monthly_income",
                "monthly_expenses",
                "other_instalments",
                "recommendation",
                "approval_level",
                "entered_by_id",
                "analysed_by_id",
                "decided_by_id",
                "submitted_on",
                "analysed_at",
                "decided_at",
                "created_at",
            ],
            _application_rows(coop, plans, schedules, book, manager.pk, rng),
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
            _loan_rows(coop, plans, schedules, products, outcome, today, now),
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
            _instalment_lines(coop.pk, plans, schedules),
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
            _reset_sequence(model)
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


def _application_rows(
    coop: Any,
    plans: list[Plan],
    schedules: Schedules,
    book: LoanBook,
    manager_id: int,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    products = schedules.products
    limit = coop.loan_manager_approval_limit
    for p in plans:
        submitted = p.disbursed - dt.timedelta(days=3 + p.seq % 12)
        payment = schedules.rows(p.code, p.principal)[0][2]
        income = (payment * Decimal(3 + p.seq % 4) / 50_000).quantize(Decimal(1)) * 50_000
        at = dt.datetime.combine(submitted, dt.time(2, 30), tzinfo=dt.UTC)
        yield (
            p.application_id,
            coop.pk,
            f"PM-{submitted.year}-{p.seq:06d}",
            p.member_id,
            products[p.code].pk,
            Decimal(p.principal),
            TERM,
            PURPOSES[p.seq % len(PURPOSES)],
            "disbursed",
            "portal" if p.seq % 5 == 0 else "office",
            income,
            (income * Decimal("0.4")).quantize(Decimal(1)),
            Decimal(0),
            "approve",
            "manager" if not limit or p.principal <= limit else "admin",
            p.officer_id,
            p.officer_id,
            manager_id,
            submitted,
            at + dt.timedelta(days=1),
            at + dt.timedelta(days=2),
            at,
        )


def _loan_rows(
    coop: Any,
    plans: list[Plan],
    schedules: Schedules,
    products: dict[str, Any],
    outcome: dict[int, tuple[Decimal, int, int, dt.date | None]],
    today: dt.date,
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    for p in plans:
        product = products[p.code]
        dues = schedules.due_dates(p.disbursed)
        outstanding, dpd, klass, doubtful = outcome[p.loan_id]
        yield (
            p.loan_id,
            coop.pk,
            f"{p.code}-{p.seq:06d}",
            p.member_id,
            product.pk,
            p.application_id,
            p.officer_id,
            Decimal(p.principal),
            product.rate,
            product.rate_period,
            product.method,
            product.frequency,
            product.rounding,
            TERM,
            p.disbursed,
            dues[-1],
            "cash",
            "closed" if p.closed else "active",
            dues[-1] if p.closed else None,
            outstanding,
            dpd,
            klass,
            doubtful,
            today,
            now,
        )


def _instalment_lines(coop_id: int, plans: list[Plan], schedules: Schedules) -> Iterator[str]:
    """Text COPY lines; paid rows have principal and interest paid and `paid_on` set."""
    head = f"{coop_id}\t"
    unpaid = "0.00\t0.00\t0.00\t0.00\t0.00\t\\N\t\\N"
    for p in plans:
        schedules.rows(p.code, p.principal)
        text = schedules.text[(p.code, p.principal)]
        dues = schedules.due_dates(p.disbursed)
        prefix = f"{head}{p.loan_id}\t1\t"
        for i in range(TERM):
            due = schedules.isoformat(dues[i])
            # The interest period starts at the previous due date (the disbursement for no. 1).
            start = schedules.isoformat(dues[i - 1] if i else p.disbursed)
            amounts, paid_part = text[i]
            if i < p.paid:
                # Paid on the due date or up to three days before it; recognised when paid.
                paid_on = schedules.isoformat(dues[i] - dt.timedelta(days=(p.seq + i) % 4))
                interest_paid = paid_part.split("\t")[1]
                tail = f"{paid_part}\t0.00\t0.00\t0.00\t\\N\t{paid_on}\t{start}\t{interest_paid}\n"
            else:
                tail = f"{unpaid}\t{start}\t0.00\n"
            yield f"{prefix}{i + 1}\t{due}\t{amounts}\t{tail}"
