"""`koperasi close-month --coop CODE [--month YYYY-MM]`: savings interest with its final tax,
wajib bills for the next month, then the month is locked (default: the month before the
business date)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.closing import services
from koperasi.closing.management.commands import _close_cli as cli
from koperasi.domain.periods import add_months


class Command(BaseCommand):
    help = "Month-end close: savings interest and tax, wajib bills, month lock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--coop", required=True, help="cooperative code")
        parser.add_argument("--month", metavar="YYYY-MM", help="default: the previous month")
        parser.add_argument("--user", help="who runs it (default: the system)")
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        coop = cli.cooperative(options["coop"])
        who = cli.actor(options["user"])
        if options["month"]:
            year, month = _month(options["month"])
        else:
            previous = add_months(services.business_date(coop).replace(day=1), -1)
            year, month = previous.year, previous.month
        with cli.refusals():
            run = services.start_month_close(cooperative=coop, actor=who, year=year, month=month)
        cli.execute(run, who, options["quiet"])
        self.stdout.write(
            _("%(code)s: month %(month)02d/%(year)s closed.")
            % {"code": coop.code, "month": month, "year": year}
        )


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        if not 1 <= month <= 12 or not 1900 <= year <= 9999:
            raise ValueError
    except ValueError:
        raise CommandError(
            _("--month: enter the month as YYYY-MM, e.g. 2026-01."), returncode=2
        ) from None
    return year, month
