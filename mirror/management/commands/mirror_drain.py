"""Drain the Firestore outbox in the foreground: `manage.py mirror_drain` (operations, tests)."""
from django.core.management.base import BaseCommand, CommandError

from mirror import outbox


class Command(BaseCommand):
    help = "Drain the outbox into Firestore now (what the Celery task does), then print what was done."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--until-empty", action="store_true", help="also wait for rows other workers hold")
        parser.add_argument("--timeout", type=float, default=1800.0)

    def handle(self, *args, batch_size, until_empty: bool, timeout: float, **options):
        if not outbox.enabled():
            raise CommandError("The Firestore mirror is off: set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID.")
        from mirror.drainer import MirrorUnavailable, drain

        try:
            result = drain(batch_size=batch_size, until_empty=until_empty, deadline=timeout,
                           time_budget=None if until_empty else timeout)
        except (MirrorUnavailable, TimeoutError) as exc:
            raise CommandError(f"drain failed, the rows stay queued: {exc}")
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.as_dict().items()))
