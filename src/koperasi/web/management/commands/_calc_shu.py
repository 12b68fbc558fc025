"""`koperasi calc shu`: reading its JSON input and printing the result.

The input file (or stdin with ``--input -``)::

    {"shu": "2000000",
     "allocation": {"cadangan": "40", "jasa_modal": "20", "jasa_usaha": "30",
                    "pengurus": "5", "sosial": "5"},
     "totals": {"savings": "10000000", "transactions": "15000000"},
     "members": [{"id": "A", "savings": "500000", "transactions": "1000000"}],
     "rounding": "0.01"}

``shu``, ``allocation`` and ``members`` are required. ``totals`` and each of its two keys are
optional (the sum over the members when absent; when given, at least that sum). ``rounding``
is the unit each share is rounded **down** to: ``0.01``, ``1`` (the default, DOMAIN.md),
``100`` or ``1000``. Amounts, percentages and figures are JSON strings of plain digits
(``"500000"``, ``"12.5"``) or JSON numbers; numbers are read straight into ``Decimal`` (never
through float), so ``0.1`` stays exactly 0.1 and a number that a float already spoilt
(``0.30000000000000004``) is refused as too precise. Member ids are strings. Unknown keys,
duplicate keys, duplicate member ids and every malformed value are refused, each a
``CommandError`` naming the field, with exit code 2; the file's size is checked
(``settings.CALC_MAX_INPUT_BYTES``) before it is read. The rules themselves are in
``domain/shu.py``; the messages speak the configured language.
"""

import json
import re
from decimal import Decimal
from typing import Any, NoReturn, TextIO

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from koperasi.common.presenters import money_text
from koperasi.domain.errors import DomainError
from koperasi.domain.money import format_rupiah
from koperasi.domain.shu import (
    DEFAULT_ROUNDING,
    JASA_MODAL,
    JASA_USAHA,
    Allocation,
    MemberFigures,
    ShuResult,
    allocation_total,
    compute_shu,
)
from koperasi.errors import DOMAIN_MESSAGES
from koperasi.web.management.commands._calc_input import load_json

FIELDS = frozenset({"shu", "allocation", "totals", "members", "rounding"})
REQUIRED = ("shu", "allocation", "members")
TOTAL_FIELDS = frozenset({"savings", "transactions"})
MEMBER_FIELDS = ("id", "savings", "transactions")
# The domain's argument names -> where they are in the file.
FIELD_NAMES = {"total_savings": "totals.savings", "total_transactions": "totals.transactions"}
# Plain digits with an optional sign (only so the domain can say a figure must not be
# negative) and decimal point: no "1_000", "1e3", "NaN" or "Infinity"; 40 characters at most.
_NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_NUMBER_CHARS = 40
_ID_SEPARATORS = str.maketrans({",": ".", ".": ","})  # 1,250,000.50 -> 1.250.000,50
# The usual figure: up to 24 digits and 6 decimals, nothing else (the fast path of _members).
_PLAIN_RE = re.compile(r"[0-9]{1,24}(?:\.[0-9]{1,6})?")


def run(path: str, stdin: TextIO | None) -> ShuResult:
    """Read the input named by ``--input`` and compute. Mistakes: ``CommandError``, code 2."""
    data = load_json(path, stdin, '{"shu": "2000000", ...}')
    for field in sorted(set(data) - FIELDS):
        _fail(_("%(field)s: unknown field.") % {"field": field})
    for field in REQUIRED:
        if field not in data:
            _fail(_("%(field)s: this field is required.") % {"field": field})
    totals = _object(data.get("totals", {}), "totals")
    for field in sorted(set(totals) - TOTAL_FIELDS):
        _fail(_("%(field)s: unknown field.") % {"field": f"totals.{field}"})
    percents = _percents(data["allocation"])
    try:
        return compute_shu(
            shu=_number(data["shu"], "shu"),
            allocation=Allocation.of(percents),
            members=_members(data["members"]),
            total_savings=_optional(totals, "savings"),
            total_transactions=_optional(totals, "transactions"),
            rounding=_number(data.get("rounding", str(DEFAULT_ROUNDING)), "rounding"),
        )
    except DomainError as exc:
        field = FIELD_NAMES.get(exc.field or "", exc.field or "--input")
        message = str(DOMAIN_MESSAGES.get(exc.code, exc.message))
        if exc.code == "shu_allocation_sum":
            total = allocation_total(percents)
            message += " " + _("They add up to %(total)s%%.") % {"total": f"{total:f}"}
        _fail(f"{field}: {message}")


def as_json(result: ShuResult) -> str:
    """`{"pools": {fund: amount}, "members": [{id, jasa_modal, jasa_usaha, total}],
    "remainder": total, "remainders": {"jasa_modal": ..., "jasa_usaha": ...}}`.

    One member per line: readable, and written by json's C encoder (an indented dump of a
    million members goes through its Python one, several times slower).
    """
    dumps = json.dumps
    members = ",\n".join(
        "    "
        + dumps(
            {
                "id": share.id,
                "jasa_modal": f"{share.jasa_modal:.2f}",
                "jasa_usaha": f"{share.jasa_usaha:.2f}",
                "total": f"{share.total:.2f}",
            }
        )
        for share in result.members
    )
    pools = {pool.fund: money_text(pool.amount) for pool in result.pools}
    remainders = {fund: money_text(amount) for fund, amount in result.remainders.items()}
    return "\n".join(
        [
            "{",
            f'  "pools": {dumps(pools)},',
            '  "members": [' + (f"\n{members}\n  ]," if members else "],"),
            f'  "remainder": {dumps(money_text(result.remainder))},',
            f'  "remainders": {dumps(remainders)}',
            "}",
        ]
    )


