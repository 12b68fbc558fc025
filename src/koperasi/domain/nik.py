"""NIK (Nomor Induk Kependudukan), the 16-digit Indonesian national identity number.

Layout: province(2) regency(2) district(2) DDMMYY serial(4). Women have 40 added to the
birth day, so their DD runs 41-71. The birth century is not encoded.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from koperasi.domain.errors import DomainError

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40
_SEPARATORS_RE = re.compile(r"[\s.\-]+")
_LEAP_YEAR = 2000  # used when checking a day against a month: 29 Feb may be valid

Sex = Literal["L", "P"]


@dataclass(frozen=True)
class NikInfo:
    """What a syntactically valid NIK tells us; the birth century stays unknown."""

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    sex: Sex
    birth_day: int
    birth_month: int
    birth_year_2digit: int
    serial: str


def parse_nik(raw: str, *, field: str = "nik") -> NikInfo:
    """Validate a NIK as typed (spaces, dots and dashes are ignored) and decode it."""
    nik = _SEPARATORS_RE.sub("", raw or "")
    if not nik:
        raise DomainError("required", "Enter the NIK.", field)
    if not (nik.isascii() and nik.isdigit()):
        raise DomainError("nik_digits", "A NIK contains digits only.", field)
    if len(nik) != NIK_LENGTH:
        raise DomainError("nik_length", "A NIK has exactly 16 digits.", field)

    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    encoded_day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    serial = nik[12:16]

    if province == "00":
        raise DomainError("nik_region", "The NIK province code is not valid.", field)
    if not 1 <= month <= 12:
        raise DomainError("nik_month", "The NIK birth month is not valid.", field)
    sex: Sex = "P" if encoded_day > FEMALE_DAY_OFFSET else "L"
    day = encoded_day - FEMALE_DAY_OFFSET if sex == "P" else encoded_day
    if not 1 <= day <= calendar.monthrange(_LEAP_YEAR, month)[1]:
        raise DomainError("nik_day", "The NIK birth day is not valid.", field)
    if serial == "0000":
        raise DomainError("nik_serial", "The NIK serial number cannot be 0000.", field)

    return NikInfo(
        nik=nik,
        province_code=province,
        regency_code=regency,
        district_code=district,
        sex=sex,
        birth_day=day,
        birth_month=month,
        birth_year_2digit=year2,
        serial=serial,
    )


def birth_date_candidates(info: NikInfo, today: date) -> list[date]:
    """Possible birth dates (19xx and 20xx), oldest first, excluding impossible ones.

    A date is impossible if it does not exist (29 Feb in a non-leap year) or is after
    ``today``. An empty list means the NIK cannot belong to anyone born yet.
    """
    candidates = []
    for century in (1900, 2000):
        try:
            born = date(century + info.birth_year_2digit, info.birth_month, info.birth_day)
        except ValueError:
            continue
        if born <= today:
            candidates.append(born)
    return candidates


def nik_warnings(
    info: NikInfo, *, sex: str | None, birth_date: date | None
) -> list[tuple[str, str]]:
    """Soft checks of the NIK against other member data; staff may still save.

    Returns ``(code, message)`` pairs. ``sex`` is "L" or "P"; other values are ignored.
    """
    warnings: list[tuple[str, str]] = []
    if sex is not None and sex.upper() in ("L", "P") and sex.upper() != info.sex:
        warnings.append(("nik_sex_mismatch", "The NIK does not match the member's sex."))
    if birth_date is not None and (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ) != (info.birth_day, info.birth_month, info.birth_year_2digit):
        warnings.append(
            ("nik_birth_date_mismatch", "The NIK does not match the member's birth date.")
        )
    return warnings


def generate_nik(
    province: str, regency: str, district: str, sex: str, birth_date: date, serial: int
) -> str:
    """Build a well-formed NIK, e.g. for demo data. The result always passes ``parse_nik``."""
    for name, code in (("province", province), ("regency", regency), ("district", district)):
        if len(code) != 2 or not (code.isascii() and code.isdigit()):
            raise DomainError("invalid", f"The {name} code must be 2 digits.", name)
    if sex not in ("L", "P"):
        raise DomainError("invalid", "Sex must be 'L' or 'P'.", "sex")
    if not 1 <= serial <= 9999:
        raise DomainError("invalid", "The serial must be between 1 and 9999.", "serial")
    day = birth_date.day + (FEMALE_DAY_OFFSET if sex == "P" else 0)
    nik = (
        f"{province}{regency}{district}"
        f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    )
    return parse_nik(nik).nik
