from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from events.keyring import current_kek_id

        # Refuse to start with a malformed SIGNING_KEYS_KEK, not at the first code signed.
        current_kek_id()
