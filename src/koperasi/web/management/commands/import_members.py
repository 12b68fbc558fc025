"""`koperasi import-members`: bulk member import from CSV or XLSX, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.membership.services.importer import import_members
from koperasi.tabular import problem_count, too_large
from koperasi.tenancy.models import Cooperative


class Command(BaseCommand):
    help = "Import members from a CSV or XLSX file; nothing is saved if any row is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--coop", required=True)
        parser.add_argument("--pay-pokok", action="store_true", help="pay simpanan pokok in cash")
        parser.add_argument("--dry-run", action="store_true", help="validate only")

    def handle(self, *args: Any, **options: Any) -> None:
        coop = Cooperative.objects.filter(code=options["coop"]).first()
        if coop is None:
            raise CommandError(
                _("No cooperative with code %(code)s.") % {"code": options["coop"]}, returncode=2
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path}, returncode=2)
        # The same limits as an upload, checked before the file is read into memory.
        refusal = too_large(path.stat().st_size)
        if refusal is not None:
            raise CommandError(str(refusal), returncode=2)
        result = import_members(
            cooperative=coop,
            actor=None,
            file_name=path.name,
            content=path.read_bytes(),
            pay_pokok=options["pay_pokok"],
            dry_run=options["dry_run"],
        )
        if not result.ok:
            for error in result.errors:
                column = f" [{error.field}]" if error.field else ""
                row = _("row %(row)s") % {"row": error.row}
                self.stderr.write(f"{row}{column}: {error.message} ({error.code})")
            raise CommandError(
                _("%(count)s problem(s); nothing was imported.")
                % {"count": problem_count(result.errors)},
                returncode=2,
            )
        done = (
            _("%(count)s members would be imported.")
            if options["dry_run"]
            else _("%(count)s members imported.")
        )
        self.stdout.write(self.style.SUCCESS(done % {"count": result.created}))
