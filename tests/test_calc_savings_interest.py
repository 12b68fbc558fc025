"""`koperasi calc savings-interest`: a pure calculation, so no test here may touch the database.

None of these tests is marked ``django_db``: pytest-django refuses any query, which proves the
command needs no database.
"""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # The messages are asserted in English (the command speaks the configured language).
    settings.LANGUAGE_CODE = "en"


# The worked example: Rp 150.000 on days 1-2, Rp 650.000 on days 3-30, 12 % p.a., actual/365.
EXAMPLE: dict[str, Any] = {
    "method": "harian",
    "annual_rate": "12",
    "days_in_period": 30,
    "year_days": 365,
    "balances": [{"from_day": 1, "balance": "150000"}, {"from_day": 3, "balance": "650000"}],
    "individual_member": True,
}


def calc(path: Path | str, *options: str, stdin: str | None = None) -> str:
    out = StringIO()
    extra = {} if stdin is None else {"stdin": StringIO(stdin)}
    call_command("calc", "savings-interest", "--input", str(path), *options, stdout=out, **extra)
    return out.getvalue()


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def calc_json(tmp_path: Path, data: object) -> dict[str, str]:
    return json.loads(calc(write(tmp_path, data), "--json"))


def test_json_output_of_the_worked_example(tmp_path: Path) -> None:
    output = calc(write(tmp_path, EXAMPLE), "--json")
    # 18.500.000 × 0,12 / 365 = 6.082,19178… ; ≤ Rp 240.000, so no tax
    assert json.loads(output) == {"interest": "6082.19", "tax": "0.00", "net": "6082.19"}
    assert list(json.loads(output)) == ["interest", "tax", "net"]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("terendah", "1479.45"), ("harian", "6082.19"), ("rata_rata", "6082.19")],
)
def test_every_method(tmp_path: Path, method: str, expected: str) -> None:
    assert calc_json(tmp_path, EXAMPLE | {"method": method})["interest"] == expected


def test_human_output_is_three_aligned_lines(tmp_path: Path) -> None:
    lines = calc(write(tmp_path, EXAMPLE)).splitlines()
    assert [" ".join(line.split()) for line in lines] == [
        "Jasa simpanan Rp 6.082,19",
        "PPh final Rp 0,00",
        "Diterima Rp 6.082,19",
    ]
    assert len({len(line) for line in lines}) == 1  # amounts right-aligned


def test_legal_entity_and_given_gross_interest(tmp_path: Path) -> None:
    data = {"gross_interest": "240001", "individual_member": False}
    assert calc_json(tmp_path, data) == {
        "interest": "240001.00",
        "tax": "36000.15",
        "net": "204000.85",
    }
    lines = calc(write(tmp_path, data)).splitlines()
    assert " ".join(lines[1].split()) == "PPh 23 Rp 36.000,15"


def test_the_tax_cliff(tmp_path: Path) -> None:
    assert calc_json(tmp_path, {"gross_interest": "240000"})["tax"] == "0.00"
    assert calc_json(tmp_path, {"gross_interest": "240000.01"})["tax"] == "24000.00"
    assert calc_json(tmp_path, {"gross_interest": 240001})["tax"] == "24000.10"


def test_numbers_are_read_as_decimals_and_defaults_apply(tmp_path: Path) -> None:
    data = EXAMPLE | {
        "annual_rate": 12.0,
        "balances": [{"from_day": 1, "balance": 150000.00}, {"from_day": 3, "balance": 650000}],
    }
    del data["year_days"], data["individual_member"]  # default 365 and true
    assert calc_json(tmp_path, data) == {"interest": "6082.19", "tax": "0.00", "net": "6082.19"}
    # As a float this number would be 1234567890123456.8: read as a Decimal it stays exact.
    big = calc_json(tmp_path, '{"gross_interest": 1234567890123456.78}')
    assert big["interest"] == "1234567890123456.78"


def test_stdin_input() -> None:
    output = calc("-", "--json", stdin=json.dumps(EXAMPLE))
    assert json.loads(output) == {"interest": "6082.19", "tax": "0.00", "net": "6082.19"}


