"""The SHU calculator: the year's surplus split into funds, and the members' part into shares.

Pure and exact (docs/DOMAIN.md "SHU"). The steps:

1. **Allocation** (``Allocation``): fund name → percent, from the AD/ART and the RAT. Each
   percent is a Decimal ≥ 0 with at most 2 decimals and together they are exactly 100 (the
   textbook list that sums to 105 % is refused). The members' part is the two funds
   ``jasa_modal`` (on savings) and ``jasa_usaha`` (on members' business with the cooperative):
   both must be present, either may be 0. Every other fund (reserve, board, staff, education,
   social, …) is a free name.
2. **Pools**: SHU × percent / 100 for every fund, to the sen, split by the largest remainder
   (``money.allocate_largest_remainder``) so the pools add up to the SHU exactly. The SHU is
   ≥ 0: a loss is not distributed.
3. **Shares**: a member's jasa modal = savings / total savings × jasa-modal pool, jasa usaha =
   transactions / total transactions × jasa-usaha pool, each **rounded down** to the rounding
   unit (0.01, 1, 100 or 1000 rupiah; DOMAIN.md: down to the rupiah, the default). Rounding
   down keeps Σ shares ≤ pool; the **remainder** pool − Σ shares is reported per pool (it goes
   to a rounding/reserve account), so Σ shares + remainder = pool exactly, always.

Totals default to the sums over the members given. A caller may pass larger totals (the
figures of members not listed, e.g. those who left during the year): the shares listed are
then their part of the whole and the unlisted members' part is in the remainder too. A zero
total gives every member a zero share of that pool and leaves the whole pool as remainder.

Savings and transactions are figures, not stored money: Decimals ≥ 0 with at most
``FIGURE_PLACES`` decimals (weights may make a transaction figure fractional), each at most
``MAX_AMOUNT``. The arithmetic is on integers (amounts in sen, figures in millionths), so each
share is the exact floor of the exact ratio, and a million members take a few seconds.

``ShuResult.working(member_id)`` (or ``share_working`` from stored figures) explains one share
("my savings ÷ total × pool"), computed on demand so the bulk run does not pay for it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Final

from koperasi.domain.errors import DomainError
from koperasi.domain.money import CENT, MAX_AMOUNT, allocate_largest_remainder, is_exact_to

JASA_MODAL: Final = "jasa_modal"
JASA_USAHA: Final = "jasa_usaha"
MEMBER_FUNDS: Final = (JASA_MODAL, JASA_USAHA)

# The rounding units a share may be rounded down to: the sen, the rupiah, Rp 100, Rp 1.000.
ROUNDING_UNITS: Final = (CENT, Decimal("1"), Decimal("100"), Decimal("1000"))
DEFAULT_ROUNDING: Final = Decimal("1")  # DOMAIN.md: each share rounded down to the rupiah

PERCENT_PLACES: Final = 2
FIGURE_PLACES: Final = 6
MAX_FUND_NAME: Final = 64
RATIO_PLACES: Final = 10  # MemberWorking's ratio (figure / total), rounded down
EXACT_PLACES: Final = 8  # MemberWorking's unrounded share, rounded down

_HUNDRED_PERCENT: Final = 100 * 10**PERCENT_PLACES  # 100 % in hundredths of a percent
_FIGURE_SCALE: Final = 10**FIGURE_PLACES
_ZERO: Final = Decimal(0)
# Explicit context for every Decimal made here: exact for any amount in range, whatever the
# caller's context (Decimal's default 28 digits would do; 60 is the money module's).
_CTX: Final = Context(prec=60, traps=[InvalidOperation])


# --------------------------------------------------------------------------- allocation


@dataclass(frozen=True, slots=True)
class Allocation:
    """Fund name → percent, in the order given; validated when made (``Allocation.of``)."""

    funds: tuple[tuple[str, Decimal], ...]

    def __post_init__(self) -> None:
        names: set[str] = set()
        total = 0  # hundredths of a percent
        for name, percent in self.funds:
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_FUND_NAME:
                raise DomainError(
                    "shu_fund_name", "A fund name is text of 1 to 64 characters.", "allocation"
                )
            if name in names:
                raise DomainError(
                    "shu_fund_duplicate", "Each fund may appear only once.", f"allocation.{name}"
                )
            names.add(name)
            total += _hundredths(percent, f"allocation.{name}")
        for name in MEMBER_FUNDS:
            if name not in names:
                raise DomainError(
                    "shu_fund_missing",
                    "The allocation needs the members' funds jasa_modal and jasa_usaha "
                    "(either may be 0).",
                    f"allocation.{name}",
                )
        if total != _HUNDRED_PERCENT:
            raise DomainError(
                "shu_allocation_sum",
                f"The allocation percentages must add up to exactly 100 %; they add up to "
                f"{_percent_text(total)} %.",
                "allocation",
            )

    @classmethod
    def of(cls, percents: Mapping[str, Decimal]) -> "Allocation":
        """An allocation from a mapping such as ``{"reserve": Decimal(40), ...}``."""
        return cls(funds=tuple(percents.items()))

    @property
    def percents(self) -> dict[str, Decimal]:
        return dict(self.funds)

    def percent(self, fund: str) -> Decimal:
        """The percent of ``fund`` (KeyError when it has none)."""
        return self.percents[fund]


def allocation_total(percents: Mapping[str, Decimal]) -> Decimal | None:
    """Σ percents when every one is a finite Decimal (for a message), else None."""
    if not all(isinstance(p, Decimal) and p.is_finite() for p in percents.values()):
        return None
    total = Decimal(0)
    for percent in percents.values():
        total = _CTX.add(total, percent)
    return total.normalize(_CTX)


def _hundredths(percent: object, field: str) -> int:
    if not isinstance(percent, Decimal) or not percent.is_finite():
        raise DomainError(
            "shu_percent_invalid", "Enter the percentage as a number, e.g. 20 or 2.5.", field
        )
    if percent < 0:
        raise DomainError("shu_percent_negative", "A percentage must not be negative.", field)
    if not is_exact_to(percent, PERCENT_PLACES):
        raise DomainError(
            "shu_percent_too_precise",
            "A percentage has at most 2 decimals, e.g. 12.5 or 33.33.",
            field,
        )
    if percent > 100:  # also bounds the integer below
        raise DomainError("shu_percent_too_large", "A percentage is at most 100.", field)
    numerator, denominator = percent.as_integer_ratio()
    return numerator * (10**PERCENT_PLACES // denominator)


def _percent_text(hundredths: int) -> str:
    return f"{Decimal(hundredths).scaleb(-PERCENT_PLACES, _CTX).normalize(_CTX):f}"


# --------------------------------------------------------------------------- input and result


@dataclass(frozen=True, slots=True)
class MemberFigures:
    """One member's figures for the year: the savings and transactions that count."""

    id: str
    savings: Decimal
    transactions: Decimal


