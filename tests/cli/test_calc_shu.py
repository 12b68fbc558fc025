"""`koperasi calc shu`: a pure calculation, so no test here may touch the database.

None of these tests is marked ``django_db``: pytest-django refuses any query, which proves the
command needs no database (and so writes nothing).
"""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

# The issue's example file, with the other funds filled in to make 100 %.
EXAMPLE: dict[str, Any] = {
    "shu": "2000000",
    "allocation": {
        "cadangan": "40",
        "jasa_modal": "20",
        "jasa_usaha": "30",
        "pengurus": "5",
        "sosial": "5",
    },
    "totals": {"savings": "10000000", "transactions": "15000000"},
    "members": [
        {"id": "A", "savings": "500000", "transactions": "1000000"},
        {"id": "B", "savings": "333333", "transactions": "7"},
    ],
    "rounding": "0.01",
}


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # The messages are asserted in English (the command speaks the configured language).
    settings.LANGUAGE_CODE = "en"


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "shu.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def calc(path: Path | str, *options: str, stdin: str | None = None) -> str:
    out = StringIO()
    extra = {} if stdin is None else {"stdin": StringIO(stdin)}
    call_command("calc", "shu", "--input", str(path), *options, stdout=out, **extra)
    return out.getvalue()


def calc_json(tmp_path: Path, data: object) -> dict[str, Any]:
    return json.loads(calc(write(tmp_path, data), "--json"))


def refused(tmp_path: Path, data: object) -> str:
    """The message of a refused input; nothing was printed."""
    out = StringIO()
    with pytest.raises(CommandError) as err:
        call_command("calc", "shu", "--input", str(write(tmp_path, data)), "--json", stdout=out)
    assert err.value.returncode == 2
    assert out.getvalue() == ""
    return str(err.value)


def test_json_of_the_issue_example(tmp_path: Path) -> None:
    data = calc_json(tmp_path, EXAMPLE)
    assert list(data) == ["pools", "members", "remainder", "remainders"]
    assert data["pools"] == {
        "cadangan": "800000.00",
        "jasa_modal": "400000.00",
        "jasa_usaha": "600000.00",
        "pengurus": "100000.00",
        "sosial": "100000.00",
    }
    # A: 500.000 / 10.000.000 × 400.000; 1.000.000 / 15.000.000 × 600.000
    # B: 333.333 / 10.000.000 × 400.000 = 13.333,32; 7 / 15.000.000 × 600.000 = 0,28
    assert data["members"] == [
        {"id": "A", "jasa_modal": "20000.00", "jasa_usaha": "40000.00", "total": "60000.00"},
        {"id": "B", "jasa_modal": "13333.32", "jasa_usaha": "0.28", "total": "13333.60"},
    ]
    # the members not in the file hold the rest of the pools
    assert data["remainders"] == {"jasa_modal": "366666.68", "jasa_usaha": "559999.72"}
    assert data["remainder"] == "926666.40"


def test_table_of_the_issue_example(tmp_path: Path) -> None:
    lines = calc(write(tmp_path, EXAMPLE)).splitlines()
    cells = [" ".join(line.split()) for line in lines]
    assert cells[0] == "SHU: Rp 2.000.000,00"
    assert cells[1] == "Each share rounded down to Rp 0,01."
    assert cells[3] == "Fund % Amount"
    assert "jasa_modal 20 400.000,00" in cells
    assert "Total 100 2.000.000,00" in cells
    assert "Member Jasa modal Jasa usaha Total" in cells
    assert "B 13.333,32 0,28 13.333,60" in cells
    assert cells[-3:] == [
        "Shares 33.333,32 40.000,28 73.333,60",
        "Remainder 366.666,68 559.999,72 926.666,40",
        "Pool 400.000,00 600.000,00 1.000.000,00",
    ]
    member_line = next(line for line in lines if line.startswith("B "))
    assert len(member_line) == len(lines[-1])  # amounts right-aligned under their headers


