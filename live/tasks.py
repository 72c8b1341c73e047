"""Celery tasks of the access app."""
from celery import shared_task

from live import anomalies


@shared_task(name="live.detect_anomalies", ignore_result=True)
def detect_anomalies() -> int:
    """Celery beat, every ANOMALY_SCAN_INTERVAL_S: the anomaly checks for every live event
    (rejected_burst, invalid_signature_burst, zone_capacity as a safety net behind the per-scan
    hook, and device_silent, which only a clock can notice). Returns the number of new alerts."""
    return anomalies.detect_all()
