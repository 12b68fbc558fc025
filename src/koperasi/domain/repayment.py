"""Loan repayments: splitting a payment over instalments, and late-payment penalties (denda).

Pure and exact (docs DOMAIN.md "Loans"): the allocation order and the penalty rule have no
national rule, so both are product settings passed in here. Inside, every amount is a whole
number of sen (``int``) and every rate an exact fraction, so results do not depend on the
caller's decimal context and each rounding is the half-up of the *exact* value.

Allocation (``allocate``) takes what each instalment still owes, oldest first, and pays it in
one of two ways:

* vertical (``per_instalment=False``, for arrears): one component at a time across all rows,
  so with the default order every penalty is paid before any interest, and all interest before
  any principal;
* horizontal (``per_instalment=True``, for paying future instalments in advance): one row at a
  time, each row's components in order, before the next row.

Penalties (``penalty_increment``) are assessed per instalment over a window of days
(assessed_through, as_of]; a day is chargeable once it is past the due date plus the grace days.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, get_args

from koperasi.domain.errors import DomainError
from koperasi.domain.money import MAX_INTEGER_DIGITS
from koperasi.domain.periods import months_between

COMPONENTS: tuple[str, ...] = ("penalty", "interest", "principal")
DEFAULT_ORDER: tuple[str, ...] = COMPONENTS
ORDER_SEPARATOR = ","  # between the components of a product's allocation order

PenaltyKind = Literal["none", "pct_day", "pct_month", "flat"]
PENALTY_KINDS: tuple[str, ...] = get_args(PenaltyKind)

SEN_PER_RUPIAH = 100
# Sanity bounds, not legal ones: they keep the exact integer arithmetic small.
MAX_PENALTY_RATE = Decimal(100)  # percent per day or per month
MAX_PENALTY_CAP_PCT = Decimal(1000)  # percent of the instalment
RATE_PLACES = 8  # the rate and the cap are entered with at most 8 decimals


@dataclass(frozen=True, slots=True)
class Due:
    """What one instalment still owes; amounts are >= 0 and exact to the sen."""

    no: int
    penalty: Decimal
    interest: Decimal
    principal: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.no, int) or isinstance(self.no, bool):
            raise DomainError("invalid", "The instalment number must be a whole number.", "dues")
        for component in COMPONENTS:
            _to_sen(getattr(self, component), "dues")


@dataclass(frozen=True, slots=True)
class Applied:
    """What a payment pays on one instalment."""

    no: int
    penalty: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        # Summed in sen so the result is exact whatever the caller's decimal context.
        return _from_sen(
            _to_sen(self.penalty, "penalty")
            + _to_sen(self.interest, "interest")
            + _to_sen(self.principal, "principal")
        )


def parse_order(text: str) -> tuple[str, ...]:
    """Parse a setting such as "penalty, interest, principal" into a tuple of components.

    Any permutation of the three, spaces allowed, names matched case-insensitively; anything
    else raises ``invalid_order`` on the field ``allocation_order``.
    """
    if not isinstance(text, str):
        raise _invalid_order()
    return _check_order([part.strip().lower() for part in text.split(ORDER_SEPARATOR)])


def allocate(
    amount: Decimal,
    dues: Sequence[Due],
    order: Sequence[str] = DEFAULT_ORDER,
    *,
    per_instalment: bool = False,
) -> tuple[tuple[Applied, ...], Decimal]:
    """Split a payment over instalments given oldest first.

    ``per_instalment=False`` is vertical (each component in ``order`` across all rows, oldest
    first); ``True`` is horizontal (row by row, each row's components in ``order``). Returns one
    ``Applied`` per row that received something, in row order, and the leftover (>= 0); the
    applied totals plus the leftover equal ``amount`` exactly.
    """
    remaining = _to_sen(amount, "amount")
    components = _check_order(order)
    if not all(isinstance(due, Due) for due in dues):
        raise DomainError("invalid", "Give the instalments due as a list of Due.", "dues")
    owed = [{c: _to_sen(getattr(due, c), "dues") for c in COMPONENTS} for due in dues]
    paid = [dict.fromkeys(COMPONENTS, 0) for _ in dues]

    if per_instalment:
        steps = [(row, c) for row in range(len(dues)) for c in components]
    else:
        steps = [(row, c) for c in components for row in range(len(dues))]
    for row, component in steps:
        if remaining == 0:
            break
        part = min(remaining, owed[row][component])
        paid[row][component] = part
        remaining -= part

    applied = tuple(
        Applied(
            no=due.no,
            penalty=_from_sen(sen["penalty"]),
            interest=_from_sen(sen["interest"]),
            principal=_from_sen(sen["principal"]),
        )
        for due, sen in zip(dues, paid, strict=True)
        if any(sen.values())
    )
    return applied, _from_sen(remaining)


@dataclass(frozen=True, slots=True)
class PenaltyRule:
    """A product's late-payment penalty; invalid settings raise ``DomainError`` on creation.

    ``rate`` is a percentage of the overdue amount per day (``pct_day``) or per month
    (``pct_month``); ``flat`` is rupiah per missed instalment; ``cap_pct`` limits the total
    penalty on one instalment to that percentage of its scheduled payment (0 = no cap).
    """

    kind: PenaltyKind
    rate: Decimal = Decimal(0)
    flat: Decimal = Decimal(0)
    grace_days: int = 0
    cap_pct: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.kind not in PENALTY_KINDS:
            raise DomainError(
                "invalid", f"Choose one of: {', '.join(PENALTY_KINDS)}.", "penalty_kind"
            )
        _check_percentage(self.rate, "penalty_rate", MAX_PENALTY_RATE)
        _to_sen(self.flat, "penalty_flat")
        if not isinstance(self.grace_days, int) or isinstance(self.grace_days, bool):
            raise DomainError(
                "invalid", "The grace period must be a whole number of days.", "penalty_grace_days"
            )
        if self.grace_days < 0:
            raise DomainError(
                "negative", "The grace period must be zero or more days.", "penalty_grace_days"
            )
        _check_percentage(self.cap_pct, "penalty_cap_pct", MAX_PENALTY_CAP_PCT)


def penalty_increment(
    rule: PenaltyRule,
    *,
    overdue: Decimal,
    payment: Decimal,
    due_date: date,
    assessed_through: date | None,
    as_of: date,
    already: Decimal,
) -> Decimal:
    """The penalty to add on one instalment for the days (assessed_through, as_of].

    A day d is chargeable when d > due_date + grace_days (``None`` means nothing assessed yet).
    ``overdue`` is the instalment's unpaid principal + interest now, ``payment`` its scheduled
    payment (for the cap), ``already`` the penalty assessed on it so far.

    * ``pct_day``: overdue × rate/100 × the chargeable days in the window.
    * ``pct_month``: overdue × rate/100 × the months of lateness completed in the window; month k
      is complete on add_months(due_date + grace_days, k).

    For the percentage kinds the increment is round(overdue × rate × lateness up to as_of) −
    round(overdue × rate × lateness up to the window's start), each rounded half-up to the
    rupiah, so with the same overdue amount (a, b] + (b, c] equals (a, c] exactly.
    * ``flat``: the flat fee once, when the first chargeable day falls in the window.
    * ``none``: 0.

    Nothing when overdue <= 0 or as_of <= assessed_through. The increment is then limited so
    already + increment <= the cap (payment × cap_pct/100, rounded half-up to the rupiah) when
    cap_pct > 0; it is never negative. The flat fee is charged exactly once.
    """
    if not isinstance(rule, PenaltyRule):
        raise DomainError("invalid", "A penalty rule is required.", "rule")
    overdue_sen = _to_sen(overdue, "overdue", allow_negative=True)
    payment_sen = _to_sen(payment, "payment")
    already_sen = _to_sen(already, "already")
    _check_date(due_date, "due_date")
    _check_date(as_of, "as_of")
    if assessed_through is not None:
        _check_date(assessed_through, "assessed_through")
    if rule.kind == "none" or overdue_sen <= 0:
        return _from_sen(0)
    if assessed_through is not None and as_of <= assessed_through:
        return _from_sen(0)
    try:
        # The eve of the first chargeable day: lateness is counted from here.
        eve = due_date + timedelta(days=rule.grace_days)
    except OverflowError:  # past 31/12/9999: no day can be chargeable
        return _from_sen(0)
    # The chargeable part of the window starts at its later bound.
    start = eve if assessed_through is None else max(assessed_through, eve)

    if rule.kind == "flat":
        # start is never before eve, so the first chargeable day (eve + 1) is in the window
        # (start, as_of] only when the window starts at eve and reaches past it.
        first_day_in_window = start == eve < as_of
        charged = _to_sen(rule.flat, "penalty_flat") if first_day_in_window else 0
        increment = _round_to_rupiah(charged, 1)
    else:
        # The rounded penalty for all lateness up to as_of minus the same up to the window's
        # start: the increments telescope, so assessing day by day adds up to exactly what
        # one assessment over the whole period gives (the day-end catch-up relies on this).
        if rule.kind == "pct_day":
            before, after = (start - eve).days, max((as_of - eve).days, 0)
        else:  # pct_month: whole months of lateness completed
            before, after = _months_late(eve, start), _months_late(eve, as_of)
        num, den = rule.rate.as_integer_ratio()
        increment = _round_to_rupiah(overdue_sen * num * after, den * 100) - _round_to_rupiah(
            overdue_sen * num * before, den * 100
        )

    if rule.cap_pct > 0:
        num, den = rule.cap_pct.as_integer_ratio()
        cap = _round_to_rupiah(payment_sen * num, den * 100)
        increment = min(increment, cap - already_sen)
    return _from_sen(max(increment, 0))


def _months_late(eve: date, on: date) -> int:
    """Whole months of lateness completed on ``on``: month k completes on add_months(eve, k)."""
    return months_between(eve, on) if on >= eve else 0


def _round_to_rupiah(num: int, den: int) -> int:
    """num/den sen (num >= 0, den > 0) rounded half-up to a whole rupiah, in sen."""
    unit = SEN_PER_RUPIAH
    return (2 * num + den * unit) // (2 * den * unit) * unit


def _check_order(order: object) -> tuple[str, ...]:
    if isinstance(order, str) or not isinstance(order, Sequence):
        raise _invalid_order()
    parts = tuple(order)
    if len(parts) != len(COMPONENTS) or set(parts) != set(COMPONENTS):
        raise _invalid_order()
    return parts


def _invalid_order() -> DomainError:
    return DomainError(
        "invalid_order",
        f"The allocation order must name each of {', '.join(COMPONENTS)} once, "
        "separated by commas.",
        "allocation_order",
    )


def _check_date(value: object, field: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError("invalid", "Enter a date.", field)


def _check_percentage(value: object, field: str, limit: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the percentage as a Decimal.", field)
    if value < 0:
        raise DomainError("negative", "The percentage must not be negative.", field)
    if value > limit:
        raise DomainError("too_large", "The percentage is too high.", field)
    if _places(value) > RATE_PLACES:
        raise DomainError("too_precise", f"Use at most {RATE_PLACES} decimal places.", field)


def _to_sen(value: object, field: str, *, allow_negative: bool = False) -> int:
    """An amount exact to the sen as whole sen; refuses floats, NaN, huge and negative ones."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the amount as a Decimal.", field)
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise DomainError("too_large", "The amount is too large.", field)
    if _places(value) > 2:
        raise DomainError("too_precise", "Use at most 2 decimal places.", field)
    num, den = value.as_integer_ratio()
    sen = num * SEN_PER_RUPIAH // den  # exact: at most 2 decimal places
    if sen < 0 and not allow_negative:
        raise DomainError("negative", "The amount must not be negative.", field)
    return sen


def _places(value: Decimal) -> int:
    """Decimal places that matter (trailing zeros do not): 1.50 -> 1, 100 -> 0, 1E+2 -> 0."""
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant or not isinstance(exponent, int):  # zero (or not finite)
        return 0
    return max(0, -(exponent + len(digits) - len(significant)))


def _from_sen(sen: int) -> Decimal:
    """Whole sen as a 2-decimal Decimal, built from its digits so no context can round it."""
    return Decimal((1 if sen < 0 else 0, tuple(int(d) for d in str(abs(sen))), -2))
