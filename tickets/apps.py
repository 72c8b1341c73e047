from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Receivers of lower apps' signals (events.signals.zone_changed): tickets/receivers.py.
        from tickets import receivers  # noqa: F401
