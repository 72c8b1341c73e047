from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from events.keyring import current_kek_id

        # Refuse to start with a malformed SIGNING_KEYS_KEK, not at the first code signed.
        current_kek_id()
