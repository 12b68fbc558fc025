"""The savings steps of the close: end-of-day balances and time-deposit maturities (day-end);
interest with its final tax and the wajib bills (month-end).

Each runs inside the engine's transaction for one batch (closing/services/engine.py).
"""

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from koperasi.bulk import Batch, drop_temp_table, from_sen, id_ranges, load_temp_table, to_sen
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.domain.savings_interest import BalanceSpan, final_tax, member_tax, period_interest
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members.models import Member
from koperasi.savings import selectors, services
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


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
                product=services.product_of_kind(cooperative, SavingsKind.SUKARELA),
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


_INTEREST_TABLE = "close_interest"


def credit_interest(batch: Batch) -> int:
    """Interest for the month on every earning account of the batch's members, by each
    product's method, with the final tax withheld (per member or per account, by setting):
    one entry for the batch, an interest and a tax movement per account.

    A million accounts a month: the accounts are read as plain rows (no model objects), the
    interest is computed by the domain function, and the results go into a temporary table
    from which one UPDATE credits the balances and one INSERT per kind writes the movements.
    """
    cooperative, last_day = batch.cooperative, batch.day
    products = {
        p.pk: p
        for p in SavingsProduct.objects.filter(cooperative=cooperative)
        .exclude(interest_method=SavingsProduct.InterestMethod.NONE)
        .select_related("gl_account")
    }
    if not products:
        return 0
    accounts = _interest_accounts(batch, list(products))
    if not accounts:
        return 0
    spans = _day_spans(batch)
    gross: dict[int, Decimal] = {}
    owners: dict[int, int] = {}
    by_product: dict[int, int] = {}
    for account_id, member_id, product_id, opening in accounts:
        product = products[product_id]
        days_in_period, year_days = _day_count(product, last_day)
        periods = [BalanceSpan(1, opening)]
        for day_no, balance in spans.get(account_id, ()):
            if day_no > days_in_period:
                break  # 30/360: the 31st is not a day of the period
            if day_no == 1:
                periods[0] = BalanceSpan(1, balance)
            else:
                periods.append(BalanceSpan(day_no, balance))
        interest = period_interest(
            method=product.interest_method,
            annual_rate=product.annual_rate,
            days_in_period=days_in_period,
            year_days=year_days,
            balances=periods,
        )
        if interest > 0:
            gross[account_id] = interest
            owners[account_id] = member_id
            by_product[account_id] = product_id
    if not gross:
        return 0
    tax = _withholding(cooperative, owners, gross)
    _post_interest(batch, products, by_product, gross, tax)
    return len(gross)


def _interest_accounts(batch: Batch, product_ids: list[int]) -> list[tuple[int, int, int, Decimal]]:
    """(account, member, product, opening balance of the month) of the batch's open accounts
    in the earning products: the balance now less what was posted from the first day on, in
    one statement (one snapshot, so a teller's deposit committed meanwhile is in both or in
    neither)."""
    since = to_sen("t.amount")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.member_id, a.product_id, {to_sen('a.balance')}"
            f" - COALESCE((SELECT SUM({since}) FROM savings_savingstransaction t"
            "   WHERE t.account_id = a.id AND t.business_date >= %(first)s), 0)"
            " FROM savings_savingsaccount a"
            " WHERE a.cooperative_id = %(coop)s AND a.member_id BETWEEN %(lo)s AND %(hi)s"
            f" AND a.status = %(open)s AND a.product_id IN ({', '.join(map(str, product_ids))})"
            " ORDER BY a.id",
            {
                "coop": batch.cooperative.pk,
                "first": batch.day.replace(day=1),
                "lo": batch.first_id,
                "hi": batch.last_id,
                "open": SavingsAccount.Status.OPEN,
            },
        )
        return [
            (account_id, member_id, product_id, Decimal(opening_sen).scaleb(-2))
            for account_id, member_id, product_id, opening_sen in cursor.fetchall()
        ]


