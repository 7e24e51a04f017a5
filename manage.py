#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.settings")
    # A checkout with neither a secret key nor a database configured is a developer's machine
    # on the embedded SQLite: run in development mode there. Production sets DATABASE_URL and
    # DJANGO_SECRET_KEY, so this never applies to it (and seed_demo still needs DEBUG or --force).
    if "DJANGO_SECRET_KEY" not in os.environ and "DATABASE_URL" not in os.environ:
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
