"""`koperasi calc`: calculators that touch no data (no database, no settings of a cooperative).

    koperasi calc schedule --principal 10000000 --rate 1.5 --rate-period month --months 12 \\
        --method anuitas [--rounding 1|100|1000] [--frequency monthly|weekly|daily] [--grace N] \\
        [--start YYYY-MM-DD] [--skip-holidays] [--json]
    koperasi calc savings-interest --input FILE.json|- [--json]
    koperasi calc shu --input FILE.json|- [--json]

`schedule` prints a loan's instalment schedule. `savings-interest` prints a period's savings
interest (saldo terendah, harian or rata-rata), the tax withheld from it and the net amount; its
JSON input is described in `_calc_savings.py`. `shu` splits a year's SHU into its funds and the
members' jasa modal and jasa usaha shares (`domain/shu.py`); its input is in `_calc_shu.py`.

Bad input is one clear line on stderr and exit code 2, never a traceback.
"""

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

import holidays
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from koperasi.common.presenters import schedule_json
from koperasi.domain.errors import DomainError
from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import format_rupiah, parse_amount
from koperasi.domain.schedule import (
    FREQUENCIES,
    METHODS,
    RATE_PERIODS,
    ROUNDINGS,
    LoanTerms,
    Schedule,
    build_schedule,
)
from koperasi.web.management.commands import _calc_savings, _calc_shu

# LoanTerms field -> the option a person typed, so errors name what to fix.
OPTION_FOR_FIELD = {
    "principal": "--principal",
    "rate": "--rate",
    "rate_period": "--rate-period",
    "periods": "--months",
    "method": "--method",
    "frequency": "--frequency",
    "rounding": "--rounding",
    "grace_periods": "--grace",
    "disbursed_on": "--start",
}
HEADERS = ("No", "Jatuh tempo", "Pokok", "Bunga", "Angsuran", "Sisa pokok")
CALCULATIONS = ("schedule", "savings-interest", "shu")


class Command(BaseCommand):
    help = (
        "Calculators: a loan's instalment schedule (flat, menurun or anuitas), a period's "
        "savings interest with its tax, or the members' shares of a year's SHU."
    )
    requires_system_checks: list[str] = []  # a pure calculation: no database, no checks
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) for `--input -`

    def add_arguments(self, parser: CommandParser) -> None:
        calculations = parser.add_subparsers(
            dest="calculation", required=True, metavar=_choices(CALCULATIONS)
        )
        schedule = calculations.add_parser(
            "schedule",
            help="instalment schedule of a loan",
            description="Print the instalment schedule of a loan.",
        )
        # Everything is read as text and checked here, so every mistake gets the same clear
        # message and exit code 2, from the command line and from call_command alike.
        schedule.add_argument("--principal", required=True, help="in rupiah, e.g. 10000000")
        schedule.add_argument("--rate", required=True, help="interest in percent, e.g. 1.5")
        schedule.add_argument(
            "--rate-period",
            required=True,
            metavar=_choices(RATE_PERIODS),
            help="whether --rate is per month or per year",
        )
        schedule.add_argument(
            "--months", required=True, help="number of instalments (also weekly or daily)"
        )
        schedule.add_argument(
            "--method",
            required=True,
            metavar=_choices(METHODS),
            help="flat (bunga tetap), menurun (declining balance) or anuitas (annuity)",
        )
        schedule.add_argument(
            "--rounding",
            default="none",
            metavar=_choices(ROUNDINGS),
            help="instalment to the rupiah, or up to Rp 100 / Rp 1.000 (default: none)",
        )
        schedule.add_argument(
            "--frequency",
            default="monthly",
            metavar=_choices(FREQUENCIES),
            help="one instalment every month, week or day (default: monthly)",
        )
        schedule.add_argument(
            "--grace", default="0", metavar="N", help="first N instalments are interest only"
        )
        schedule.add_argument(
            "--start", metavar="YYYY-MM-DD", help="disbursement date (default: today)"
        )
        schedule.add_argument(
            "--skip-holidays",
            action="store_true",
            help="move due dates off Sundays and Indonesian public holidays",
        )
        schedule.add_argument("--json", action="store_true", help="machine-readable output")

        interest = calculations.add_parser(
            "savings-interest",
            help="savings interest of a period, its tax and the net amount",
            description=(
                "Print a period's savings interest (terendah, harian or rata_rata), the tax "
                "withheld from it (PP 15/2009 final tax, or PPh 23 for a legal entity) and the "
                "net amount credited."
            ),
        )
        interest.add_argument(
            "--input",
            required=True,
            metavar="FILE.json",
            help='the JSON input, or "-" for standard input',
        )
        interest.add_argument("--json", action="store_true", help="machine-readable output")

        shu = calculations.add_parser(
            "shu",
            help="SHU pools and each member's jasa modal and jasa usaha",
            description=(
                "Split a year's SHU into its funds by the allocation percentages (exactly 100 "
                "in all) and the members' pools into each member's jasa modal (by savings) and "
                "jasa usaha (by transactions), each rounded down; print what rounding left over."
            ),
        )
        shu.add_argument(
            "--input",
            required=True,
            metavar="FILE.json",
            help='the JSON input, or "-" for standard input',
        )
        shu.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["calculation"] == "savings-interest":
            self._savings_interest(options["input"], options.get("stdin"), as_json=options["json"])
        elif options["calculation"] == "shu":
            self._shu(options["input"], options.get("stdin"), as_json=options["json"])
        else:
            self._schedule(options)

    def _shu(self, path: str, stdin: TextIO | None, *, as_json: bool) -> None:
        result = _calc_shu.run(path, stdin)  # everything checked before anything is printed
        if as_json:
            self.stdout.write(_calc_shu.as_json(result))
        else:
            self.stdout.write("\n".join(_calc_shu.as_lines(result)))

    def _savings_interest(self, path: str, stdin: TextIO | None, *, as_json: bool) -> None:
        result, individual = _calc_savings.run(path, stdin)
        if as_json:
            self.stdout.write(_calc_savings.as_json(result))
        else:
            for line in _calc_savings.as_lines(result, individual_member=individual):
                self.stdout.write(line)

    def _schedule(self, options: dict[str, Any]) -> None:
        start = _parse_start(options["start"])
        try:
            terms = LoanTerms(
                principal=parse_amount(options["principal"], field="principal"),
                rate=_parse_rate(options["rate"]),
                rate_period=options["rate_period"],
                periods=_parse_count(options["months"], "--months"),
                method=options["method"],
                frequency=options["frequency"],
                rounding=options["rounding"],
                grace_periods=_parse_count(options["grace"], "--grace"),
            )
            calendar = holidays.Indonesia(years=start.year) if options["skip_holidays"] else None
            schedule = build_schedule(terms, disbursed_on=start, is_holiday=calendar)
        except DomainError as exc:
            option = OPTION_FOR_FIELD.get(exc.field or "", exc.field or "")
            raise CommandError(f"{option}: {exc.message}", returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(schedule_json(schedule), indent=2))
        else:
            for line in _table(schedule):
                self.stdout.write(line)