def _day_spans(batch: Batch) -> dict[int, list[tuple[int, Decimal]]]:
    """The month's end-of-day balances of the batch's accounts: account → [(day, balance)]."""
    spans: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.account_id, d.business_date, {to_sen('d.balance')}"
            " FROM savings_savingsdaybalance d"
            " JOIN savings_savingsaccount a ON a.id = d.account_id"
            " WHERE a.cooperative_id = %(coop)s AND a.member_id BETWEEN %(lo)s AND %(hi)s"
            " AND d.business_date BETWEEN %(first)s AND %(last)s"
            " ORDER BY d.account_id, d.business_date",
            {
                "coop": batch.cooperative.pk,
                "lo": batch.first_id,
                "hi": batch.last_id,
                "first": batch.day.replace(day=1),
                "last": batch.day,
            },
        )
        for account_id, on, balance_sen in cursor.fetchall():
            day = on if isinstance(on, dt.date) else dt.date.fromisoformat(on)
            spans[account_id].append((day.day, Decimal(balance_sen).scaleb(-2)))
    return spans


def _withholding(
    cooperative: Cooperative, owners: dict[int, int], gross: dict[int, Decimal]
) -> dict[int, Decimal]:
    """Tax per account: the threshold per account, or (the default) on the member's total.
    `owners` maps each account to its member."""
    if cooperative.interest_tax_per_account:
        return {pk: final_tax(amount) for pk, amount in gross.items()}
    by_member: dict[int, list[int]] = defaultdict(list)
    for pk in gross:
        by_member[owners[pk]].append(pk)
    tax: dict[int, Decimal] = {}
    for pks in by_member.values():
        tax.update(zip(pks, member_tax([gross[pk] for pk in pks]), strict=True))
    return tax


def _post_interest(
    batch: Batch,
    products: dict[int, SavingsProduct],
    by_product: dict[int, int],
    gross: dict[int, Decimal],
    tax: dict[int, Decimal],
) -> None:
    cooperative, last_day = batch.cooperative, batch.day
    by_gl: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for pk, amount in gross.items():
        by_gl[products[by_product[pk]].gl_account] += amount - tax[pk]
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
    memo = f"Jasa simpanan {last_day.strftime('%m/%Y')}"

    def record(entry: Any) -> None:
        load_temp_table(
            _INTEREST_TABLE,
            [("account_id", "BIGINT"), ("gross_sen", "BIGINT"), ("tax_sen", "BIGINT")],
            (
                (pk, int(amount.scaleb(2)), int(tax[pk].scaleb(2)))
                for pk, amount in sorted(gross.items())
            ),
        )
        credited = from_sen(f"{to_sen('balance')} + t.gross_sen - t.tax_sen")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE savings_savingsaccount SET balance = {credited}"
                f" FROM {_INTEREST_TABLE} t WHERE savings_savingsaccount.id = t.account_id"
                " AND savings_savingsaccount.status = %s",
                [SavingsAccount.Status.OPEN],
            )
            if cursor.rowcount != len(gross):
                # Read open a moment ago, closed since: the batch is rolled back, and a
                # rerun of the close computes it again without that account.
                raise ServiceError(
                    "account_closed",
                    _("A savings account was closed while the month-end ran; run it again."),
                )
            # Interest first, then the tax, so the ids follow the order on the statement.
            for kind, amount, balance_after, only in (
                (Kind.INTEREST, "t.gross_sen", f"{to_sen('a.balance')} + t.tax_sen", ""),
                (Kind.TAX, "-t.tax_sen", to_sen("a.balance"), " WHERE t.tax_sen > 0"),
            ):
                cursor.execute(
                    "INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind,"
                    " amount, balance_after, business_date, journal_entry_id, note,"
                    " idempotency_key, channel, actor_id, created_at)"
                    f" SELECT %(coop)s, t.account_id, %(kind)s, {from_sen(amount)},"
                    f" {from_sen(balance_after)}, %(day)s, %(entry)s, %(note)s, %(key)s,"
                    f" 'system', %(actor)s, %(now)s FROM {_INTEREST_TABLE} t"
                    f" JOIN savings_savingsaccount a ON a.id = t.account_id{only}"
                    " ORDER BY t.account_id",
                    {
                        "coop": cooperative.pk,
                        "kind": kind,
                        "day": last_day,
                        "entry": entry.pk,
                        "note": memo,
                        "key": f"{key}:{kind}",
                        "actor": getattr(batch.actor, "pk", None),
                        "now": timezone.now(),
                    },
                )
        drop_temp_table(_INTEREST_TABLE)

    ledger.post_entry(
        cooperative=cooperative,
        actor=batch.actor,
        lines=lines,
        memo=memo,
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
