"""Re-mirror one event from scratch: `manage.py mirror_event <event_id>` (docs/adr/0011)."""
from django.core.management.base import BaseCommand, CommandError

from mirror import outbox


class Command(BaseCommand):
    help = ("Queue every Firestore document of the event for a forced rewrite (and Firestore documents "
            "PostgreSQL no longer has for deletion), then drain. Safe while workers run.")

    def add_arguments(self, parser):
        parser.add_argument("event_id")
        parser.add_argument("--no-drain", action="store_true", help="only queue; let the workers drain")
        parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the drain")

    def handle(self, *args, event_id: str, no_drain: bool, timeout: float, **options):
        if not outbox.enabled():
            raise CommandError("The Firestore mirror is off: set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID.")
        from mirror.drainer import MirrorUnavailable, drain
        from mirror.repair import enqueue_event

        try:
            queued = enqueue_event(event_id)
        except Exception as exc:  # noqa: BLE001 - Firestore listing failed: say so, exit non-zero
            raise CommandError(f"could not list the event's Firestore documents: {exc.__class__.__name__}: {exc}")
        self.stdout.write(f"mirror_event {event_id}: queued {queued['documents']} documents, "
                          f"{queued['orphans']} Firestore-only documents to delete")
        if no_drain:
            return
        try:
            result = drain(until_empty=True, deadline=timeout)
        except (MirrorUnavailable, TimeoutError) as exc:
            raise CommandError(f"drain failed, the rows stay queued for the workers: {exc}")
        self.stdout.write(f"mirror_event {event_id}: drained {result.acked} outbox rows, wrote {result.written} "
                          f"documents in {result.batches} batches ({result.seconds}s)")
