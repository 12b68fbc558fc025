#!/usr/bin/env python
"""Django's own management commands (e.g. `python manage.py check --deploy`)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koperasi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
