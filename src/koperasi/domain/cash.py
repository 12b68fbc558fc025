"""A teller's cash count: pieces of each rupiah note or coin, their total, the difference.

Pure: the pieces are a mapping of face value → number of pieces; the total is exact (whole
rupiah, as Decimal). Rp 1.000 exists as a note and as a coin: both are counted under 1000.
"""

from collections.abc import Mapping
from decimal import Decimal

from koperasi.domain.errors import DomainError

# Face values in circulation (Bank Indonesia), largest first: notes 100.000 … 1.000, coins
# 1.000 … 100.
DENOMINATIONS: tuple[int, ...] = (
    100_000,
    50_000,
    20_000,
    10_000,
    5_000,
    2_000,
    1_000,
    500,
    200,
    100,
)
# More pieces of one value than any drawer holds: a typing slip, not a count.
MAX_PIECES = 1_000_000


def pieces_total(pieces: Mapping[int, int]) -> Decimal:
    """Σ value × pieces, refusing an unknown face value or a negative or absurd number of pieces."""
    total = 0
    for value, count in pieces.items():
        if value not in DENOMINATIONS:
            raise DomainError("denomination", f"Rp {value} is not a rupiah note or coin.", "pieces")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DomainError(
                "pieces_invalid", "A number of pieces is a whole number ≥ 0.", "pieces"
            )
        if count > MAX_PIECES:
            raise DomainError("pieces_too_many", "Too many pieces of one value.", "pieces")
        total += value * count
    return Decimal(total).scaleb(0) + Decimal("0.00")


def difference(counted: Decimal, closing: Decimal) -> Decimal:
    """Counted − booked: negative is a shortage (kurang), positive an overage (lebih)."""
    return counted - closing
