"""Loan quality (kolektibilitas), loan-loss allowances and the problem-loan figures.

Pure (docs DOMAIN.md "Loan quality"). Each cooperative chooses a regime:

* ``"bank"`` (the default): buckets by days past due, 1 Lancar (0), 2 Dalam Perhatian Khusus
  (1–90), 3 Kurang Lancar (91–180), 4 Diragukan (181–270), 5 Macet (> 270).
* ``"ksp"`` (Permenkop 14/2009): by the calendar months the oldest unpaid principal is overdue,
  with thresholds that depend on the instalment frequency, and the collateral; it has no DPK.

The rules are data (``BANK_BUCKETS``, ``KSP_THRESHOLDS``, ``ALLOWANCE_RATES``) so they can be read
and shown as they are. Amounts are computed as exact fractions and rounded once, half-up.
"""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal, get_args

from koperasi.domain.errors import DomainError
from koperasi.domain.money import MAX_INTEGER_DIGITS
from koperasi.domain.periods import add_months

Regime = Literal["bank", "ksp"]
REGIMES: tuple[str, ...] = get_args(Regime)

LANCAR, DPK, KURANG_LANCAR, DIRAGUKAN, MACET = 1, 2, 3, 4, 5
CLASS_NAMES: dict[int, str] = {
    LANCAR: "Lancar",
    DPK: "Dalam Perhatian Khusus",
    KURANG_LANCAR: "Kurang Lancar",
    DIRAGUKAN: "Diragukan",
    MACET: "Macet",
}

# (class, most days past due it allows, inclusive); None = no limit.
BANK_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (LANCAR, 0),
    (DPK, 90),
    (KURANG_LANCAR, 180),
    (DIRAGUKAN, 270),
    (MACET, None),
)
# Instalment frequency -> (first, second) threshold in months of principal overdue: Kurang
# Lancar when overdue > first and <= second months; beyond second, Diragukan or Macet.
KSP_THRESHOLDS: dict[str, tuple[int, int]] = {
    "monthly": (3, 6),
    "weekly": (1, 2),
    "daily": (1, 2),
    "semiannual": (6, 12),
}
KSP_DOUBTFUL_TO_LOSS_MONTHS = 21
# Collateral as a share of the debt that keeps a loan beyond the second threshold Diragukan.
KSP_COLLATERAL_SALVAGEABLE = Fraction(3, 4)
KSP_COLLATERAL_NOT_SALVAGEABLE = Fraction(1)

# BPR-style allowance (penyisihan penghapusan aset produktif as for rural banks), the default:
# Lancar on the whole outstanding, the other classes net of eligible collateral.
ALLOWANCE_RATES: dict[int, Decimal] = {
    LANCAR: Decimal("0.005"),
    DPK: Decimal("0.03"),
    KURANG_LANCAR: Decimal("0.10"),
    DIRAGUKAN: Decimal("0.50"),
    MACET: Decimal("1"),
}
# Weights of "risky problem loans" in the health assessment (penilaian kesehatan).
RISKY_PROBLEM_LOAN_WEIGHTS: dict[int, Decimal] = {
    KURANG_LANCAR: Decimal("0.50"),
    DIRAGUKAN: Decimal("0.75"),
    MACET: Decimal("1"),
}
# Problem-loan ratio (KL + D + M) / loans, as a fraction: (upper bound inclusive, grade).
PROBLEM_LOAN_RATIO_GRADES: tuple[tuple[Decimal | None, str], ...] = (
    (Decimal("0.05"), "sehat"),
    (Decimal("0.10"), "cukup_sehat"),
    (Decimal("0.15"), "kurang_sehat"),
    (None, "tidak_sehat"),
)

_SEN = 1
_RUPIAH = 100  # in sen


def bank_class(days_past_due: int) -> int:
    """The bank-style class for a number of days past due (0 = Lancar)."""
    if not isinstance(days_past_due, int) or isinstance(days_past_due, bool):
        raise DomainError("invalid", "Days past due must be a whole number.", "days_past_due")
    if days_past_due < 0:
        raise DomainError("negative", "Days past due must not be negative.", "days_past_due")
    for klass, most_days in BANK_BUCKETS:
        if most_days is None or days_past_due <= most_days:
            return klass
    raise AssertionError("BANK_BUCKETS must end with an open bucket")  # pragma: no cover


