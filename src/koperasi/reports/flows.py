"""The statements of a period: activity (laporan hasil usaha, with the members' and the
non-members' parts of the surplus), changes in equity, and cash flow (indirect method)."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import ZERO
from koperasi.domain.statements import surplus_by_party
from koperasi.ledger import selectors as ledger
from koperasi.ledger.models import Account
from koperasi.reports import lines
from koperasi.reports.statements import (
    INCOME_EXPENSE,
    Row,
    Statement,
    _line_row,
    _sum_rows,
    _unmapped_warning,
    check_period,
    mapping,
    position,
)
from koperasi.tenancy.models import Cooperative

Period = tuple[dt.date, dt.date]


def _period_label(period: Period) -> str:
    return f"{format_date_id(period[0])} – {format_date_id(period[1])}"


def _net(cooperative: Cooperative, period: Period) -> dict[int, Decimal]:
    """Σ debit − Σ credit per account over the period, the year-end closing entries left out."""
    moved = ledger.period_net(cooperative=cooperative, first=period[0], last=period[1])
    # A year-end closing entry moves the year's result into equity: not a flow of the period.
    for pk, amount in ledger.closing_net(
        cooperative=cooperative, first=period[0], last=period[1]
    ).items():
        moved[pk] = moved.get(pk, ZERO) - amount
    return {pk: amount for pk, amount in moved.items() if amount}


# --- Activity ---------------------------------------------------------------------------------

_ACTIVITY_SECTIONS = (
    (lines.PARTICIPATION, gettext_lazy("Members' participation income")),
    (lines.DIRECT_COST, gettext_lazy("Direct cost of participation")),
    (lines.NON_MEMBER, gettext_lazy("Income from non-members")),
    (lines.OPERATING, gettext_lazy("Operating expenses")),
    (lines.COOPERATIVE, gettext_lazy("Cooperative expenses")),
    (lines.OTHER, gettext_lazy("Other income and expenses")),
    (lines.TAX, gettext_lazy("Income tax")),
)


def activity(
    *, cooperative: Cooperative, period: Period, compare: Period | None = None
) -> Statement:
    """Laporan hasil usaha for a period, with another period beside it, and the surplus split
    into the members' part and the non-members' part (which is never distributed)."""
    periods = [period] + ([compare] if compare else [])
    for first, last in periods:
        check_period(cooperative, first, last)
    mapped = mapping(cooperative=cooperative)
    columns = [_net(cooperative, p) for p in periods]
    width = len(periods)
    rows: list[Row] = []
    surplus = [ZERO] * width
    party_income = {lines.MEMBER: [ZERO] * width, lines.NON_MEMBER_PARTY: [ZERO] * width}
    stray = [a for a in mapped.unmapped if a.type in INCOME_EXPENSE]
    for section, heading in _ACTIVITY_SECTIONS:
        body: list[tuple[Row, list[Account]]] = []
        for line in lines.LINES:
            if line.statement != lines.ACTIVITY or line.section != section:
                continue
            accounts = mapped.of_line(line.code)
            row = _line_row(line.label, line.code, accounts, columns)
            body.append((row, accounts))
            if line.party:
                for i, amount in enumerate(row.amounts):
                    party_income[line.party][i] += amount or ZERO
        if section == lines.OTHER and stray:
            row = replace(_line_row(_("Unmapped accounts"), "", stray, columns), unmapped=True)
            body.append((row, stray))
        shown = [row for row, _accounts in body if any(row.amounts)]
        if not shown:
            continue
        rows.append(Row(heading, (None,) * width, style="heading"))
        rows += shown
        # Each account's effect on the surplus: income (a credit) adds, an expense takes off.
        effect = tuple(
            -sum((col.get(a.pk, ZERO) for _row, accounts in body for a in accounts), ZERO)
            for col in columns
        )
        surplus = [s + e for s, e in zip(surplus, effect, strict=True)]
        # Income sections and expense sections show their sums; "other" its net effect.
        subtotal = effect if section == lines.OTHER else _sum_rows(shown, width)
        rows.append(Row(_("Total"), subtotal, style="subtotal"))
    rows.append(Row(_("Surplus (SHU) of the period"), tuple(surplus), style="total"))
    splits = [
        surplus_by_party(
            surplus[i], party_income[lines.MEMBER][i], party_income[lines.NON_MEMBER_PARTY][i]
        )
        for i in range(width)
    ]
    rows.append(Row(_("of which from members (distributable)"), tuple(s[0] for s in splits)))
    rows.append(Row(_("of which from non-members (not distributed)"), tuple(s[1] for s in splits)))
    return Statement(
        "activity",
        _("Statement of activities (surplus)"),
        tuple(_period_label(p) for p in periods),
        tuple(rows),
        _unmapped_warning(a for a in mapped.unmapped if a.type in INCOME_EXPENSE),
        {
            "surplus": tuple(surplus),
            "member_surplus": tuple(s[0] for s in splits),
            "non_member_surplus": tuple(s[1] for s in splits),
            "member_income": tuple(party_income[lines.MEMBER]),
            "non_member_income": tuple(party_income[lines.NON_MEMBER_PARTY]),
        },
    )


# --- Changes in equity ------------------------------------------------------------------------


def equity_changes(*, cooperative: Cooperative, period: Period) -> Statement:
    """Laporan perubahan ekuitas: each equity line's opening balance, what was added and taken
    in the period, the surplus that moved into it, and its closing balance."""
    first, last = period
    check_period(cooperative, first, last)
    opening = position(cooperative=cooperative, as_of=first - dt.timedelta(days=1), opening=True)
    closing = position(cooperative=cooperative, as_of=last)
    totals = ledger.period_totals(cooperative=cooperative, first=first, last=last)
    mapped = mapping(cooperative=cooperative)
    by_code = {a.code: a for a in mapped.accounts.values()}
    open_rows = {r.code: r for r in opening.rows if r.code}
    rows: list[Row] = []
    sums = [ZERO] * 5
    for row in closing.rows:
        line = lines.BY_CODE.get(row.code)
        if line is None or line.section != lines.EQUITY:
            continue
        before = (open_rows[row.code].amounts[0] or ZERO) if row.code in open_rows else ZERO
        after = row.amounts[0] or ZERO
        added = taken = ZERO
        for detail in row.accounts:
            debit, credit = totals.get(by_code[detail.code].pk, (ZERO, ZERO))
            added += credit
            taken += debit
        moved = after - before - added + taken
        amounts = (before, added, taken, moved, after)
        if not any(amounts):
            continue
        rows.append(Row(row.label, amounts, code=row.code, accounts=row.accounts))
        sums = [s + a for s, a in zip(sums, amounts, strict=True)]
    rows.append(Row(_("Total equity"), tuple(sums), style="total"))
    return Statement(
        "equity",
        _("Statement of changes in equity"),
        (
            _("Opening %(date)s") % {"date": format_date_id(first - dt.timedelta(days=1))},
            _("Added"),
            _("Taken"),
            _("Surplus of the period"),
            _("Closing %(date)s") % {"date": format_date_id(last)},
        ),
        tuple(rows),
        closing.warnings,
    )


# --- Cash flow --------------------------------------------------------------------------------

_FLOW_SECTIONS = (
    (lines.OPERATIONS, gettext_lazy("Cash flows from operating activities")),
    (lines.INVESTING, gettext_lazy("Cash flows from investing activities")),
    (lines.FINANCING, gettext_lazy("Cash flows from financing activities")),
)


def cash_flow(*, cooperative: Cooperative, period: Period) -> Statement:
    """Laporan arus kas, indirect method: the period's surplus, the non-cash items and the
    change of every other position line, by activity; it ends at the change in cash, which
    must equal the cash lines' own change (asserted, and shown when not)."""
    first, last = period
    check_period(cooperative, first, last)
    mapped = mapping(cooperative=cooperative)
    change = _net(cooperative, period)
    surplus = -sum(
        (
            amount
            for pk, amount in change.items()
            if mapped.accounts.get(pk) is not None and mapped.accounts[pk].type in INCOME_EXPENSE
        ),
        ZERO,
    )
    flows: dict[str, list[Row]] = {key: [] for key, _h in _FLOW_SECTIONS}
    cash_change = ZERO
    for line in lines.LINES:
        if line.statement != lines.POSITION:
            continue
        accounts = mapped.of_line(line.code)
        # A position line's change moves cash the other way: more loans out, less cash.
        amount = -sum((change.get(a.pk, ZERO) for a in accounts), ZERO)
        if line.cash_flow == lines.CASH:
            cash_change -= amount
            continue
        if not amount:
            continue
        section = lines.OPERATIONS if line.cash_flow == lines.ADJUSTMENT else line.cash_flow
        flows[section].append(Row(line.label, (amount,), code=line.code))
    stray = [a for a in mapped.unmapped if a.type not in INCOME_EXPENSE]
    stray_amount = -sum((change.get(a.pk, ZERO) for a in stray), ZERO)
    if stray_amount:
        flows[lines.OPERATIONS].append(Row(_("Unmapped accounts"), (stray_amount,), unmapped=True))
    rows: list[Row] = []
    net = ZERO
    for key, heading in _FLOW_SECTIONS:
        body = flows[key]
        if key == lines.OPERATIONS:
            body = [Row(_("Surplus (SHU) of the period"), (surplus,)), *body]
        rows.append(Row(heading, (None,), style="heading"))
        rows += body
        total = _sum_rows(body, 1)[0]
        net += total
        rows.append(Row(_("Net cash from these activities"), (total,), style="subtotal"))
    opening = ledger.balances_as_of(cooperative=cooperative, day=first - dt.timedelta(days=1))
    cash_accounts = mapped.of_line("cash")
    cash_opening = sum((opening.get(a.pk, ZERO) for a in cash_accounts), ZERO)
    rows.append(Row(_("Net change in cash"), (net,), style="total"))
    rows.append(Row(_("Cash at the beginning of the period"), (cash_opening,)))
    rows.append(Row(_("Cash at the end of the period"), (cash_opening + net,), style="total"))
    warnings = list(_unmapped_warning(stray))
    if net != cash_change:
        warnings.append(_("The cash flows do not add up to the change in cash."))
    return Statement(
        "cash_flow",
        _("Statement of cash flows"),
        (_period_label(period),),
        tuple(rows),
        tuple(warnings),
        {"net_change": net, "cash_change": cash_change, "surplus": surplus},
    )
