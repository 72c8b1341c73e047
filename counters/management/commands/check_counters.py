"""`manage.py check_counters [--event ID]`: recount from the scan log, compare with the live
counters, print every difference and exit 1 if there is one (docs/adr/0033)."""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from counters.check import check


class Command(BaseCommand):
    help = "Recount the scan counters from the scan log and compare; exit status 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("--event", default=None, help="only this event (default: every event)")

    def handle(self, *args, event=None, **options):
        differences = check(event)
        for d in differences:
            self.stdout.write(str(d))
        if differences:
            self.stdout.write(f"{len(differences)} difference(s) between the counters and the scan log")
            sys.exit(1)
        self.stdout.write("counters match the scan log")
