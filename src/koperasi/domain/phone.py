"""Indonesian mobile numbers, normalised to E.164 ("+628...") for WhatsApp/SMS and lookups."""

import re

from koperasi.domain.errors import DomainError

COUNTRY_CODE = "62"
MIN_NATIONAL_DIGITS = 9  # "8" followed by 8 more digits
MAX_NATIONAL_DIGITS = 12  # "8" followed by 11 more digits
_NOISE_RE = re.compile(r"[\s\-.()]+")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Turn "0812-3456-7890", "+62 812 3456 7890", "62812..." or "812..." into "+62812...".

    The same number typed different ways must compare equal, so it is stored in one form.
    """
    text = _NOISE_RE.sub("", raw or "")
    if not text:
        raise DomainError("required", "Enter a phone number.", field)
    has_plus = text.startswith("+")
    digits = text[1:] if has_plus else text
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise DomainError("phone_invalid", "A phone number contains digits only.", field)

    if has_plus or digits.startswith("00"):
        digits = digits if has_plus else digits[2:]  # "0062..." is the dialled form of +62
        if not digits.startswith(COUNTRY_CODE):
            raise DomainError(
                "phone_invalid", "Only Indonesian numbers (+62) are supported.", field
            )
        national = digits[len(COUNTRY_CODE) :]
    elif digits.startswith(COUNTRY_CODE):
        national = digits[len(COUNTRY_CODE) :]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if national.startswith("0"):
        national = national[1:]  # "+62 (0)812..." keeps the trunk zero by habit

    if not national.startswith("8"):
        raise DomainError("phone_not_mobile", "Enter a mobile number (08...).", field)
    if not MIN_NATIONAL_DIGITS <= len(national) <= MAX_NATIONAL_DIGITS:
        raise DomainError("phone_length", "The mobile number has the wrong length.", field)
    return "+" + COUNTRY_CODE + national