@dataclass(frozen=True, slots=True)
class Pool:
    """One fund's part of the SHU."""

    fund: str
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MemberShare:
    """One member's SHU: jasa modal + jasa usaha, each rounded down to the rounding unit."""

    id: str
    jasa_modal: Decimal
    jasa_usaha: Decimal

    @property
    def total(self) -> Decimal:
        return _CTX.add(self.jasa_modal, self.jasa_usaha)


@dataclass(frozen=True, slots=True)
class ShareWorking:
    """How one share came about: ``figure / total × pool``, rounded down to ``unit``.

    ``ratio`` (figure / total) and ``exact`` (the unrounded share) are rounded down to
    ``RATIO_PLACES`` and ``EXACT_PLACES`` decimals, for showing; ``share`` is what is paid.
    A zero total gives ratio, exact and share 0.
    """

    figure: Decimal
    total: Decimal
    pool: Decimal
    unit: Decimal
    ratio: Decimal
    exact: Decimal
    share: Decimal


@dataclass(frozen=True, slots=True)
class MemberWorking:
    id: str
    jasa_modal: ShareWorking
    jasa_usaha: ShareWorking

    @property
    def total(self) -> Decimal:
        return _CTX.add(self.jasa_modal.share, self.jasa_usaha.share)


@dataclass(frozen=True, slots=True)
class ShuResult:
    """Pools (allocation order), shares (the members' order) and what rounding left over."""

    shu: Decimal
    rounding: Decimal
    pools: tuple[Pool, ...]
    members: tuple[MemberShare, ...]
    total_savings: Decimal
    total_transactions: Decimal
    # pool − Σ shares of the two members' pools (every other pool goes whole to its fund)
    remainder_jasa_modal: Decimal
    remainder_jasa_usaha: Decimal
    # the figures the shares were computed from, for ``working``
    figures: tuple[MemberFigures, ...]

    @property
    def remainder(self) -> Decimal:
        """The total remainder: Σ pools of the members − Σ all shares."""
        return _CTX.add(self.remainder_jasa_modal, self.remainder_jasa_usaha)

    @property
    def remainders(self) -> dict[str, Decimal]:
        return {JASA_MODAL: self.remainder_jasa_modal, JASA_USAHA: self.remainder_jasa_usaha}

    def pool(self, fund: str) -> Decimal:
        """The amount of ``fund``'s pool (KeyError when the allocation has no such fund)."""
        for pool in self.pools:
            if pool.fund == fund:
                return pool.amount
        raise KeyError(fund)

    def working(self, member_id: str) -> MemberWorking:
        """The working of one member's shares (KeyError for an id not in the result).

        A scan of the members: for one member's slip, not for a loop over all of them (a
        loop gives each member's stored figures to ``share_working`` instead)."""
        for figures in self.figures:
            if figures.id == member_id:
                return MemberWorking(
                    id=member_id,
                    jasa_modal=share_working(
                        figures.savings, self.total_savings, self.pool(JASA_MODAL), self.rounding
                    ),
                    jasa_usaha=share_working(
                        figures.transactions,
                        self.total_transactions,
                        self.pool(JASA_USAHA),
                        self.rounding,
                    ),
                )
        raise KeyError(member_id)


