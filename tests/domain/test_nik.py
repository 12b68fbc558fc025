from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.nik import (
    NikInfo,
    birth_date_candidates,
    generate_nik,
    nik_warnings,
    parse_nik,
)


def test_parse_male_nik() -> None:
    info = parse_nik("3201011505900001")
    assert info == NikInfo(
        nik="3201011505900001",
        province_code="32",
        regency_code="01",
        district_code="01",
        sex="L",
        birth_day=15,
        birth_month=5,
        birth_year_2digit=90,
        serial="0001",
    )


def test_parse_female_nik_subtracts_40_from_day() -> None:
    info = parse_nik("3201015505900001")
    assert info.sex == "P"
    assert info.birth_day == 15
    assert info.birth_month == 5
    assert info.birth_year_2digit == 90


@pytest.mark.parametrize(
    "raw",
    ["3201 0115 0590 0001", "32.01.01.150590.0001", "3201-0115-0590-0001", " 3201011505900001\n"],
)
def test_parse_nik_ignores_separators(raw: str) -> None:
    assert parse_nik(raw).nik == "3201011505900001"


@pytest.mark.parametrize(
    ("raw", "day", "month", "sex"),
    [
        ("3201010101000001", 1, 1, "L"),
        ("3201013112990001", 31, 12, "L"),
        ("3201014101000001", 1, 1, "P"),
        ("3201017112990001", 31, 12, "P"),
        ("3201012902000001", 29, 2, "L"),  # century unknown, so 29 Feb is allowed
        ("3201016902010001", 29, 2, "P"),
    ],
)
def test_parse_nik_day_edges(raw: str, day: int, month: int, sex: str) -> None:
    info = parse_nik(raw)
    assert (info.birth_day, info.birth_month, info.sex) == (day, month, sex)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        (" - . ", "required"),
        ("320101150590001", "nik_length"),  # 15 digits
        ("32010115059000011", "nik_length"),  # 17 digits
        ("32010115059O0001", "nik_digits"),  # letter O, not zero
        ("3201011505900OO1", "nik_digits"),
        ("320101150590000A", "nik_digits"),
        ("３２０１０１１５０５９０００01", "nik_digits"),  # full-width digits
        ("3201011513900001", "nik_month"),  # month 13
        ("3201011500900001", "nik_month"),  # month 00
        ("3201013205900001", "nik_day"),  # day 32
        ("3201014005900001", "nik_day"),  # day 40: neither male nor female
        ("3201017205900001", "nik_day"),  # day 72 -> female 32
        ("3201010005900001", "nik_day"),  # day 00
        ("3201013104900001", "nik_day"),  # 31 April
        ("3201017104900001", "nik_day"),  # female 31 April
        ("3201013002900001", "nik_day"),  # 30 February
        ("3201011505900000", "nik_serial"),
        ("0001011505900001", "nik_region"),
    ],
)
def test_parse_nik_rejects(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        parse_nik(raw)
    assert exc_info.value.code == code
    assert exc_info.value.field == "nik"


def test_birth_date_candidates() -> None:
    today = date(2026, 11, 22)
    assert birth_date_candidates(parse_nik("3201011505900001"), today) == [date(1990, 5, 15)]
    assert birth_date_candidates(parse_nik("3201011505100001"), today) == [
        date(1910, 5, 15),
        date(2010, 5, 15),
    ]
    # 22 Nov 2026 itself is possible, 23 Nov 2026 is not yet
    assert birth_date_candidates(parse_nik("3201012211260001"), today)[-1] == date(2026, 11, 22)
    assert birth_date_candidates(parse_nik("3201012311260001"), today) == [date(1926, 11, 23)]
    # 29 Feb 1900 did not exist (not a leap year), 29 Feb 2000 did
    assert birth_date_candidates(parse_nik("3201016902000001"), today) == [date(2000, 2, 29)]
    # 29 Feb 2001/1901: neither exists
    assert birth_date_candidates(parse_nik("3201012902010001"), today) == []


def test_nik_warnings() -> None:
    info = parse_nik("3201015505900001")  # female, 15 May 1990
    assert nik_warnings(info, sex="P", birth_date=date(1990, 5, 15)) == []
    assert nik_warnings(info, sex="p", birth_date=None) == []
    assert nik_warnings(info, sex=None, birth_date=None) == []
    assert nik_warnings(info, sex="P", birth_date=date(2090, 5, 15)) == []  # century unknown
    codes = [code for code, _ in nik_warnings(info, sex="L", birth_date=date(1990, 5, 16))]
    assert codes == ["nik_sex_mismatch", "nik_birth_date_mismatch"]
    for other in (date(1990, 6, 15), date(1991, 5, 15)):
        warnings = nik_warnings(info, sex=None, birth_date=other)
        assert [code for code, _ in warnings] == ["nik_birth_date_mismatch"]
        assert warnings[0][1]  # a readable message is included


def test_generate_nik_examples() -> None:
    assert generate_nik("32", "01", "01", "L", date(1990, 5, 15), 1) == "3201011505900001"
    assert generate_nik("32", "01", "01", "P", date(1990, 5, 15), 1) == "3201015505900001"
    assert generate_nik("31", "74", "05", "P", date(2003, 12, 31), 9999) == "3174057112039999"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("3", "01", "01", "L", date(1990, 5, 15), 1), "invalid"),
        (("32", "0a", "01", "L", date(1990, 5, 15), 1), "invalid"),
        (("32", "01", "01", "X", date(1990, 5, 15), 1), "invalid"),
        (("32", "01", "01", "L", date(1990, 5, 15), 0), "invalid"),
        (("32", "01", "01", "L", date(1990, 5, 15), 10000), "invalid"),
        (("00", "01", "01", "L", date(1990, 5, 15), 1), "nik_region"),
    ],
)
def test_generate_nik_rejects(args: tuple[str, str, str, str, date, int], code: str) -> None:
    with pytest.raises(DomainError) as exc_info:
        generate_nik(*args)
    assert exc_info.value.code == code


two_digits = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")


@given(
    province=st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}"),
    regency=two_digits,
    district=two_digits,
    sex=st.sampled_from(["L", "P"]),
    birth_date=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_generate_then_parse_round_trips(
    province: str, regency: str, district: str, sex: str, birth_date: date, serial: int
) -> None:
    nik = generate_nik(province, regency, district, sex, birth_date, serial)
    info = parse_nik(nik)

    assert len(nik) == 16
    assert info.sex == sex
    assert (info.province_code, info.regency_code, info.district_code) == (
        province,
        regency,
        district,
    )
    assert int(info.serial) == serial
    assert (info.birth_day, info.birth_month, info.birth_year_2digit) == (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    )
    assert birth_date in birth_date_candidates(info, today=date(2100, 1, 1))
    assert nik_warnings(info, sex=sex, birth_date=birth_date) == []
