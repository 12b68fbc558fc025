"""The savings steps of the close: end-of-day balances and time-deposit maturities (day-end);
interest with its final tax and the wajib bills (month-end).

Each runs inside the engine's transaction for one batch (closing/engine.py).
"""

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from koperasi.bulk import from_sen, to_sen, update_rows
from koperasi.closing.engine import Batch, id_ranges
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.domain.savings_interest import BalanceSpan, final_tax, member_tax, period_interest
from koperasi.ledger import services as ledger
from koperasi.ledger.selectors import grouped_sums
from koperasi.members.models import Member
from koperasi.savings import selectors, services
from koperasi.savings.models import (
    SavingsAccount,
    SavingsDayBalance,
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


def _earning(cooperative: Cooperative) -> Any:
    """Accounts of products that pay interest."""
    return SavingsAccount.objects.filter(cooperative=cooperative).exclude(
        product__interest_method=SavingsProduct.InterestMethod.NONE
    )


# ---------------------------------------------------------------- day-end


def record_day_balances(batch: Batch) -> int:
    """The end-of-day balance of every interest-earning account that moved on the day.

    The balance now minus what was posted after the day: teller work dated the next day may
    already be in (the day was closed to it first).
    """
    balance = from_sen(
        f"{to_sen('a.balance')} - COALESCE((SELECT SUM({to_sen('l.amount')})"
        " FROM savings_savingstransaction l WHERE l.account_id = a.id"
        " AND l.business_date > %(day)s), 0)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO savings_savingsdaybalance"
            " (cooperative_id, account_id, business_date, balance)"
            f" SELECT %(coop)s, a.id, %(day)s, {balance}"
            " FROM savings_savingsaccount a"
            " JOIN savings_savingsproduct p ON p.id = a.product_id"
            " WHERE p.interest_method <> 'none' AND a.id IN ("
            "  SELECT t.account_id FROM savings_savingstransaction t"
            "  WHERE t.cooperative_id = %(coop)s AND t.business_date = %(day)s)",
            {"coop": batch.cooperative.pk, "day": batch.day},
        )
        return max(cursor.rowcount, 0)


def pay_maturities(batch: Batch) -> int:
    """Time deposits due on or before the day: rolled over for another term, or paid into the
    member's sukarela account, as each account says."""
    cooperative, day = batch.cooperative, batch.day
    due = SavingsAccount.objects.filter(
        cooperative=cooperative,
        product__kind=SavingsKind.BERJANGKA,
        status=SavingsAccount.Status.OPEN,
        maturity_date__lte=day,
        balance__gt=0,
    ).select_related("product", "member")
    count = 0
    for account in due.order_by("pk"):
        if account.on_maturity == SavingsAccount.OnMaturity.ROLL_OVER:
            maturity = account.maturity_date
            while maturity is not None and maturity <= day:
                maturity = add_months(maturity, account.product.term_months or 1)
            SavingsAccount.objects.filter(pk=account.pk).update(maturity_date=maturity)
        else:
            sukarela = selectors.sukarela_account_of(
                cooperative=cooperative, member=account.member
            ) or services.open_account(
                cooperative=cooperative,
                actor=batch.actor,
                member=account.member,
                product=services._product(cooperative, SavingsKind.SUKARELA),
                opened_on=day,
            )
            services.transfer(
                cooperative=cooperative,
                actor=batch.actor,
                from_account_id=account.pk,
                to_account_id=sukarela.pk,
                amount=account.balance,
                idempotency_key=f"close:{day.isoformat()}:maturity:{account.pk}",
                note="Jatuh tempo simpanan berjangka",
                business_date=day,
                channel="system",
                closing=True,
            )
        count += 1
    return count


# ---------------------------------------------------------------- month-end


def month_ranges(cooperative: Cooperative, day: dt.date) -> list[tuple[int, int]]:
    # By member, so the per-member tax threshold sees all of a member's accounts at once.
    return id_ranges(Member.objects.filter(cooperative=cooperative))


def _day_count(product: SavingsProduct, last_day: dt.date) -> tuple[int, int]:
    if product.day_count == SavingsProduct.DayCount.D30_360:
        return 30, 360
    return last_day.day, 365


def credit_interest(batch: Batch) -> int:
    """Interest for the month on every earning account of the batch's members, by each
    product's method, with the final tax withheld (per member or per account, by setting):
    one entry for the batch, an interest and a tax movement per account."""
    cooperative, last_day = batch.cooperative, batch.day
    first_day = last_day.replace(day=1)
    accounts = list(
        _earning(cooperative)
        .filter(
            member_id__gte=batch.first_id,
            member_id__lte=batch.last_id,
            status=SavingsAccount.Status.OPEN,
        )
        .select_related("product__gl_account")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    if not accounts:
        return 0
    ids = [a.pk for a in accounts]
    # Posted on or after the first day, for the balance the month opened with.
    since = grouped_sums(
        SavingsTransaction.objects.filter(account_id__in=ids, business_date__gte=first_day),
        "account_id",
        ["amount"],
    )
    days: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for account_id, on, balance in (
        SavingsDayBalance.objects.filter(
            account_id__in=ids, business_date__range=(first_day, last_day)
        )
        .order_by("account_id", "business_date")
        .values_list("account_id", "business_date", "balance")
    ):
        days[account_id].append((on.day, balance))
    gross: dict[int, Decimal] = {}
    for account in accounts:
        days_in_period, year_days = _day_count(account.product, last_day)
        opening = account.balance - since.get(account.pk, (ZERO,))[0]
        spans = [BalanceSpan(1, opening)]
        for day_no, balance in days.get(account.pk, []):
            if day_no > days_in_period:
                break  # 30/360: the 31st is not a day of the period
            if day_no == 1:
                spans[0] = BalanceSpan(1, balance)
            else:
                spans.append(BalanceSpan(day_no, balance))
        interest = period_interest(
            method=account.product.interest_method,
            annual_rate=account.product.annual_rate,
            days_in_period=days_in_period,
            year_days=year_days,
            balances=spans,
        )
        if interest > 0:
            gross[account.pk] = interest
    if not gross:
        return 0
    tax = _withholding(cooperative, accounts, gross)
    _post_interest(batch, accounts, gross, tax)
    return len(gross)


def _withholding(
    cooperative: Cooperative, accounts: list[SavingsAccount], gross: dict[int, Decimal]
) -> dict[int, Decimal]:
    """Tax per account: the threshold per account, or (the default) on the member's total."""
    if cooperative.interest_tax_per_account:
        return {pk: final_tax(amount) for pk, amount in gross.items()}
    by_member: dict[int, list[int]] = defaultdict(list)
    for account in accounts:
        if account.pk in gross:
            by_member[account.member_id].append(account.pk)
    tax: dict[int, Decimal] = {}
    for pks in by_member.values():
        tax.update(zip(pks, member_tax([gross[pk] for pk in pks]), strict=True))
    return tax


def _post_interest(
    batch: Batch,
    accounts: list[SavingsAccount],
    gross: dict[int, Decimal],
    tax: dict[int, Decimal],
) -> None:
    cooperative, last_day = batch.cooperative, batch.day
    by_gl: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for account in accounts:
        if account.pk in gross:
            by_gl[account.product.gl_account] += gross[account.pk] - tax[account.pk]
    total_gross = sum(gross.values(), ZERO)
    total_tax = sum(tax.values(), ZERO)
    lines = [
        ledger.Line(
            ledger.account_by_role(cooperative, "savings_interest_expense"), debit=total_gross
        )
    ]
    lines += [ledger.Line(gl, credit=amount) for gl, amount in by_gl.items() if amount]
    if total_tax:
        lines.append(
            ledger.Line(ledger.account_by_role(cooperative, "pph_payable"), credit=total_tax)
        )
    key = batch.key()
    who = batch.actor if getattr(batch.actor, "pk", None) else None

    def record(entry: Any) -> None:
        movements: list[SavingsTransaction] = []
        changed: list[SavingsAccount] = []
        for account in accounts:
            if account.pk not in gross:
                continue
            for kind, amount in ((Kind.INTEREST, gross[account.pk]), (Kind.TAX, -tax[account.pk])):
                if not amount:
                    continue
                account.balance += amount
                movements.append(
                    SavingsTransaction(
                        cooperative=cooperative,
                        account=account,
                        kind=kind,
                        amount=amount,
                        balance_after=account.balance,
                        business_date=last_day,
                        journal_entry=entry,
                        note=f"Jasa simpanan {last_day.strftime('%m/%Y')}",
                        idempotency_key=f"{key}:{kind}",
                        channel="system",
                        actor=who,
                    )
                )
            changed.append(account)
        SavingsTransaction.objects.bulk_create(movements, batch_size=5000)
        update_rows(SavingsAccount, changed, ["balance"])

    ledger.post_entry(
        cooperative=cooperative,
        actor=batch.actor,
        lines=lines,
        memo=f"Jasa simpanan {last_day.strftime('%m/%Y')}",
        source="close",
        idempotency_key=key,
        business_date=last_day,
        allow_control=True,
        closing=True,
        before_balances=record,
    )


def bill_wajib(batch: Batch) -> int:
    """The simpanan wajib each active member owes for the next month: one INSERT … SELECT,
    idempotent (a member already billed for the month is skipped)."""
    cooperative = batch.cooperative
    period = add_months(batch.day.replace(day=1), 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO savings_wajibbill (cooperative_id, member_id, period, amount)"
            " SELECT %(coop)s, m.id, %(period)s, %(amount)s FROM members_member m"
            " WHERE m.cooperative_id = %(coop)s AND m.status = %(active)s"
            # The unique index skips members already billed; an anti-join's plan depends on
            # statistics of a table that grows by a million rows a month.
            " ON CONFLICT (cooperative_id, period, member_id) DO NOTHING",
            {
                "coop": cooperative.pk,
                "period": period,
                "amount": cooperative.wajib_amount,
                "active": Member.Status.ACTIVE,
            },
        )
        return max(cursor.rowcount, 0)


def withholding_list(*, cooperative: Cooperative, year: int, month: int) -> list[dict[str, Any]]:
    """The month's interest and tax per member (name, NIK, gross, tax): the slip list."""
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    rows: dict[int, dict[str, Any]] = {}
    for member_id, number, name, nik, kind, amount in (
        SavingsTransaction.objects.filter(
            Q(kind=Kind.INTEREST) | Q(kind=Kind.TAX),
            cooperative=cooperative,
            business_date=last,
            channel="system",
        )
        .order_by("account__member__number")
        .values_list(
            "account__member_id",
            "account__member__number",
            "account__member__name",
            "account__member__nik",
            "kind",
            "amount",
        )
    ):
        row = rows.setdefault(
            member_id,
            {"number": number, "name": name, "nik": nik, "gross": ZERO, "tax": ZERO},
        )
        if kind == Kind.INTEREST:
            row["gross"] += amount
        else:
            row["tax"] -= amount
    return list(rows.values())