def ksp_class(
    *,
    oldest_unpaid_principal_due: date | None,
    as_of: date,
    frequency: str,
    salvageable: bool = True,
    collateral_value: Decimal = Decimal(0),
    debt: Decimal = Decimal(0),
    doubtful_since: date | None = None,
) -> int:
    """The class under Permenkop 14/2009 (no DPK in this regime).

    Principal overdue more than k months means as_of > add_months(oldest_unpaid_principal_due,
    k). Lancar (1) up to the first threshold of ``KSP_THRESHOLDS[frequency]``, Kurang Lancar (3)
    past it up to the second; beyond the second, Diragukan (4) when salvageable with collateral
    >= 75 % of the debt or not salvageable with collateral >= 100 %, else Macet (5). A loan
    classed Diragukan since ``doubtful_since`` is Macet once as_of >= add_months(doubtful_since,
    21). No unpaid principal due (``None``) is Lancar.
    """
    if frequency not in KSP_THRESHOLDS:
        raise DomainError("invalid", f"Choose one of: {', '.join(KSP_THRESHOLDS)}.", "frequency")
    _check_date(as_of, "as_of")
    if oldest_unpaid_principal_due is not None:
        _check_date(oldest_unpaid_principal_due, "oldest_unpaid_principal_due")
    if doubtful_since is not None:
        _check_date(doubtful_since, "doubtful_since")
    if not isinstance(salvageable, bool):
        raise DomainError("invalid", "Say whether the loan is salvageable.", "salvageable")
    collateral = _amount(collateral_value, "collateral_value")
    owed = _amount(debt, "debt")

    if oldest_unpaid_principal_due is None:
        return LANCAR
    first, second = KSP_THRESHOLDS[frequency]
    if not _after(as_of, _months_after(oldest_unpaid_principal_due, first)):
        return LANCAR
    if not _after(as_of, _months_after(oldest_unpaid_principal_due, second)):
        return KURANG_LANCAR
    needed = KSP_COLLATERAL_SALVAGEABLE if salvageable else KSP_COLLATERAL_NOT_SALVAGEABLE
    if collateral < needed * owed:
        return MACET
    if doubtful_since is not None:
        loss_on = _months_after(doubtful_since, KSP_DOUBTFUL_TO_LOSS_MONTHS)
        if loss_on is not None and as_of >= loss_on:
            return MACET
    return DIRAGUKAN


def classify(
    regime: str,
    *,
    days_past_due: int,
    oldest_unpaid_principal_due: date | None,
    as_of: date,
    frequency: str,
    salvageable: bool = True,
    collateral_value: Decimal = Decimal(0),
    debt: Decimal = Decimal(0),
    doubtful_since: date | None = None,
) -> int:
    """The class under the cooperative's regime: ``bank_class`` or ``ksp_class``."""
    if regime == "bank":
        return bank_class(days_past_due)
    if regime == "ksp":
        return ksp_class(
            oldest_unpaid_principal_due=oldest_unpaid_principal_due,
            as_of=as_of,
            frequency=frequency,
            salvageable=salvageable,
            collateral_value=collateral_value,
            debt=debt,
            doubtful_since=doubtful_since,
        )
    raise DomainError("invalid_regime", f"Choose one of: {', '.join(REGIMES)}.", "regime")


def allowance(
    outstanding: Decimal, klass: int, eligible_collateral: Decimal = Decimal(0)
) -> Decimal:
    """The BPR-style loan-loss allowance for one loan, rounded half-up to the rupiah.

    Lancar: 0.5 % of the outstanding; the other classes: their rate × max(0, outstanding −
    eligible collateral).
    """
    balance = _amount(outstanding, "outstanding")
    collateral = _amount(eligible_collateral, "eligible_collateral")
    if not isinstance(klass, int) or isinstance(klass, bool) or klass not in ALLOWANCE_RATES:
        raise DomainError("invalid", "The loan class must be 1 to 5.", "klass")
    base = balance if klass == LANCAR else max(Fraction(0), balance - collateral)
    return _round_half_up(base * Fraction(ALLOWANCE_RATES[klass]), _RUPIAH)


def risky_problem_loans(kurang_lancar: Decimal, diragukan: Decimal, macet: Decimal) -> Decimal:
    """50 % × Kurang Lancar + 75 % × Diragukan + 100 % × Macet, rounded half-up to the sen."""
    total = (
        _amount(kurang_lancar, "kurang_lancar")
        * Fraction(RISKY_PROBLEM_LOAN_WEIGHTS[KURANG_LANCAR])
        + _amount(diragukan, "diragukan") * Fraction(RISKY_PROBLEM_LOAN_WEIGHTS[DIRAGUKAN])
        + _amount(macet, "macet") * Fraction(RISKY_PROBLEM_LOAN_WEIGHTS[MACET])
    )
    return _round_half_up(total, _SEN)


def problem_loan_ratio_grade(ratio: Decimal) -> str:
    """The grade of (KL + D + M) / loans given as a fraction (0.05 is 5 %)."""
    if not isinstance(ratio, Decimal) or not ratio.is_finite():
        raise DomainError("invalid", "Enter the ratio as a Decimal.", "ratio")
    if ratio < 0:
        raise DomainError("negative", "The ratio must not be negative.", "ratio")
    for most, grade in PROBLEM_LOAN_RATIO_GRADES:
        if most is None or ratio <= most:
            return grade
    raise AssertionError("PROBLEM_LOAN_RATIO_GRADES must end open")  # pragma: no cover


def _months_after(start: date, months: int) -> date | None:
    """add_months, or None when that falls past 31/12/9999 (so after every date)."""
    try:
        return add_months(start, months)
    except DomainError:
        return None


def _after(day: date, limit: date | None) -> bool:
    return limit is not None and day > limit


def _check_date(value: object, field: str) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError("invalid", "Enter a date.", field)


def _amount(value: object, field: str) -> Fraction:
    """A non-negative finite Decimal, exactly, as a Fraction."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("invalid", "Enter the amount as a Decimal.", field)
    if value < 0:
        raise DomainError("negative", "The amount must not be negative.", field)
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise DomainError("too_large", "The amount is too large.", field)
    return Fraction(value)


def _round_half_up(value: Fraction, unit_sen: int) -> Decimal:
    """A non-negative rupiah amount rounded half-up to ``unit_sen`` sen, as a 2-decimal Decimal."""
    units = (2 * value.numerator * 100 + value.denominator * unit_sen) // (
        2 * value.denominator * unit_sen
    )
    sen = units * unit_sen
    return Decimal((0, tuple(int(d) for d in str(sen)), -2))
