"""The loan steps of the day-end close: interest accrual, arrears with penalties and quality,
and the allowance (CKPN) adjustment.

Each runs over a batch of loan ids inside the engine's transaction
(closing/services/engine.py). The accrual is set-based SQL; arrears work in Python only on the
loans that are late (a small part of a portfolio), with the same domain rules as a repayment;
on-time loans are reset by SQL.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from koperasi.bulk import Batch, from_sen, id_ranges, to_sen, update_rows
from koperasi.domain.errors import DomainError
from koperasi.domain.loan_quality import ALLOWANCE_RATES, DPK, LANCAR
from koperasi.domain.money import CENT, ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.selectors import current_balance
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanProduct,
    LoanTransaction,
    QualitySnapshot,
)
from koperasi.loans.selectors import PAR_DAYS, QualityGroup, quality_groups
from koperasi.loans.services.common import PENALTY_KEY, gl, new_txn, save_rows
from koperasi.loans.services.quality import earned_penalty, refresh_quality
from koperasi.loans.services.terms import penalty_rule
from koperasi.tenancy.models import Cooperative


def _active(cooperative: Cooperative) -> Any:
    return Loan.objects.filter(cooperative=cooperative, status=Loan.Status.ACTIVE)


# ---------------------------------------------------------------- interest accrual

# The interest of an instalment is earned evenly over its period (period_start, due_date]:
# recognised through day D = interest × min(D − start, due − start) / (due − start), rounded
# half-up to the sen. Computed in whole sen (integers are exact on SQLite too), so closing day
# by day and catching up several days at once give the same total. A non-performing loan
# (Kurang Lancar or worse) accrues nothing: its interest is income only when paid, as banks
# and SAK EP practice do, so the books do not show income that will likely never come.
_DIALECT = {
    "postgresql": {
        "least": "LEAST",
        "greatest": "GREATEST",
        "days_to_day": "(CAST(%(day)s AS date) - i.period_start)",
        "days_to_due": "(i.due_date - i.period_start)",
    },
    "sqlite": {
        "least": "MIN",
        "greatest": "MAX",
        "days_to_day": "CAST(julianday(%(day)s) - julianday(i.period_start) AS INTEGER)",
        "days_to_due": "CAST(julianday(i.due_date) - julianday(i.period_start) AS INTEGER)",
    },
}


def _accrual_sql(vendor: str) -> str:
    """The increments of the batch's accruing rows into a temporary table `close_accrual`."""
    d = _DIALECT[vendor]
    sen = to_sen
    least, greatest = d["least"], d["greatest"]
    return f"""
CREATE TEMP TABLE close_accrual AS
SELECT i.id AS instalment_id, i.loan_id AS loan_id, l.product_id AS product_id,
       {least}(full_sen, (interest_sen * elapsed * 2 + period) / (2 * period)) - accrued_sen
           AS inc_sen
FROM (
    SELECT i.id, i.loan_id, i.version,
           {sen("i.interest")} AS interest_sen,
           {sen("i.interest - i.interest_waived")} AS full_sen,
           {sen("i.interest_accrued")} AS accrued_sen,
           {least}({d["days_to_day"]}, {d["days_to_due"]}) AS elapsed,
           {greatest}({d["days_to_due"]}, 1) AS period
    FROM loans_instalment i
    WHERE i.cooperative_id = %(coop)s
      AND i.period_start < %(day)s
      AND i.interest_accrued < i.interest - i.interest_waived
      AND i.loan_id BETWEEN %(first)s AND %(last)s
) i
JOIN loans_loan l ON l.id = i.loan_id
JOIN loans_loanproduct p ON p.id = l.product_id
WHERE l.status = 'active' AND p.accounting = 'accrual' AND i.version = l.schedule_version
  AND l.collectibility <= %(accruing_classes)s
"""


def accrual_ranges(cooperative: Cooperative, day: dt.date) -> list[tuple[int, int]]:
    return id_ranges(_active(cooperative).filter(product__accounting="accrual"))


