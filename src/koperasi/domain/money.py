"""Rupiah amounts: parsing, formatting, rounding and exact allocation.

Money is always ``Decimal`` with 2 decimal places (sen). Floats are refused everywhere
because they cannot represent most decimal amounts exactly.
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from koperasi.domain.errors import DomainError

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

MAX_INTEGER_DIGITS = 18
_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS

# Machine format: "50000", "50000.5", "50000.50", ".5", "-12" (sign only to report it).
_MACHINE_RE = re.compile(r"^(-?)(\d*)(?:\.(\d*))?$")
# Form format: "1.250.000", "1250000", "1.250.000,50"; dots must group thousands.
_RUPIAH_RE = re.compile(r"^(-?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d*))?$")
_RP_PREFIX_RE = re.compile(r"^(-?)\s*rp\.?", re.IGNORECASE)


def round_half_up(x: Decimal, exp: Decimal = CENT) -> Decimal:
    """Commercial rounding (0.005 -> 0.01), unlike Decimal's default banker's rounding."""
    return x.quantize(exp, rounding=ROUND_HALF_UP)


def parse_amount(
    value: str | int | Decimal, *, field: str = "amount", allow_zero: bool = False
) -> Decimal:
    """Parse a machine-format amount (API payloads, stored values) into 2-dp Decimal.

    Strings must be plain digits with an optional "." and at most 2 decimals. Decimals are
    accepted when their value is exact to the sen (``Decimal("1.500")`` is fine).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # float (and anything else) would silently lose exactness.
        raise DomainError("invalid", "Enter the amount as a number.", field)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise DomainError("required", "Enter an amount.", field)
        match = _MACHINE_RE.match(text)
        if match is None or not (match.group(2) or match.group(3)):
            raise DomainError("invalid", "Enter the amount as a number.", field)
        if len(match.group(3) or "") > 2:
            raise DomainError("too_precise", "Use at most 2 decimal places.", field)
        number = Decimal(text)
    else:
        number = Decimal(value)
    return _check_amount(number, field=field, allow_zero=allow_zero)


def parse_rupiah_input(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse what a person types in a web form: "Rp 1.250.000" or "1.250.000,50".

    Dots separate thousands and must group correctly, so "12.5" is refused rather than
    guessed; a comma starts at most 2 sen digits, so an English "1,500" is refused too.
    """
    cleaned = text.strip().replace("\u00a0", " ")
    if not cleaned:
        raise DomainError("required", "Enter an amount.", field)
    cleaned = _RP_PREFIX_RE.sub(r"\1", cleaned)
    cleaned = re.sub(r"\s+", "", cleaned)
    if not cleaned:
        raise DomainError("required", "Enter an amount.", field)
    match = _RUPIAH_RE.match(cleaned)
    if match is None:
        raise DomainError("invalid", "Enter the amount like 1.250.000 or 1.250.000,50.", field)
    sign, integer, sen = match.group(1), match.group(2), match.group(3) or ""
    if len(sen) > 2:
        raise DomainError("too_precise", "Use at most 2 decimal places.", field)
    machine = sign + integer.replace(".", "") + ("." + sen if sen else "")
    return _check_amount(Decimal(machine), field=field, allow_zero=allow_zero)


def _check_amount(number: Decimal, *, field: str, allow_zero: bool) -> Decimal:
    if not number.is_finite():
        raise DomainError("invalid", "Enter the amount as a number.", field)
    if number < 0:
        raise DomainError("not_positive", "The amount must be greater than zero.", field)
    if number >= _LIMIT:
        raise DomainError("too_large", "The amount is too large.", field)
    if number != number.quantize(CENT):
        raise DomainError("too_precise", "Use at most 2 decimal places.", field)
    if number == 0:
        if not allow_zero:
            raise DomainError("not_positive", "The amount must be greater than zero.", field)
        return ZERO  # also turns "-0" into plain zero
    return number.quantize(CENT)


def format_rupiah(amount: Decimal, *, with_symbol: bool = True, decimals: bool = False) -> str:
    """Format the Indonesian way: "Rp 1.250.000", "-Rp 1.250.000", "Rp 1.250.000,50".

    With ``decimals=False`` sen are still shown when non-zero, so no money is hidden.
    """
    if not isinstance(amount, Decimal | int) or isinstance(amount, bool):
        raise DomainError("invalid", "Amounts must be Decimal, not float.")
    value = Decimal(amount)
    if not value.is_finite():
        raise DomainError("invalid", "Amount is not a finite number.")
    value = round_half_up(value)
    negative = value < 0
    integer, _, sen = f"{abs(value):f}".partition(".")
    text = f"{int(integer):,}".replace(",", ".")
    if decimals or sen.strip("0"):
        text += "," + sen
    if with_symbol:
        text = "Rp " + text
    return "-" + text if negative else text


def allocate_largest_remainder(
    total: Decimal, weights: Sequence[Decimal], unit: Decimal = CENT
) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` so the parts add up exactly.

    Each part gets the floor of its exact share (in ``unit`` steps); the units left over go
    to the largest fractional remainders, ties to the lowest index. Used for SHU
    distribution and instalment schedules where a lost sen would unbalance the books.
    A negative total is split by magnitude and each part negated.
    """
    if not weights:
        raise DomainError("weights_empty", "There is nothing to allocate to.", "weights")
    if any(not w.is_finite() or w < 0 for w in weights):
        raise DomainError("weights_negative", "Weights must not be negative.", "weights")
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    if weight_sum == 0:
        raise DomainError("weights_zero", "At least one weight must be above zero.", "weights")
    if not unit.is_finite() or unit <= 0:
        raise DomainError("invalid", "The allocation unit must be positive.", "unit")
    if not total.is_finite():
        raise DomainError("invalid", "The total is not a finite number.", "total")
    units = Fraction(abs(total)) / Fraction(unit)
    if units.denominator != 1:
        raise DomainError("too_precise", "The total is not a whole number of units.", "total")
    n = units.numerator

    shares = [n * Fraction(w) / weight_sum for w in weights]
    floors = [share.numerator // share.denominator for share in shares]
    leftover = n - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1

    sign = -1 if total < 0 else 1
    return [(sign * k) * unit for k in floors]