def _parse_start(text: str | None) -> date:
    if text is None:
        return timezone.localdate()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("--start: enter the date as YYYY-MM-DD, e.g. 2026-01-31."), returncode=2
        ) from None


def _parse_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text.strip().replace(",", "."))  # "1,5" is how it is written here
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite():
        raise CommandError(_("--rate: enter the rate as a number, e.g. 1.5."), returncode=2)
    return rate


def _parse_count(text: str, option: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise CommandError(
            _("%(option)s: enter a whole number.") % {"option": option}, returncode=2
        ) from None


def _table(schedule: Schedule) -> list[str]:
    rows = schedule.instalments
    total_principal = schedule.total_payment - schedule.total_interest
    amounts = [a for r in rows for a in (r.principal, r.interest, r.payment, r.balance)]
    # Sen only when some amount has them, so rounded schedules read as whole rupiah.
    with_sen = any(a != a.to_integral_value() for a in amounts)

    def money(amount: Decimal) -> str:
        return format_rupiah(amount, with_symbol=False, decimals=with_sen)

    body = [
        (
            str(r.no),
            format_date_id(r.due_date),
            money(r.principal),
            money(r.interest),
            money(r.payment),
            money(r.balance),
        )
        for r in rows
    ]
    totals = (
        "",
        "Jumlah",
        money(total_principal),
        money(schedule.total_interest),
        money(schedule.total_payment),
        "",
    )
    widths = [max(len(line[col]) for line in (HEADERS, *body, totals)) for col in range(6)]

    def render(cells: tuple[str, ...]) -> str:
        # No and amounts right-aligned, the date left-aligned.
        parts = [
            cell.ljust(width) if col == 1 else cell.rjust(width)
            for col, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "-" * len(render(tuple("-" * w for w in widths)))
    return [render(HEADERS), rule, *(render(line) for line in body), rule, render(totals)]


def _choices(values: tuple[str, ...]) -> str:
    return "{" + ",".join(values) + "}"
