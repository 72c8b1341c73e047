"""What the access app tells the layers above it, without importing them.

`scan_decided` is sent once per online scan answer (accepted or rejected), from the request's
thread, with `device` and `response` (the contract's scan answer). Receivers must be cheap and
must not raise into the door: the live app's anomaly checks (live/anomalies.py `after_scan`) defer
their work to after the commit and swallow their own errors."""
from django.dispatch import Signal

scan_decided = Signal()
