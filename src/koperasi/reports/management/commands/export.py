"""`koperasi export beancount`: the books in Beancount syntax, to check them with Beancount."""

import datetime as dt
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.ledger.services import business_today
from koperasi.reports.beancount import beancount_lines
from koperasi.tenancy.models import Cooperative

# Lines are gathered into blocks of about this many before each write.
_BLOCK = 2000


class Command(BaseCommand):
    help = (
        "Export a cooperative's books: `export beancount` writes every account, entry and "
        "month-end balance in Beancount syntax (check it with bean-check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["beancount"])
        parser.add_argument("--coop", help="cooperative code (may be left out if there is one)")
        parser.add_argument("--to", help="last date, YYYY-MM-DD (default: every entry)")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        coop = self._cooperative(options["coop"])
        to = self._date(options["to"], coop)
        lines = beancount_lines(cooperative=coop, to=to)
        if not options["output"]:
            self._write(lines, self.stdout)
            return
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(
                _("Folder not found: %(path)s") % {"path": path.parent}, returncode=2
            )
        with path.open("w", encoding="utf-8") as out:
            self._write(lines, out)
        self.stderr.write(_("Written to %(path)s") % {"path": path})

    def _cooperative(self, code: str | None) -> Cooperative:
        if code:
            coop = Cooperative.objects.filter(code=code).first()
            if coop is None:
                raise CommandError(
                    _("No cooperative with code %(code)s.") % {"code": code}, returncode=2
                )
            return coop
        codes = list(Cooperative.objects.order_by("code").values_list("code", flat=True)[:21])
        if len(codes) == 1:
            return Cooperative.objects.get(code=codes[0])
        if not codes:
            raise CommandError(_("There is no cooperative yet."), returncode=2)
        listed = ", ".join(codes[:20]) + (", …" if len(codes) > 20 else "")
        raise CommandError(
            _("Name the cooperative with --coop; there are several: %(codes)s.")
            % {"codes": listed},
            returncode=2,
        )

    def _date(self, text: str | None, coop: Cooperative) -> dt.date | None:
        if not text:
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise CommandError(
                _("Invalid date %(value)s: write it as YYYY-MM-DD.") % {"value": text},
                returncode=2,
            ) from None
        today = business_today(coop)
        if day > today:
            raise CommandError(
                _("The date %(value)s is in the future (the business date is %(today)s).")
                % {"value": day.isoformat(), "today": today.isoformat()},
                returncode=2,
            )
        return day

    def _write(self, lines: Any, out: TextIO | Any) -> None:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) >= _BLOCK:
                self._flush(block, out)
        self._flush(block, out)

    @staticmethod
    def _flush(block: list[str], out: TextIO | Any) -> None:
        text = "".join(block)
        block.clear()
        if hasattr(out, "style_func"):  # Django's OutputWrapper adds a newline by default
            out.write(text, ending="")
        else:
            out.write(text)