def accrue_interest(batch: Batch) -> int:
    """Recognise the interest the batch's accrual-basis loans earned through the day: one entry
    per product (Dr interest receivable, Cr interest income), a `LoanAccrual` row per
    instalment, and the instalments' and loans' accrued interest."""
    cooperative, vendor = batch.cooperative, connection.vendor
    _lock_loans(
        _active(cooperative).filter(
            pk__range=(batch.first_id, batch.last_id), product__accounting="accrual"
        )
    )
    params = {
        "coop": cooperative.pk,
        "day": batch.day,
        "first": batch.first_id,
        "last": batch.last_id,
        "accruing_classes": DPK,
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS close_accrual")
        cursor.execute(_accrual_sql(vendor), params)
        cursor.execute(
            "SELECT product_id, SUM(inc_sen), COUNT(*) FROM close_accrual WHERE inc_sen > 0"
            " GROUP BY product_id ORDER BY product_id"
        )
        totals = cursor.fetchall()
        if not totals:
            cursor.execute("DROP TABLE close_accrual")
            return 0
        entries = {
            product_id: _post_accrual(batch, product_id, Decimal(total_sen) * CENT).pk
            for product_id, total_sen, _count in totals
        }
        entry_case = " ".join(f"WHEN {int(p)} THEN {int(e)}" for p, e in entries.items())
        cursor.execute(
            "INSERT INTO loans_loanaccrual"
            " (cooperative_id, loan_id, instalment_id, business_date, amount, journal_entry_id)"
            f" SELECT %(coop)s, loan_id, instalment_id, %(day)s, {from_sen('inc_sen')},"
            f" CASE product_id {entry_case} END"
            " FROM close_accrual WHERE inc_sen > 0",
            params,
        )
        added = from_sen(f"{to_sen('accrued_interest')} + t.inc_sen")
        cursor.execute(
            f"UPDATE loans_loan SET accrued_interest = {added}"
            " FROM (SELECT loan_id, SUM(inc_sen) AS inc_sen FROM close_accrual"
            " WHERE inc_sen > 0 GROUP BY loan_id) t WHERE loans_loan.id = t.loan_id"
        )
        added = from_sen(f"{to_sen('interest_accrued')} + t.inc_sen")
        cursor.execute(
            f"UPDATE loans_instalment SET interest_accrued = {added}"
            " FROM close_accrual t WHERE loans_instalment.id = t.instalment_id"
            " AND t.inc_sen > 0"
        )
        cursor.execute("DROP TABLE close_accrual")
    return sum(count for _p, _t, count in totals)


def _post_accrual(batch: Batch, product_id: int, total: Decimal) -> Any:
    product = LoanProduct.objects.only("code").get(pk=product_id)
    return ledger.post_entry(
        cooperative=batch.cooperative,
        actor=batch.actor,
        lines=[
            ledger.Line(gl(batch.cooperative, "interest_receivable"), debit=total),
            ledger.Line(gl(batch.cooperative, "loan_interest_income"), credit=total),
        ],
        memo=f"Akrual bunga pinjaman {product.code} {batch.day.strftime('%d/%m/%Y')}",
        source="close",
        source_ref=product.code,
        idempotency_key=batch.key("product", product_id),
        business_date=batch.day,
        allow_control=True,
        closing=True,
    )


def _lock_loans(loans: Any) -> None:
    """Lock the loans in id order before reading their rows: a repayment running meanwhile
    either finished first (and is seen) or waits; the order rules out deadlocks with it."""
    if connection.vendor == "postgresql":
        list(loans.order_by("pk").select_for_update().values_list("pk", flat=True))


# ---------------------------------------------------------------- arrears, penalties, quality


def arrears_ranges(cooperative: Cooperative, day: dt.date) -> list[tuple[int, int]]:
    return id_ranges(_active(cooperative))


def assess_arrears(batch: Batch) -> int:
    """Days past due, penalties and the kolektibilitas class of the batch's loans as of the day.

    Loans with nothing overdue become Lancar in one statement; late loans are assessed with the
    same functions as a repayment. A loan already assessed as of this day or later (by a
    repayment) is left as it is.
    """
    cooperative, day = batch.cooperative, batch.day
    loans = _active(cooperative).filter(pk__range=(batch.first_id, batch.last_id))
    late_rows = Instalment.objects.filter(
        # The batch's range repeated inside, so the plan reads only this batch's rows.
        loan_id__gte=batch.first_id,
        loan_id__lte=batch.last_id,
        loan=OuterRef("pk"),
        version=OuterRef("schedule_version"),
        paid_on__isnull=True,
        due_date__lt=day,
    )
    not_assessed = Q(assessed_on__isnull=True) | Q(assessed_on__lt=day)
    on_time = (
        loans.filter(not_assessed)
        .filter(~Q(days_past_due=0, collectibility=LANCAR) | Q(doubtful_since__isnull=False))
        .exclude(Exists(late_rows))
        .update(days_past_due=0, collectibility=LANCAR, doubtful_since=None, assessed_on=day)
    )
    late = list(
        loans.filter(not_assessed)
        .filter(Exists(late_rows))
        .select_related("product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    if not late:
        return on_time
    rows_by_loan: dict[int, list[Instalment]] = defaultdict(list)
    for row in Instalment.objects.filter(
        loan__in=late, version=F("loan__schedule_version")
    ).order_by("loan_id", "no"):
        rows_by_loan[row.loan_id].append(row)
    changed_rows: list[Instalment] = []
    penalties: list[tuple[Loan, Decimal]] = []
    booked = ZERO
    for loan in late:
        rows = rows_by_loan[loan.pk]
        try:
            added = _add_penalties(loan, rows, day, changed_rows)
        except DomainError as exc:
            # Name the loan and its product, so the manager knows what to fix.
            raise ServiceError(
                "product_misconfigured",
                _("Loan %(loan)s (product %(product)s) cannot be assessed: %(reason)s")
                % {"loan": loan.number, "product": loan.product.code, "reason": exc.message},
            ) from exc
        if added:
            penalties.append((loan, added))
            if loan.product.accounting == LoanProduct.Accounting.ACCRUAL:
                loan.penalty_receivable += added
                booked += added
        refresh_quality(cooperative, loan, rows, day)
    save_rows(changed_rows, ("penalty", "penalty_through"))
    entry = _post_penalties(batch, booked) if booked else None
    update_rows(
        Loan,
        late,
        ["days_past_due", "collectibility", "doubtful_since", "assessed_on", "penalty_receivable"],
    )
    LoanTransaction.objects.bulk_create(
        [
            new_txn(
                loan=loan,
                kind=LoanTransaction.Kind.PENALTY,
                channel=LoanTransaction.Channel.SYSTEM,
                entry=entry if loan.product.accounting == LoanProduct.Accounting.ACCRUAL else None,
                key=PENALTY_KEY % (loan.pk, day.isoformat()),
                actor=batch.actor,
                amount=added,
                penalty=added,
                on=day,
            )
            for loan, added in penalties
        ],
        batch_size=2000,
    )
    return on_time + len(late)


def _add_penalties(
    loan: Loan, rows: list[Instalment], day: dt.date, changed: list[Instalment]
) -> Decimal:
    """The penalty the loan's late rows earned up to the day (rows are updated in memory)."""
    product = loan.product
    if product.penalty_kind == LoanProduct.PenaltyKind.NONE:
        return ZERO
    rule = penalty_rule(product)
    total = ZERO
    for row in rows:
        late = row.due_date < day and row.principal_due + row.interest_due > 0
        if not late or (row.penalty_through is not None and row.penalty_through >= day):
            continue
        added = earned_penalty(rule, row, day)
        row.penalty += added
        row.penalty_through = day
        total += added
        changed.append(row)
    return total


def _post_penalties(batch: Batch, total: Decimal) -> Any:
    return ledger.post_entry(
        cooperative=batch.cooperative,
        actor=batch.actor,
        lines=[
            ledger.Line(gl(batch.cooperative, "penalty_receivable"), debit=total),
            ledger.Line(gl(batch.cooperative, "penalty_income"), credit=total),
        ],
        memo=f"Denda pinjaman {batch.day.strftime('%d/%m/%Y')}",
        source="close",
        idempotency_key=batch.key("penalty"),
        business_date=batch.day,
        allow_control=True,
        closing=True,
    )


# ---------------------------------------------------------------- allowance (CKPN)


def adjust_allowance(batch: Batch) -> int:
    """The allowance each class requires (BPR-style rates, net of collateral below Lancar),
    kept as the day's snapshot with the portfolio at risk; one entry moves the allowance
    account to the total."""
    cooperative, day = batch.cooperative, batch.day
    per_class = {g.collectibility: g for g in quality_groups(cooperative=cooperative)}
    snapshots = []
    required = ZERO
    for klass in sorted(ALLOWANCE_RATES):
        group = per_class.get(klass) or QualityGroup(klass, 0, ZERO, ZERO, (ZERO,) * len(PAR_DAYS))
        required += group.allowance
        par = dict(zip(PAR_DAYS, group.at_risk, strict=True))
        snapshots.append(
            QualitySnapshot(
                cooperative=cooperative,
                business_date=day,
                collectibility=klass,
                loans=group.loans,
                outstanding=group.outstanding,
                collateral=group.collateral,
                allowance=group.allowance,
                par1=par[1],
                par30=par[30],
                par60=par[60],
                par90=par[90],
            )
        )
    QualitySnapshot.objects.bulk_create(snapshots)
    account = ledger.account_by_role(cooperative, "loan_allowance")
    # A contra-asset: its credit balance (negative here) is the allowance held.
    # Locked, as a write-off using the allowance locks it: one decides after the other.
    held = -current_balance(account, lock=True)
    change = required - held
    if change:
        expense = ledger.account_by_role(cooperative, "allowance_expense")
        lines = (
            [ledger.Line(expense, debit=change), ledger.Line(account, credit=change)]
            if change > 0
            else [ledger.Line(account, debit=-change), ledger.Line(expense, credit=-change)]
        )
        ledger.post_entry(
            cooperative=cooperative,
            actor=batch.actor,
            lines=lines,
            memo=f"Penyesuaian CKPN {day.strftime('%d/%m/%Y')}",
            source="close",
            idempotency_key=batch.key(),
            business_date=day,
            closing=True,
        )
    return sum(s.loans for s in snapshots)
