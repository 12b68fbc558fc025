"""Rupiah amounts: parsing, formatting, rounding and exact allocation.

Money is always ``Decimal`` with 2 decimal places (sen). Floats are refused everywhere
because they cannot represent most decimal amounts exactly.

Rounding is half-up (commercial: 0,005 -> 0,01), as DOMAIN.md says, and this module is the one
place it is done: ``round_half_up`` (to any step), ``round_sen`` and ``round_rupiah`` for
Decimals, ``round_ratio_half_up`` and ``ceil_ratio`` for exact integer ratios (the schedules'
sen arithmetic), and ``is_exact_to`` to check an amount's precision without rounding it.
``Decimal.quantize`` rounds half-even (banker's rounding) unless told otherwise, so outside
``domain/`` a bare ``.quantize(`` is refused by a test (tests/test_rounding_rule.py).
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

from koperasi.domain.errors import DomainError

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RUPIAH = Decimal("1")

# Money columns are DecimalField(max_digits=20, decimal_places=2): 18 digits before the comma.
MAX_INTEGER_DIGITS = 18
MAX_AMOUNT = Decimal(10) ** MAX_INTEGER_DIGITS - CENT  # Rp 999.999.999.999.999.999,99

# Only ASCII digits: ``\d`` also matches "١٠" (Arabic-Indic) or "１０" (full-width), and
# ``Decimal()`` would accept them.
_DIGITS = "[0-9]"
# Machine format: "50000", "50000.5", "50000.50", ".5", "-12" (sign only to report it).
_MACHINE_RE = re.compile(rf"(-?)({_DIGITS}*)(?:\.({_DIGITS}*))?")
# Form format, Indonesian: "1.250.000", "1250000", "1.250.000,50"; dots must group thousands
# (a first group of 1 to 3 digits not starting with 0, then groups of exactly 3).
_GROUPED = rf"[1-9]{_DIGITS}{{0,2}}(?:\.{_DIGITS}{{3}})+"
_RUPIAH_RE = re.compile(rf"(-?)({_GROUPED}|{_DIGITS}+)(?:,({_DIGITS}*))?")
# Form format with a decimal point: "50000.00", "1250000.5", "12.5" (1 or 2 digits after it).
_POINT_RE = re.compile(rf"(-?)({_DIGITS}+)\.({_DIGITS}{{1,2}})")
_RP_PREFIX_RE = re.compile(r"^(-?)\s*rp\.?", re.IGNORECASE)
# "Rp 50.000,-": the customary ",-" after a whole amount means "no sen".
_NO_SEN_SUFFIX = ",-"

# Rounding uses its own context, so the result is the same whatever the caller's decimal context
# is, and exact for any amount below 10^58 (the default 28 digits cannot hold 10^27 to the sen).
_ROUNDING_CTX = Context(prec=60, rounding=ROUND_HALF_UP)

RUPIAH_INPUT_HINT = "Enter the amount like 1.250.000, 1.250.000,50 or 1250000.50."


# --------------------------------------------------------------------------- rounding


def round_half_up(x: Decimal, exp: Decimal = CENT) -> Decimal:
    """Commercial rounding (0.005 -> 0.01), unlike Decimal's default banker's rounding.

    ``exp`` is the step as a power of ten: ``CENT`` (the default), ``RUPIAH`` or e.g.
    ``Decimal("1E+3")`` for thousands. Halves round away from zero (-0.005 -> -0.01).
    """
    return x.quantize(exp, context=_ROUNDING_CTX)


def round_sen(x: Decimal) -> Decimal:
    """``x`` rounded half-up to the sen, with exactly 2 decimal places."""
    return x.quantize(CENT, context=_ROUNDING_CTX)


def round_rupiah(x: Decimal) -> Decimal:
    """``x`` rounded half-up to the whole rupiah."""
    return x.quantize(RUPIAH, context=_ROUNDING_CTX)


def is_exact_to(x: Decimal, places: int = 2) -> bool:
    """Whether finite ``x`` has no non-zero digit after ``places`` decimals ("1.500" is exact
    to the sen, "1.005" is not). Exact at any size, whatever the decimal context."""
    _, digits, exponent = x.as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity
        return False
    extra = -exponent - places  # how many trailing digits lie beyond ``places``
    return extra <= 0 or not any(digits[-extra:])


def round_ratio_half_up(num: int, den: int, unit: int = 1) -> int:
    """``num / den`` rounded half-up (halves away from zero) to a multiple of ``unit``.

    Integer arithmetic on the exact ratio, so nothing is lost to a Decimal precision limit;
    amounts are in sen (``unit=100`` rounds to the rupiah). ``den`` and ``unit`` are positive.
    """
    if num < 0:
        return -round_ratio_half_up(-num, den, unit)
    return (2 * num + den * unit) // (2 * den * unit) * unit


def ceil_ratio(num: int, den: int, unit: int = 1) -> int:
    """``num / den`` rounded up (towards +∞) to a multiple of ``unit``; ``den``, ``unit`` > 0."""
    return -(-num // (den * unit)) * unit


# --------------------------------------------------------------------------- parsing


def parse_amount(
    value: str | int | Decimal, *, field: str = "amount", allow_zero: bool = False
) -> Decimal:
    """Parse a machine-format amount (API payloads, stored values) into 2-dp Decimal.

    Strings must be plain ASCII digits with an optional "." and at most 2 decimals. Decimals
    are accepted when their value is exact to the sen (``Decimal("1.500")`` is fine).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # float (and anything else) would silently lose exactness.
        raise DomainError("invalid", "Enter the amount as a number.", field)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise DomainError("required", "Enter an amount.", field)
        match = _MACHINE_RE.fullmatch(text)
        if match is None or not (match.group(2) or match.group(3)):
            raise DomainError("invalid", "Enter the amount as a number.", field)
        if len(match.group(3) or "") > 2:
            raise DomainError("too_precise", "Use at most 2 decimal places.", field)
        number = Decimal(text)
    else:
        number = Decimal(value)
    return _check_amount(number, field=field, allow_zero=allow_zero)