# --------------------------------------------------------------------------- the calculation


def compute_shu(
    *,
    shu: Decimal,
    allocation: Allocation,
    members: Sequence[MemberFigures],
    total_savings: Decimal | None = None,
    total_transactions: Decimal | None = None,
    rounding: Decimal = DEFAULT_ROUNDING,
) -> ShuResult:
    """Split ``shu`` by ``allocation`` and the members' pools over ``members``.

    Raises ``DomainError`` (nothing computed) for a negative SHU (``shu_loss``), an SHU not
    exact to the sen or too large, a rounding unit not in ``ROUNDING_UNITS``, a member without
    an id or with an id seen before, a negative or malformed figure, or a total below the sum
    of the members' figures. Fields name the input: ``shu``, ``rounding``, ``members[3].id``,
    ``members[3].savings``, ``total_savings``, ``total_transactions``.
    """
    shu_sen = _shu_sen(shu)
    unit = _unit_sen(rounding)
    savings, transactions = _scaled_figures(members)
    sum_savings, sum_transactions = sum(savings), sum(transactions)
    total_s = _total(total_savings, sum_savings, "total_savings")
    total_t = _total(total_transactions, sum_transactions, "total_transactions")

    amounts = allocate_largest_remainder(_sen(shu_sen), [p for _name, p in allocation.funds])
    pools = tuple(
        Pool(fund=name, percent=percent, amount=amount)
        for (name, percent), amount in zip(allocation.funds, amounts, strict=True)
    )
    by_fund = {pool.fund: pool.amount for pool in pools}
    modal_pool = _to_sen(by_fund[JASA_MODAL])
    usaha_pool = _to_sen(by_fund[JASA_USAHA])

    modal_den = total_s * unit
    usaha_den = total_t * unit
    shares = []
    paid_modal = paid_usaha = 0
    make = Decimal
    scaleb = _CTX.scaleb
    minus_two = make(-2)
    for member, s, t in zip(members, savings, transactions, strict=True):
        jm = modal_pool * s // modal_den * unit if modal_den else 0
        ju = usaha_pool * t // usaha_den * unit if usaha_den else 0
        paid_modal += jm
        paid_usaha += ju
        shares.append(
            MemberShare(member.id, scaleb(make(jm), minus_two), scaleb(make(ju), minus_two))
        )

    return ShuResult(
        shu=_sen(shu_sen),
        rounding=rounding,
        pools=pools,
        members=tuple(shares),
        total_savings=_figure(total_s),
        total_transactions=_figure(total_t),
        remainder_jasa_modal=_sen(modal_pool - paid_modal),
        remainder_jasa_usaha=_sen(usaha_pool - paid_usaha),
        figures=tuple(members),
    )


def share_working(figure: Decimal, total: Decimal, pool: Decimal, unit: Decimal) -> ShareWorking:
    """One share explained: ``figure / total × pool`` rounded down to ``unit``.

    The same arithmetic as ``compute_shu``, so ``share`` equals the share it computed from the
    same figure, total, pool and rounding (a member's stored figures suffice for a slip).
    """
    scaled = _scaled(figure, "figure")
    scaled_total = _scaled(total, "total")
    if scaled > scaled_total:
        raise DomainError(
            "shu_total_too_small",
            "A total must be at least the sum of the members' figures.",
            "total",
        )
    pool_sen = _to_sen(pool)
    unit_sen = _unit_sen(unit)
    if scaled_total == 0:
        ratio = exact = share = 0
    else:
        ratio = scaled * 10**RATIO_PLACES // scaled_total
        exact = pool_sen * scaled * 10 ** (EXACT_PLACES - 2) // scaled_total
        share = pool_sen * scaled // (scaled_total * unit_sen) * unit_sen
    return ShareWorking(
        figure=figure,
        total=total,
        pool=pool,
        unit=unit,
        ratio=_CTX.scaleb(Decimal(ratio), -RATIO_PLACES),
        exact=_CTX.scaleb(Decimal(exact), -EXACT_PLACES),
        share=_sen(share),
    )


