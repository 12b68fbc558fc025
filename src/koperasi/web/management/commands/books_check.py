"""`koperasi check`: verify every bookkeeping invariant; exit 1 listing each violation."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.ledger.selectors import ledger_violations
from koperasi.loans.selectors import loan_violations
from koperasi.savings.selectors import savings_violations
from koperasi.tenancy.models import Cooperative


class Command(BaseCommand):
    help = (
        "Verify the books: balanced entries, maintained balances, savings and loan sub-ledgers ="
        " control accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--coop", help="cooperative code (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        coops = Cooperative.objects.order_by("code")
        if options["coop"]:
            coops = coops.filter(code=options["coop"])
            if not coops.exists():
                raise CommandError(
                    _("No cooperative with code %(code)s.") % {"code": options["coop"]}
                )
        failures = 0
        for coop in coops:
            problems = (
                ledger_violations(cooperative=coop)
                + savings_violations(cooperative=coop)
                + loan_violations(cooperative=coop)
            )
            if problems:
                failures += len(problems)
                self.stderr.write(f"{coop.code}: {len(problems)} violation(s)")
                for problem in problems:
                    self.stderr.write(f"  - {problem}")
            else:
                self.stdout.write(f"{coop.code}: OK")
        if failures:
            raise CommandError(f"{failures} violation(s) found.", returncode=1)
