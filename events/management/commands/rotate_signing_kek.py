"""`manage.py rotate_signing_kek`: re-wrap every signing key under the current KEK (docs/security.md)."""
from django.core.management.base import BaseCommand, CommandError

from events.keyring import KeyUnavailable
from events.models import SigningKey
from events.services import rewrap_signing_keys


class Command(BaseCommand):
    help = ("Re-wrap every signing key's data key under the first key of SIGNING_KEYS_KEK. Run it with "
            "the new KEK first and the old one(s) after it; then drop the old ones from the environment.")

    def handle(self, *args, **options):
        try:
            result = rewrap_signing_keys()
        except KeyUnavailable as exc:
            raise CommandError(f"{exc}. Nothing was changed: add that KEK to SIGNING_KEYS_KEK (after the current one).")
        left = SigningKey.objects.exclude(kek_id=result.kek_id).count()
        self.stdout.write(f"Re-wrapped {result.rewrapped} signing key(s) under KEK {result.kek_id}; "
                          f"{left} under another KEK.")
