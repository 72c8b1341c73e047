from django.apps import AppConfig


class TicketcoreConfig(AppConfig):
    name = "ticketcore"
    verbose_name = "TicketCore platform"
