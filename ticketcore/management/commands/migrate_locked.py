"""`migrate --noinput`, `compile_catalogues` and `collectstatic` under a PostgreSQL advisory lock,
so that several hosts may run `bin/ticketcore migrate` at the same time: the first migrates, the
others wait for it and then find nothing to do (docs/adr/0020). The translation catalogues are
compiled here so that every deployment serves the .po files it was given (docs/adr/0029)."""
from __future__ import annotations

import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

# A fixed application-wide key (any 64-bit number that nothing else in the database uses).
MIGRATE_LOCK_KEY = 0x7469636B6574636F  # "ticketco"


class Command(BaseCommand):
    help = ("Apply migrations under a cluster-wide advisory lock, then compile the translation "
            "catalogues and collect static files.")

    def add_arguments(self, parser):
        parser.add_argument("--no-static", action="store_true", help="skip collectstatic")

    def handle(self, *args, no_static: bool = False, **options):
        # The lock lives on its own session: migrate opens, closes and resets the default
        # connection, which must not release the lock half-way.
        lock = connections.create_connection("default")
        try:
            with lock.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
                if not cur.fetchone()[0]:
                    self.stdout.write("Another host is migrating this database; waiting for it.")
                    sys.stdout.flush()
                    cur.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            # Writes a .mo only when it differs from its .po, atomically (compile_catalogues.py).
            call_command("compile_catalogues", verbosity=options["verbosity"])
            if not no_static:
                # Under the lock too: hosts that share a STATIC_ROOT (one machine, a shared volume)
                # would otherwise rewrite and compress the same files at once.
                call_command("collectstatic", interactive=False, verbosity=0)
        finally:
            lock.close()  # ends the session, which releases the lock even after an error