def test_totals_default_to_the_sums_and_rounding_to_the_rupiah(tmp_path: Path) -> None:
    data = calc_json(
        tmp_path, {k: v for k, v in EXAMPLE.items() if k not in ("totals", "rounding")}
    )
    # savings 833.333 in all: A 500.000/833.333 × 400.000 = 240.000,09… → 240.000
    assert data["members"][0] == {
        "id": "A",
        "jasa_modal": "240000.00",
        "jasa_usaha": "599995.00",
        "total": "839995.00",
    }
    assert data["remainders"] == {"jasa_modal": "1.00", "jasa_usaha": "1.00"}
    one_total = calc_json(tmp_path, EXAMPLE | {"totals": {"savings": "833333"}})
    assert one_total["members"][0]["jasa_modal"] == "240000.09"


def test_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    text = json.dumps(EXAMPLE | {"shu": 2000000, "rounding": 1}).replace(
        '"savings": "500000"', '"savings": 500000.50'
    )
    data = calc_json(tmp_path, text)
    assert data["members"][0]["jasa_modal"] == "20000.00"  # 500.000,50 / 10.000.000 × 400.000
    # a number a float already spoilt is refused, not rounded
    spoilt = text.replace("500000.50", "0.30000000000000004")
    assert refused(tmp_path, spoilt) == (
        "members[0].savings: Savings, transactions and totals have at most 6 decimals."
    )


def test_stdin_and_an_empty_member_list(tmp_path: Path) -> None:
    output = calc("-", "--json", stdin=json.dumps(EXAMPLE | {"members": []}))
    data = json.loads(output)
    assert data["members"] == [] and data["remainder"] == "1000000.00"