def test_stdin_defaults_to_sys_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", StringIO(json.dumps(EXAMPLE | {"method": "terendah"})))
    assert json.loads(calc("-", "--json"))["interest"] == "1479.45"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "efektif"}, "method: Choose one of: terendah, harian, rata_rata."),
        ({"method": 1}, "method: choose one of"),
        ({"annual_rate": "dua belas"}, "annual_rate: enter a number"),
        ({"annual_rate": "1_2"}, "annual_rate: enter a number"),
        ({"annual_rate": True}, "annual_rate: enter a number"),
        ({"annual_rate": None}, "annual_rate: enter a number"),
        ({"annual_rate": "-1"}, "annual_rate: The interest rate must not be negative."),
        ({"annual_rate": "101"}, "annual_rate: The interest rate must be at most 100 %"),
        ({"days_in_period": "30"}, "days_in_period: enter a whole number"),
        ({"days_in_period": 30.5}, "days_in_period: enter a whole number"),
        ({"days_in_period": 32}, "days_in_period: The period must have between 1 and 31 days."),
        ({"year_days": 364}, "year_days: The days in a year must be one of: 360, 365, 366."),
        ({"individual_member": "yes"}, "individual_member: enter true or false."),
        ({"balances": {"1": "150000"}}, "balances: enter a list"),
        ({"balances": []}, "balances: Give at least one balance, from day 1."),
        ({"balances": ["150000"]}, "balances[0]: enter {"),
        ({"balances": [{"from_day": 1}]}, "balances[0].balance: this field is required."),
        ({"balances": [{"from_day": 1, "balance": 1, "x": 2}]}, "balances[0].x: unknown field."),
        ({"balances": [{"from_day": "1", "balance": 1}]}, "balances[0].from_day: enter a whole"),
        ({"balances": [{"from_day": 1, "balance": "Rp 1"}]}, "balances[0].balance: enter a num"),
        ({"balances": [{"from_day": 2, "balance": 1}]}, "balances: The first balance must start"),
        ({"balances": [{"from_day": 1, "balance": "-1"}]}, "balances: A balance must not be neg"),
        ({"balances": [{"from_day": 1, "balance": "1.005"}]}, "balances: Use at most 2 decimal"),
        ({"gross_interest": "-5"}, "gross_interest: The gross interest must not be negative."),
        ({"gross_interest": "abc"}, "gross_interest: enter a number"),
        ({"individual": False}, "individual: unknown field."),
    ],
)
def test_bad_field_is_a_clear_error_with_exit_code_2(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(CommandError) as err:
        calc(write(tmp_path, EXAMPLE | change), "--json")
    assert err.value.returncode == 2
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("field", ["method", "annual_rate", "days_in_period", "balances"])
def test_missing_field_is_a_clear_error(tmp_path: Path, field: str) -> None:
    data = dict(EXAMPLE)
    del data[field]
    with pytest.raises(CommandError) as err:
        calc(write(tmp_path, data))
    assert err.value.returncode == 2
    assert str(err.value) == f"{field}: this field is required."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"method": "harian",', "--input: not valid JSON (Expecting property name"),
        ("", "--input: not valid JSON"),
        ('{"annual_rate": NaN}', "--input: not valid JSON (NaN is not a number)."),
        ('{"annual_rate": Infinity}', "--input: not valid JSON (Infinity is not a number)."),
        ("[1, 2]", "--input: the JSON must be an object"),
        ('"harian"', "--input: the JSON must be an object"),
        ("[" * 100_000, "--input: not valid JSON (nested too deeply)."),
        ('{"method": "harian", "method": "menurun"}', "--input: not valid JSON (the key"),
    ],
)
def test_bad_json_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    for run in (lambda: calc(write(tmp_path, text)), lambda: calc("-", stdin=text)):
        with pytest.raises(CommandError) as err:
            run()
        assert err.value.returncode == 2
        assert str(err.value).startswith(message)


def test_a_file_over_the_input_limit_is_refused_before_it_is_read(
    tmp_path: Path, settings: Any
) -> None:
    settings.CALC_MAX_INPUT_BYTES = 1024
    big = '{"method": "harian", "note": "' + "x" * 2000 + '"}'
    for run in (lambda: calc(write(tmp_path, big)), lambda: calc("-", stdin=big)):
        with pytest.raises(CommandError) as err:
            run()
        assert err.value.returncode == 2
        assert "too large" in str(err.value)


def test_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(CommandError) as err:
        calc(missing)
    assert err.value.returncode == 2
    assert str(err.value) == f"--input: the file {missing} does not exist."
    with pytest.raises(CommandError) as err:
        calc(tmp_path)  # a directory
    assert err.value.returncode == 2
    assert str(err.value).startswith(f"--input: cannot read {tmp_path}")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"method": "harian \xe9"}'.encode("latin-1"))
    with pytest.raises(CommandError) as err:
        calc(latin1)
    assert err.value.returncode == 2
    assert str(err.value) == f"--input: {latin1} is not UTF-8 text."


def test_input_is_required() -> None:
    with pytest.raises(CommandError, match="--input"):
        call_command("calc", "savings-interest", stdout=StringIO())
