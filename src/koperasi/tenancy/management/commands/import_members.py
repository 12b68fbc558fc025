"""`koperasi import-members`: bulk member import from CSV or XLSX, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koperasi.members.importer import import_members
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
            raise CommandError(f"No cooperative with code {options['coop']!r}.", returncode=2)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"File not found: {path}", returncode=2)
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
                self.stderr.write(f"row {error.row}{column}: {error.message} ({error.code})")
            raise CommandError(
                f"{len(result.errors)} problem(s); nothing was imported.", returncode=2
            )
        verb = "would be imported" if options["dry_run"] else "imported"
        self.stdout.write(self.style.SUCCESS(f"{result.created} members {verb}."))
