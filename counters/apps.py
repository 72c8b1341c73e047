from django.apps import AppConfig


class CountersConfig(AppConfig):
    """Live counters of the scan log, kept by the database in each scan's transaction
    (docs/adr/0033): what the dashboard and the post-event report read instead of the log."""

    name = "counters"
