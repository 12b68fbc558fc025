"""`koperasi close-day --coop CODE [--to YYYY-MM-DD]`: the day-end close, catching up every
day not yet closed up to the target (default: today), then the business date moves on."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.closing import services
from koperasi.closing.management.commands import _close_cli as cli
from koperasi.ledger import services as ledger


class Command(BaseCommand):
    help = "Day-end close: accruals, penalties, loan quality, savings balances, maturities."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--coop", required=True, help="cooperative code")
        parser.add_argument("--to", metavar="YYYY-MM-DD", help="last day to close (default today)")
        parser.add_argument("--user", help="who runs it (default: the system)")
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        coop = cli.cooperative(options["coop"])
        who = cli.actor(options["user"])
        to = _date(options["to"]) if options["to"] else None
        with cli.refusals():
            run = services.start_day_close(cooperative=coop, actor=who, to=to)
        run = cli.execute(run, who, options["quiet"])
        coop.refresh_from_db()
        self.stdout.write(
            _("%(code)s: days closed through %(date)s; business date %(next)s.")
            % {
                "code": coop.code,
                "date": coop.days_closed_through.strftime("%d/%m/%Y")
                if coop.days_closed_through
                else "-",
                "next": ledger.business_today(coop).strftime("%d/%m/%Y"),
            }
        )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("--to: enter the date as YYYY-MM-DD, e.g. 2026-01-31."), returncode=2
        ) from None