def parse_rupiah_input(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse what a person types in a web form, the Indonesian way or with a decimal point.

    Read as (after an optional "Rp"/"Rp." prefix; spaces are ignored, ASCII digits only):

    * ``1250000`` -> 1.250.000: plain digits.
    * ``1.250.000``, ``1.250`` -> 1.250.000, 1.250: dots that group thousands correctly (a first
      group of 1-3 digits, not starting with 0, then groups of exactly 3) separate thousands,
      as in Indonesian, so "1.250" is one thousand two hundred and fifty.
    * ``1.250.000,50``, ``1250000,5`` -> sen after a comma (at most 2 digits; "1,500" is
      refused as too precise rather than read as English thousands); "Rp 50.000,-" is whole.
    * ``50000.00``, ``1250000.5``, ``12.5`` -> a single dot followed by 1 or 2 digits is a
      decimal point: those digits cannot be a thousands group.
    * Anything else is refused rather than guessed: "0.500" and "1250.000" (3 digits after a
      dot that does not group thousands), "1.250.000.50", "1,250,000.50", "+5", ".5", "12.5.0".

    The "invalid" message (``RUPIAH_INPUT_HINT``) says what is accepted.
    """
    cleaned = text.strip().replace("\u00a0", " ")
    if not cleaned:
        raise DomainError("required", "Enter an amount.", field)
    cleaned = _RP_PREFIX_RE.sub(r"\1", cleaned)
    cleaned = re.sub(r"\s+", "", cleaned).removesuffix(_NO_SEN_SUFFIX)
    if not cleaned:
        raise DomainError("required", "Enter an amount.", field)
    match = _RUPIAH_RE.fullmatch(cleaned) or _POINT_RE.fullmatch(cleaned)
    if match is None:
        raise DomainError("invalid", RUPIAH_INPUT_HINT, field)
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
    if number > MAX_AMOUNT:
        raise DomainError("too_large", f"The amount must be at most {AMOUNT_LIMIT_TEXT}.", field)
    if not is_exact_to(number):
        raise DomainError("too_precise", "Use at most 2 decimal places.", field)
    if number == 0:
        if not allow_zero:
            raise DomainError("not_positive", "The amount must be greater than zero.", field)
        return ZERO  # also turns "-0" into plain zero
    return round_sen(number)  # exact here: only sets 2 decimal places


# --------------------------------------------------------------------------- formatting


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


# For messages such as "The amount must be at most Rp 999.999.999.999.999.999,99."
AMOUNT_LIMIT_TEXT = format_rupiah(MAX_AMOUNT, decimals=True)


# --------------------------------------------------------------------------- allocation


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
    units = abs(Fraction(total)) / Fraction(unit)  # Decimal abs() would round to the context
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
    # In the module's own context: exact whatever the caller's decimal context is.
    return [_ROUNDING_CTX.multiply(Decimal(sign * k), unit) for k in floors]
