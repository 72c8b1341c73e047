from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Receivers of lower apps' signals (events.signals.zone_changed): tickets/receivers.py.
        from tickets import receivers  # noqa: F401