# --------------------------------------------------------------------------- checks, conversions


def _shu_sen(shu: object) -> int:
    if not isinstance(shu, Decimal) or not shu.is_finite():
        raise DomainError("invalid", "Enter the SHU as a number.", "shu")
    if shu < 0:
        raise DomainError("shu_loss", "The SHU is negative: a loss is not distributed.", "shu")
    if not is_exact_to(shu):
        raise DomainError("too_precise", "Use at most 2 decimal places.", "shu")
    if shu > MAX_AMOUNT:
        raise DomainError("too_large", "The SHU is too large.", "shu")
    return _to_sen(shu)


def _unit_sen(rounding: object) -> int:
    # is_finite first: comparing a signalling NaN would raise InvalidOperation
    if (
        not isinstance(rounding, Decimal)
        or not rounding.is_finite()
        or rounding not in ROUNDING_UNITS
    ):
        raise DomainError(
            "shu_rounding",
            "Round shares down to 0.01 (the sen), 1 (the rupiah), 100 or 1000.",
            "rounding",
        )
    return _to_sen(rounding)


def _to_sen(amount: Decimal) -> int:
    """An amount exact to the sen as whole sen."""
    numerator, denominator = amount.as_integer_ratio()
    return numerator * (100 // denominator)


def _sen(sen: int) -> Decimal:
    return _CTX.scaleb(Decimal(sen), -2)


def _figure(scaled: int) -> Decimal:
    """A scaled figure back as a Decimal, without trailing zeros beyond the sen."""
    value = _CTX.scaleb(Decimal(scaled), -FIGURE_PLACES)
    return value if not is_exact_to(value) else _CTX.quantize(value, CENT)


def _total(given: Decimal | None, listed: int, field: str) -> int:
    if given is None:
        return listed
    total = _scaled(given, field)
    if total < listed:
        raise DomainError(
            "shu_total_too_small",
            "A total must be at least the sum of the members' figures.",
            field,
        )
    return total


def _scaled(value: object, field: str) -> int:
    """A figure in millionths, checked (the slow path of ``_scaled_figures``: for messages)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError("shu_figure_invalid", "Enter a number, e.g. 500000 or 500000.50.", field)
    if value < 0:
        raise DomainError(
            "shu_figure_negative", "Savings, transactions and totals must not be negative.", field
        )
    if not is_exact_to(value, FIGURE_PLACES):
        raise DomainError(
            "shu_figure_too_precise",
            "Savings, transactions and totals have at most 6 decimals.",
            field,
        )
    if value > MAX_AMOUNT:
        raise DomainError("too_large", "The figure is too large.", field)
    if value == 0:
        return 0
    numerator, denominator = value.as_integer_ratio()  # exact: the checks bound both
    return numerator * (_FIGURE_SCALE // denominator)


def _scaled_figures(members: Sequence[MemberFigures]) -> tuple[list[int], list[int]]:
    """Every member's savings and transactions in millionths; ids checked, duplicates refused."""
    savings: list[int] = []
    transactions: list[int] = []
    for index, member in enumerate(members):
        member_id = member.id
        if not isinstance(member_id, str) or not member_id or member_id.isspace():
            raise DomainError(
                "shu_member_id", "A member needs an id: non-empty text.", f"members[{index}].id"
            )
        savings.append(
            _fast_scaled(member.savings) or _scaled(member.savings, f"members[{index}].savings")
        )
        transactions.append(
            _fast_scaled(member.transactions)
            or _scaled(member.transactions, f"members[{index}].transactions")
        )
    if len({member.id for member in members}) != len(members):
        _refuse_duplicate(members)
    return savings, transactions


def _fast_scaled(value: object) -> int:
    """The usual figure (a Decimal > 0 in range, at most 6 decimals) in millionths, else 0.

    0 sends the caller to ``_scaled``, which checks the rest (and answers 0 for zero).
    ``adjusted()`` (the exponent of the leading digit) keeps a value such as 1E-999999999 from
    reaching ``as_integer_ratio``, which would build a 10^999999999 denominator.
    """
    if (
        type(value) is Decimal
        and value.is_finite()
        and _ZERO < value <= MAX_AMOUNT
        and value.adjusted() >= -FIGURE_PLACES
    ):
        numerator, denominator = value.as_integer_ratio()
        if not _FIGURE_SCALE % denominator:
            return numerator * (_FIGURE_SCALE // denominator)
    return 0


def _refuse_duplicate(members: Sequence[MemberFigures]) -> None:
    seen: set[str] = set()
    for index, member in enumerate(members):
        if member.id in seen:
            raise DomainError(
                "shu_member_duplicate",
                f"The member id {member.id!r} appears more than once.",
                f"members[{index}].id",
            )
        seen.add(member.id)