TEXTBOOK = {
    "cadangan": "40",
    "jasa_modal": "20",
    "jasa_usaha": "20",
    "pengurus": "5",
    "karyawan": "5",
    "pendidikan": "5",
    "sosial": "5",
    "pembangunan_daerah": "5",
}
ONE = [{"id": "A", "savings": "1", "transactions": "1"}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"allocation": TEXTBOOK},
            "allocation: The SHU allocation percentages must add up to exactly 100%. "
            "They add up to 105%.",
        ),
        ({"shu": "-1"}, "shu: The SHU is negative: a loss is not distributed to members."),
        ({"shu": "1.005"}, "shu: At most two digits of sen"),
        ({"shu": "1e3"}, 'shu: enter a number, e.g. "150000" or 150000.'),
        ({"shu": True}, "shu: enter a number"),
        ({"shu": "1" * 41}, "shu: enter a number"),
        ({"bonus": "1"}, "bonus: unknown field."),
        ({"rounding": "0.5"}, "rounding: Round shares down to 0.01 (the sen), 1"),
        ({"totals": {"members": "3"}}, "totals.members: unknown field."),
        ({"totals": ["1"]}, "totals: enter an object"),
        ({"totals": {"savings": "1"}}, "totals.savings: A total must be at least the sum"),
        ({"totals": {"transactions": "-1"}}, "totals.transactions: Savings, transactions and"),
        ({"allocation": ["20", "30"]}, "allocation: enter an object"),
        ({"allocation": {"jasa_modal": "100"}}, "allocation.jasa_usaha: The SHU allocation needs"),
        ({"allocation": {"jasa_modal": "-5", "jasa_usaha": "105"}}, "allocation.jasa_modal: A"),
        ({"allocation": {"jasa_modal": "49.995", "jasa_usaha": "50.005"}}, "allocation.jasa_mod"),
        ({"allocation": {"jasa_modal": "x", "jasa_usaha": "100"}}, "allocation.jasa_modal: enter"),
        ({"members": {"A": "1"}}, "members: enter a list"),
        ({"members": ["A"]}, 'members[0]: enter {"id": "...", "savings"'),
        ({"members": [{"id": "A", "savings": "1"}]}, "members[0].transactions: this field is"),
        ({"members": [ONE[0] | {"age": 40}]}, "members[0].age: unknown field."),
        ({"members": [ONE[0] | {"id": 7}]}, 'members[0].id: enter the id as text, e.g. "A-001".'),
        ({"members": [ONE[0] | {"id": " "}]}, "members[0].id: Each member needs an id"),
        ({"members": ONE * 2}, "members[1].id: This member id appears more than once."),
        (
            {"members": [ONE[0] | {"savings": "-500"}]},
            "members[0].savings: Savings, transactions and totals must not be negative.",
        ),
        ({"members": [ONE[0] | {"transactions": None}]}, "members[0].transactions: enter a num"),
    ],
)
def test_each_invalid_file_is_a_clear_error_with_exit_code_2(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    assert refused(tmp_path, EXAMPLE | change).startswith(message)


@pytest.mark.parametrize("field", ["shu", "allocation", "members"])
def test_a_missing_field_is_a_clear_error(tmp_path: Path, field: str) -> None:
    data = {k: v for k, v in EXAMPLE.items() if k != field}
    assert refused(tmp_path, data) == f"{field}: this field is required."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"shu": "1",', "--input: not valid JSON (Expecting property name"),
        ("", "--input: not valid JSON"),
        ('{"shu": NaN}', "--input: not valid JSON (NaN is not a number)."),
        ('{"shu": "1", "shu": "2"}', '--input: not valid JSON (the key "shu" appears twice).'),
        ("[" * 100_000, "--input: not valid JSON (nested too deeply)."),
        ('{"shu": ' + "9" * 5000 + "}", "--input: not valid JSON (Exceeds the limit"),
        ('["shu"]', '--input: the JSON must be an object such as {"shu": "2000000", ...}.'),
    ],
)
def test_malformed_json_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    assert refused(tmp_path, text).startswith(message)


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path: Path, settings: Any) -> None:
    settings.CALC_MAX_INPUT_BYTES = 1024 * 1024
    big = json.dumps(EXAMPLE | {"pad": "x" * (1024 * 1024)})
    assert refused(tmp_path, big) == "--input: the file is too large (at most 1 MB)."
    with pytest.raises(CommandError, match="too large") as err:
        calc("-", stdin=big)
    assert err.value.returncode == 2
    assert json.loads(calc("-", "--json", stdin=json.dumps(EXAMPLE)))["remainder"]


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist") as err:
        calc(tmp_path / "nothing.json")
    assert err.value.returncode == 2
    with pytest.raises(CommandError, match="cannot read") as err:
        calc(tmp_path)
    assert err.value.returncode == 2
    (tmp_path / "latin.json").write_bytes(b'{"shu": "\xe9"}')
    with pytest.raises(CommandError, match="is not UTF-8 text") as err:
        calc(tmp_path / "latin.json")


def test_messages_speak_indonesian_by_default(tmp_path: Path, settings: Any) -> None:
    settings.LANGUAGE_CODE = "id"
    assert refused(tmp_path, EXAMPLE | {"allocation": TEXTBOOK}) == (
        "allocation: Persentase pembagian SHU harus berjumlah tepat 100%. Jumlahnya 105%."
    )
    assert refused(tmp_path, "{").startswith("--input: bukan JSON yang sah")
    assert "Setiap bagian dibulatkan ke bawah per Rp 0,01." in calc(write(tmp_path, EXAMPLE))


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KOPERASI_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "koperasi.cli", "calc", "shu", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_command_line_exit_codes(tmp_path: Path) -> None:
    bad = write(tmp_path, EXAMPLE | {"allocation": TEXTBOOK})
    result = run_cli(tmp_path, "--input", str(bad), "--json")
    assert result.returncode == 2
    assert "allocation: Persentase pembagian SHU harus berjumlah tepat 100%." in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    result = run_cli(tmp_path, "--input", str(good), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["remainder"] == "926666.40"
