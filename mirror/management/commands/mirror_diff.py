"""Compare one event in PostgreSQL and Firestore: `manage.py mirror_diff <event_id>`; exits 1
when they differ (docs/adr/0011)."""
from django.core.management.base import BaseCommand, CommandError

from mirror import outbox


class Command(BaseCommand):
    help = "Compare every Firestore document of the event with PostgreSQL, field by field (exit 1 if they differ)."

    def add_arguments(self, parser):
        parser.add_argument("event_id")
        parser.add_argument("--show", type=int, default=20, help="differences listed per category")

    def handle(self, *args, event_id: str, show: int, **options):
        if not outbox.enabled():
            raise CommandError("The Firestore mirror is off: set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID.")
        from mirror.repair import diff_event

        diff = diff_event(event_id)
        for path in diff.missing[:show]:
            self.stdout.write(f"missing in Firestore: {path}")
        for path in diff.extra[:show]:
            self.stdout.write(f"only in Firestore:    {path}")
        for path, fields in list(diff.differ.items())[:show]:
            self.stdout.write(f"differs:              {path}: {', '.join(fields)}")
        summary = (f"mirror_diff {event_id}: {diff.compared} documents compared, {len(diff.missing)} missing, "
                   f"{len(diff.extra)} extra, {len(diff.differ)} differ, {diff.pending} outbox rows pending")
        if diff.ok:
            self.stdout.write(summary + ": equal")
            return
        if diff.pending:
            summary += " (the drain has not caught up: pending rows explain some differences)"
        raise CommandError(summary, returncode=1)
