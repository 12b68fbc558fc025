"""The `koperasi` command: the project's own commands plus every Django management command.

    koperasi demo [--no-serve] [--port N]   seed the demo cooperative (and serve it)
    koperasi serve [--port N]               production server (gunicorn + WhiteNoise)
    koperasi check [--coop CODE]            verify every bookkeeping invariant
    koperasi calc schedule --principal P --rate R --months N --method anuitas [--json]
    koperasi calc savings-interest --input FILE.json [--json]
    koperasi calc shu --input FILE.json [--json]
    koperasi close-day --coop CODE [--to YYYY-MM-DD]   day-end close (catches up missed days)
    koperasi close-month --coop CODE [--month YYYY-MM] month-end close and month lock
    koperasi worker                         background task worker
    koperasi import-members --coop CODE FILE
    koperasi export beancount [--coop CODE] [--to YYYY-MM-DD] [--output FILE]
    koperasi create-cooperative --code C --name N --admin USER
    koperasi migrate | shell | ...          any Django management command

Every command works on the database of KOPERASI_HOME (or DATABASE_URL).
"""

import os
import sys

# Our names for commands whose Django names differ (Django's own `check` is `system-check`).
ALIASES = {
    "check": "books_check",
    "system-check": "check",
    "worker": "db_worker",
    "import-members": "import_members",
    "create-cooperative": "create_cooperative",
    "close-day": "close_day",
    "close-month": "close_month",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] == "demo":
        # Demo mode must be known before settings load: demo logins on, plain http on this
        # machine. DEBUG stays off: the demo shows our own error pages, never Django's debug
        # page (which lists every URL), and serves static files as production does.
        os.environ.setdefault("KOPERASI_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koperasi.settings")
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
