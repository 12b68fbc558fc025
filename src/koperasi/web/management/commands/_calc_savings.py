"""`koperasi calc savings-interest`: reading its JSON input and printing the result.

The input file (or stdin with ``--input -``)::

    {"method": "harian", "annual_rate": "12", "days_in_period": 30, "year_days": 365,
     "balances": [{"from_day": 1, "balance": "150000"}, {"from_day": 3, "balance": "650000"}],
     "individual_member": true, "gross_interest": "6082.19"}

Amounts and the rate may be JSON strings or numbers; numbers are read straight into ``Decimal``
(never through float). ``year_days`` defaults to 365 and ``individual_member`` to true. With
``gross_interest`` only the tax is computed, so the calculation fields may be left out (any that
are given must still be well formed). Unknown fields are refused, so a misspelt
``individual_member`` cannot silently default to true. Every mistake is a ``CommandError``
naming the field, with exit code 2. Kept out of ``calc.py`` (a leading underscore means Django
does not list it as a command) so that module stays readable.
"""

import json
import re
from decimal import Decimal
from typing import NoReturn, TextIO

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from koperasi.common.presenters import money_text
from koperasi.domain.errors import DomainError
from koperasi.domain.money import format_rupiah
from koperasi.domain.savings_interest import (
    METHODS,
    BalanceSpan,
    InterestResult,
    savings_interest,
)
from koperasi.web.management.commands._calc_input import load_json

FIELDS = frozenset(
    {
        "method",
        "annual_rate",
        "days_in_period",
        "year_days",
        "balances",
        "individual_member",
        "gross_interest",
    }
)
SPAN_FIELDS = frozenset({"from_day", "balance"})
# Needed unless gross_interest is given (then only the tax is computed).
CALCULATION_FIELDS = ("method", "annual_rate", "days_in_period", "balances")
DEFAULT_YEAR_DAYS = 365
_NUMBER_RE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")  # a sign only so the domain can refuse it


def run(path: str, stdin: TextIO | None) -> tuple[InterestResult, bool]:
    """Read the input named by ``--input`` and compute: (the result, individual member?).

    Any mistake is a ``CommandError`` naming the field, with exit code 2.
    """
    data = load_json(path, stdin, '{"method": "harian", ...}')
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        _fail(_("%(field)s: unknown field.") % {"field": unknown[0]})
    gross = _amount(data["gross_interest"], "gross_interest") if "gross_interest" in data else None
    if gross is None:
        for field in CALCULATION_FIELDS:
            if field not in data:
                _fail(_("%(field)s: this field is required.") % {"field": field})
    individual = _flag(data.get("individual_member", True), "individual_member")
    # With gross_interest the calculation fields are optional: what is absent is a placeholder
    # that savings_interest ignores (it only applies the tax then).
    try:
        result = savings_interest(
            method=_method(data.get("method", METHODS[0])),
            annual_rate=_amount(data.get("annual_rate", 0), "annual_rate"),
            days_in_period=_whole(data.get("days_in_period", 1), "days_in_period"),
            year_days=_whole(data.get("year_days", DEFAULT_YEAR_DAYS), "year_days"),
            balances=_balances(data.get("balances", [])),
            individual_member=individual,
            gross_interest=gross,
        )
    except DomainError as exc:
        _fail(f"{exc.field or '--input'}: {exc.message}")
    return result, individual


def as_json(result: InterestResult) -> str:
    """`{"interest": "6082.19", "tax": "0.00", "net": "6082.19"}`."""
    return json.dumps(
        {
            "interest": money_text(result.interest),
            "tax": money_text(result.tax),
            "net": money_text(result.net),
        }
    )


def as_lines(result: InterestResult, *, individual_member: bool) -> list[str]:
    """Three lines, labels left-aligned and amounts right-aligned."""
    # PP 15/2009's final tax is for individuals; a legal entity has PPh 23 withheld instead.
    tax_label = "PPh final" if individual_member else "PPh 23"
    rows = (
        ("Jasa simpanan", format_rupiah(result.interest, decimals=True)),
        (tax_label, format_rupiah(result.tax, decimals=True)),
        ("Diterima", format_rupiah(result.net, decimals=True)),
    )
    label_width = max(len(label) for label, _amount in rows)
    amount_width = max(len(amount) for _label, amount in rows)
    return [f"{label.ljust(label_width)}  {amount.rjust(amount_width)}" for label, amount in rows]


def _method(value: object) -> str:
    if not isinstance(value, str):
        _fail(_("method: choose one of: %(choices)s.") % {"choices": ", ".join(METHODS)})
    return value


def _amount(value: object, field: str) -> Decimal:
    """A JSON string or number as an exact Decimal; the domain checks its range."""
    number = Decimal("NaN")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)  # parse_float already gave a Decimal: no float in between
    elif isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        number = Decimal(value.strip())  # plain digits only: no "1_000", "1e3" or "NaN"
    if not number.is_finite():
        _fail(_('%(field)s: enter a number, e.g. "150000" or 150000.') % {"field": field})
    return number


def _whole(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(_("%(field)s: enter a whole number, e.g. 30.") % {"field": field})
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        _fail(_("%(field)s: enter true or false.") % {"field": field})
    return value


def _balances(value: object) -> list[BalanceSpan]:
    if not isinstance(value, list):
        _fail(_('balances: enter a list such as [{"from_day": 1, "balance": "150000"}].'))
    spans = []
    for index, item in enumerate(value):
        where = f"balances[{index}]"
        if not isinstance(item, dict):
            _fail(_('%(field)s: enter {"from_day": N, "balance": "..."}.') % {"field": where})
        for key in sorted(set(item) - SPAN_FIELDS):
            _fail(_("%(field)s: unknown field.") % {"field": f"{where}.{key}"})
        for key in sorted(SPAN_FIELDS - set(item)):
            _fail(_("%(field)s: this field is required.") % {"field": f"{where}.{key}"})
        spans.append(
            BalanceSpan(
                from_day=_whole(item["from_day"], f"{where}.from_day"),
                balance=_amount(item["balance"], f"{where}.balance"),
            )
        )
    return spans


def _fail(message: str) -> NoReturn:
    raise CommandError(message, returncode=2)
