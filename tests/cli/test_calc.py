import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from koperasi.domain.periods import add_months

# DOMAIN.md's worked example: Rp 10.000.000, 12 months, 1,5 % per month
EXAMPLE = "--principal 10000000 --rate 1.5 --rate-period month --months 12 --start 2026-01-31"


def calc(args: str) -> str:
    out = StringIO()
    call_command("calc", "schedule", *args.split(), stdout=out)
    return out.getvalue()


def calc_json(args: str) -> dict:
    return json.loads(calc(args + " --json"))


def test_table_of_the_worked_annuity_example() -> None:
    lines = calc(EXAMPLE + " --method anuitas").splitlines()
    cells = [" ".join(line.split()) for line in lines]  # columns are padded with spaces
    assert cells[0] == "No Jatuh tempo Pokok Bunga Angsuran Sisa pokok"
    assert cells[2] == "1 28/02/2026 766.799,93 150.000,00 916.799,93 9.233.200,07"
    assert cells[13] == "12 31/01/2027 903.251,15 13.548,77 916.799,92 0,00"
    assert cells[-1] == "Jumlah 10.000.000,00 1.001.599,15 11.001.599,15"
    assert len(lines) == 16  # header, rule, 12 rows, rule, totals
    assert lines[2].index("9.233.200,07") + len("9.233.200,07") == len(lines[0])  # right-aligned


def test_rounded_schedule_shows_whole_rupiah() -> None:
    output = calc(EXAMPLE + " --method anuitas --rounding 1000")
    assert "917.000" in output and "," not in output


def test_json_has_exactly_the_documented_shape() -> None:
    data = calc_json(EXAMPLE + " --method anuitas")
    assert list(data) == ["instalments", "total_interest", "total_payment"]
    assert (data["total_interest"], data["total_payment"]) == ("1001599.15", "11001599.15")
    assert len(data["instalments"]) == 12
    assert data["instalments"][0] == {
        "no": 1,
        "due_date": "2026-02-28",
        "principal": "766799.93",
        "interest": "150000.00",
        "payment": "916799.93",
        "balance": "9233200.07",
    }
    for row in data["instalments"]:
        assert list(row) == ["no", "due_date", "principal", "interest", "payment", "balance"]
        for key in ("principal", "interest", "payment", "balance"):
            assert re.fullmatch(r"\d+\.\d\d", row[key])


@pytest.mark.parametrize(
    ("method", "first", "last", "total_interest"),
    [
        ("flat", "983333.33", "983333.37", "1800000.00"),
        ("menurun", "983333.33", "845833.33", "975000.00"),
    ],
)
def test_json_worked_examples(method: str, first: str, last: str, total_interest: str) -> None:
    data = calc_json(f"{EXAMPLE} --method {method}")
    assert data["instalments"][0]["payment"] == first
    assert data["instalments"][-1]["payment"] == last
    assert data["total_interest"] == total_interest


def test_rate_per_year_and_a_decimal_comma() -> None:
    per_year = calc_json(
        EXAMPLE.replace("--rate-period month", "--rate-period year") + " --method anuitas"
    )
    comma = calc_json(
        EXAMPLE.replace("--rate 1.5 --rate-period month", "--rate 18,0 --rate-period year")
        + " --method anuitas"
    )
    assert per_year["total_interest"] != comma["total_interest"]  # 1,5 % vs 18 % a year
    assert comma == calc_json(EXAMPLE + " --method anuitas")  # 18 % a year = 1,5 % a month


def test_weekly_grace_and_skipping_holidays() -> None:
    rows = calc_json(
        "--principal 1000000 --rate 26 --rate-period year --months 10 --method flat"
        " --frequency weekly --grace 2 --start 2026-03-14 --skip-holidays"
    )["instalments"]
    # 21/03/2026 is Idul Fitri (a Saturday), 22/03 its second day and a Sunday
    assert [row["due_date"] for row in rows[:3]] == ["2026-03-23", "2026-03-28", "2026-04-04"]
    assert [row["principal"] for row in rows[:2]] == ["0.00", "0.00"]
    assert rows[2]["principal"] == "125000.00"  # 1.000.000 over the 8 remaining weeks


def test_start_defaults_to_today() -> None:
    data = calc_json(EXAMPLE.replace(" --start 2026-01-31", "") + " --method flat")
    expected = add_months(timezone.localdate(), 1)
    assert data["instalments"][0]["due_date"] == expected.isoformat()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--principal", "abc", "--principal: Enter the amount as a number."),
        ("--principal", "-5", "--principal"),
        ("--principal", "0", "--principal"),
        ("--principal", "1.005", "--principal"),
        ("--rate", "satu", "--rate"),
        ("--rate", "nan", "--rate"),
        ("--rate", "-1", "--rate: The interest rate must not be negative."),
        ("--rate-period", "day", "--rate-period: Choose one of: month, year."),
        ("--months", "0", "--months"),
        ("--months", "601", "--months"),
        ("--months", "twelve", "--months"),
        ("--method", "efektif", "--method: Choose one of: flat, menurun, anuitas."),
        ("--rounding", "500", "--rounding"),
        ("--frequency", "yearly", "--frequency"),
        ("--grace", "12", "--grace"),
        ("--grace", "-1", "--grace"),
        ("--start", "31/01/2026", "--start"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(option: str, value: str, message: str) -> None:
    parts = (EXAMPLE + " --method anuitas").split()
    options = dict(zip(parts[::2], parts[1::2], strict=True)) | {option: value}
    with pytest.raises(CommandError) as err:
        calc(" ".join(f"{key} {val}" for key, val in options.items()))
    assert err.value.returncode == 2
    assert str(err.value).startswith(message)


def test_rounding_that_would_repay_early_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="repaid before its last instalment") as err:
        calc(
            "--principal 5000 --rate 1 --rate-period month --months 12 --method anuitas"
            " --rounding 1000"
        )
    assert err.value.returncode == 2


def run_cli(home: Path, args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KOPERASI_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "koperasi.cli", "calc", "schedule", *args.split()],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_command_line_exit_codes(tmp_path: Path) -> None:
    bad = run_cli(tmp_path, EXAMPLE.replace("1.5", "-1") + " --method anuitas")
    assert bad.returncode == 2
    assert "--rate: The interest rate must not be negative." in bad.stderr
    assert "Traceback" not in bad.stderr and bad.stdout == ""
    missing = run_cli(tmp_path, "--principal 10000000")
    assert missing.returncode == 2 and "required" in missing.stderr
    good = run_cli(tmp_path, EXAMPLE + " --method anuitas --json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["total_interest"] == "1001599.15"
