"""`koperasi create-cooperative`: a new tenant with its books, and its first administrator."""

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from koperasi.administration import services as administration
from koperasi.errors import ServiceError
from koperasi.tenancy import services
from koperasi.tenancy.models import Cooperative, Role


class Command(BaseCommand):
    help = "Create a cooperative (chart of accounts, savings products) and its administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="short code used in URLs, e.g. kopdit")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, help="user name of the administrator")
        parser.add_argument("--password", help="for a new administrator (asked if omitted)")
        parser.add_argument(
            "--time-zone",
            default="WIB",
            choices=[label for _v, label in Cooperative.TimeZone.choices],
        )
        parser.add_argument("--kind", default="KSP", choices=Cooperative.Kind.values)

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        zone = {label: value for value, label in Cooperative.TimeZone.choices}[options["time_zone"]]
        user = User.objects.filter(username=options["admin"]).first()
        if user is None:
            password = options["password"] or getpass.getpass("Password for the administrator: ")
            if len(password) < 8:
                raise CommandError(_("The password needs at least 8 characters."))
            user = User.objects.create_user(username=options["admin"], password=password)
        try:
            coop = administration.create_cooperative(
                actor=user,
                code=options["code"],
                name=options["name"],
                time_zone=zone,
                kind=options["kind"],
            )
            services.add_staff(cooperative=coop, actor=user, user=user, role=Role.ADMIN)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(name)s at /k/%(code)s/") % {"name": coop.name, "code": coop.code}
            )
        )
