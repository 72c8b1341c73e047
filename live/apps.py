from django.apps import AppConfig

from access.signals import scan_decided


class LiveConfig(AppConfig):
    """The live dashboard: WebSocket feed, dashboard pages, anomaly detection."""

    name = "live"

    def ready(self):
        from live.anomalies import after_scan

        scan_decided.connect(after_scan, dispatch_uid="live.anomalies.after_scan")
