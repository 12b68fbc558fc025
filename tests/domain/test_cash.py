from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.cash import DENOMINATIONS, MAX_PIECES, difference, pieces_total
from koperasi.domain.errors import DomainError


def test_total_of_pieces():
    assert pieces_total({100_000: 3, 500: 3, 100: 1}) == Decimal("301600.00")
    assert pieces_total({}) == Decimal("0.00")
    assert str(pieces_total({1_000: 2})) == "2000.00"


@pytest.mark.parametrize(
    "pieces,code",
    [
        ({75_000: 1}, "denomination"),
        ({1_000: -1}, "pieces_invalid"),
        ({1_000: 1.5}, "pieces_invalid"),
        ({1_000: True}, "pieces_invalid"),
        ({1_000: MAX_PIECES + 1}, "pieces_too_many"),
    ],
)
def test_refused_pieces(pieces, code):
    with pytest.raises(DomainError) as exc:
        pieces_total(pieces)
    assert exc.value.code == code


@given(st.dictionaries(st.sampled_from(DENOMINATIONS), st.integers(0, MAX_PIECES)))
def test_total_is_exact_and_whole_rupiah(pieces):
    total = pieces_total(pieces)
    assert total == sum(Decimal(v) * n for v, n in pieces.items())
    assert total == total.to_integral_value()


def test_difference_sign():
    assert difference(Decimal("90"), Decimal("100")) == Decimal("-10")
    assert difference(Decimal("100"), Decimal("90")) == Decimal("10")
