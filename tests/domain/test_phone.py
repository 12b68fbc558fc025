import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.phone import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("(0812) 3456.7890", "+6281234567890"),
        ("+62 (0)812-3456-7890", "+6281234567890"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("  081234567890\t", "+6281234567890"),
        ("0812345678", "+62812345678"),  # shortest: 8 + 8 digits
        ("0812345678901", "+62812345678901"),  # longest: 8 + 11 digits
        ("0857 1234 5678", "+6285712345678"),
    ],
)
def test_normalize_phone_accepts(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("  - . ( ) ", "required"),
        ("+", "phone_invalid"),
        ("0812-3456-789O", "phone_invalid"),  # letter O
        ("0812/3456/7890", "phone_invalid"),
        ("62+81234567890", "phone_invalid"),
        ("+1 415 555 2671", "phone_invalid"),  # not Indonesian
        ("021-5551234", "phone_not_mobile"),  # Jakarta landline
        ("+62 21 5551234", "phone_not_mobile"),
        ("0812345", "phone_length"),
        ("081234567", "phone_length"),  # 8 + 7 digits
        ("08123456789012", "phone_length"),  # 8 + 12 digits
    ],
)
def test_normalize_phone_rejects(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        normalize_phone(raw)
    assert exc_info.value.code == code
    assert exc_info.value.field == "phone"


@given(rest=st.text(alphabet="0123456789", min_size=8, max_size=11))
def test_all_spellings_agree(rest: str) -> None:
    expected = "+628" + rest
    spellings = ["08" + rest, "+628" + rest, "628" + rest, "8" + rest, "+62 8" + rest]
    assert {normalize_phone(s) for s in spellings} == {expected}
    assert normalize_phone(expected) == expected  # idempotent
