from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.terbilang import terbilang


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "Nol rupiah"),
        ("1", "Satu rupiah"),
        ("11", "Sebelas rupiah"),
        ("19", "Sembilan belas rupiah"),
        ("100", "Seratus rupiah"),
        ("111", "Seratus sebelas rupiah"),
        ("1000", "Seribu rupiah"),
        ("1001", "Seribu satu rupiah"),
        ("11000", "Sebelas ribu rupiah"),
        ("101000", "Seratus satu ribu rupiah"),
        ("1001000", "Satu juta seribu rupiah"),  # num2words alone says "satu juta satu ribu"
        ("1250000", "Satu juta dua ratus lima puluh ribu rupiah"),
        ("1000000000", "Satu miliar rupiah"),
        ("1000001000", "Satu miliar seribu rupiah"),
        ("2000000000000", "Dua triliun rupiah"),
        ("50000.50", "Lima puluh ribu rupiah lima puluh sen"),
        ("1000.01", "Seribu rupiah satu sen"),
        ("0.50", "Nol rupiah lima puluh sen"),
        ("99.995", "Seratus rupiah"),  # rounded half up to the sen
        ("-1500", "Minus seribu lima ratus rupiah"),
    ],
)
def test_terbilang(amount: str, expected: str) -> None:
    assert terbilang(Decimal(amount)) == expected


def test_terbilang_largest_supported() -> None:
    words = terbilang(Decimal("999999999999999999"))
    assert words.startswith("Sembilan ratus sembilan puluh sembilan kuadriliun ")
    assert words.endswith(" sembilan ratus sembilan puluh sembilan rupiah")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), 1.5])
def test_terbilang_rejects_non_finite(amount: Decimal) -> None:
    with pytest.raises(DomainError) as exc_info:
        terbilang(amount)
    assert exc_info.value.code == "invalid"


def test_terbilang_rejects_too_large() -> None:
    with pytest.raises(DomainError) as exc_info:
        terbilang(Decimal(10) ** 18)
    assert exc_info.value.code == "too_large"


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_terbilang_wording_rules(n: int) -> None:
    words = terbilang(Decimal(n))
    assert words.endswith(" rupiah")
    assert words[0].isupper() and words[1:] == words[1:].lower()
    lowered = f" {words.lower()} "
    # Indonesian contracts 1 x 10, 100 and 1000 into "se-" words.
    for wrong in (" satu puluh ", " satu ratus ", " satu belas "):
        assert wrong not in lowered
    # "satu ribu" is only right after a tens or hundreds word ("seratus satu ribu").
    tokens = words.lower().split()
    for i in range(len(tokens) - 1):
        if tokens[i : i + 2] == ["satu", "ribu"]:
            assert i > 0 and tokens[i - 1] in ("puluh", "ratus", "seratus")
    assert "  " not in words