def as_lines(result: ShuResult) -> list[str]:
    """The pools, then a table of the members' shares closed by Σ shares, remainder and pool."""

    def money(amount: Decimal) -> str:
        # format_rupiah(amount, with_symbol=False, decimals=True) for an amount >= 0 exact to
        # the sen (every amount here), in one C call: a million members print in seconds.
        return f"{amount:,.2f}".translate(_ID_SEPARATORS)

    unit = format_rupiah(result.rounding, decimals=result.rounding < 1)
    lines = [
        f"SHU: {format_rupiah(result.shu, decimals=True)}",
        _("Each share rounded down to %(unit)s.") % {"unit": unit},
        "",
    ]
    pool_rows = [(p.fund, f"{p.percent:f}", money(p.amount)) for p in result.pools]
    pool_rows.append((_("Total"), "100", money(result.shu)))
    lines += _table((_("Fund"), "%", _("Amount")), pool_rows[:-1], [pool_rows[-1]])
    lines.append("")

    paid_modal = result.pool(JASA_MODAL) - result.remainder_jasa_modal
    paid_usaha = result.pool(JASA_USAHA) - result.remainder_jasa_usaha
    member_rows = [
        (s.id, money(s.jasa_modal), money(s.jasa_usaha), money(s.total)) for s in result.members
    ]
    closing = [
        (_("Shares"), money(paid_modal), money(paid_usaha), money(paid_modal + paid_usaha)),
        (
            _("Remainder"),
            money(result.remainder_jasa_modal),
            money(result.remainder_jasa_usaha),
            money(result.remainder),
        ),
        (
            _("Pool"),
            money(result.pool(JASA_MODAL)),
            money(result.pool(JASA_USAHA)),
            money(result.pool(JASA_MODAL) + result.pool(JASA_USAHA)),
        ),
    ]
    headers = (_("Member"), _("Jasa modal"), _("Jasa usaha"), _("Total"))
    lines += _table(headers, member_rows, closing)
    return lines


def _table(
    headers: tuple[str, ...], body: list[tuple[str, ...]], footer: list[tuple[str, ...]]
) -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the rest right-aligned."""
    widths = [
        max(len(row[col]) for row in (headers, *body, *footer)) for col in range(len(headers))
    ]

    def render(cells: tuple[str, ...]) -> str:
        parts = [
            cell.ljust(width) if col == 0 else cell.rjust(width)
            for col, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return [render(headers), rule, *(render(row) for row in body), rule, *map(render, footer)]


# --------------------------------------------------------------------------- reading the file


def _object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(_('%(field)s: enter an object such as {"savings": "10000000"}.') % {"field": field})
    return value


def _percents(value: object) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        _fail(_('allocation: enter an object such as {"jasa_modal": "20", "jasa_usaha": "30"}.'))
    return {name: _number(percent, f"allocation.{name}") for name, percent in value.items()}


def _optional(totals: dict[str, Any], key: str) -> Decimal | None:
    return _number(totals[key], f"totals.{key}") if key in totals else None


def _number(value: object, field: str) -> Decimal:
    """A JSON string of plain digits or a JSON number, as an exact Decimal (the domain checks
    sign, precision and range)."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)  # parse_float already gave a Decimal: no float in between
    if (
        isinstance(value, str)
        and len(value) <= _MAX_NUMBER_CHARS
        and _NUMBER_RE.fullmatch(value.strip())
    ):
        return Decimal(value.strip())
    _fail(_('%(field)s: enter a number, e.g. "150000" or 150000.') % {"field": field})


def _members(value: object) -> list[MemberFigures]:
    if not isinstance(value, list):
        _fail(_('members: enter a list such as [{"id": "A", "savings": "500000", ...}].'))
    members = []
    add = members.append
    keys = frozenset(MEMBER_FIELDS)
    plain = _PLAIN_RE.fullmatch
    for index, item in enumerate(value):
        # The usual member (the three keys, a text id, two plain numbers) in a few C calls;
        # anything else goes the careful way, which finds the message.
        if type(item) is dict and item.keys() == keys:
            member_id, savings, transactions = item["id"], item["savings"], item["transactions"]
            if (
                type(member_id) is str
                and type(savings) is str
                and type(transactions) is str
                and plain(savings)
                and plain(transactions)
            ):
                add(MemberFigures(member_id, Decimal(savings), Decimal(transactions)))
                continue
        add(_member(item, f"members[{index}]"))
    return members


def _member(item: object, where: str) -> MemberFigures:
    if not isinstance(item, dict):
        _fail(
            _('%(field)s: enter {"id": "...", "savings": "...", "transactions": "..."}.')
            % {"field": where}
        )
    for key in sorted(set(item) - set(MEMBER_FIELDS)):
        _fail(_("%(field)s: unknown field.") % {"field": f"{where}.{key}"})
    for key in MEMBER_FIELDS:
        if key not in item:
            _fail(_("%(field)s: this field is required.") % {"field": f"{where}.{key}"})
    if not isinstance(item["id"], str):
        _fail(_('%(field)s: enter the id as text, e.g. "A-001".') % {"field": f"{where}.id"})
    return MemberFigures(
        id=item["id"],
        savings=_number(item["savings"], f"{where}.savings"),
        transactions=_number(item["transactions"], f"{where}.transactions"),
    )


def _fail(message: str) -> NoReturn:
    raise CommandError(message, returncode=2)
