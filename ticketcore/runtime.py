"""Process-level tuning for the long-running server processes (WSGI and ASGI workers).

Garbage collection: a granian worker holds a large, long-lived heap (Django, DRF, the Firestore
and gRPC clients, the URL and schema caches). CPython's full (generation 2) collection walks all
of it, and it stops every thread of the process while it does: measured under the scan benchmark
at 80-106 ms per full collection, a few times a minute, which was most of the scan's p99 (every
request in flight waits). Freezing the heap that exists once the application is loaded moves it
out of the collector's view (`gc.freeze`, the approach Instagram described for Django workers),
so a full collection only walks what was allocated since. Cycles are still collected, with
Python's default thresholds (a larger young-generation threshold measured no better).
See docs/adr/0007."""
from __future__ import annotations

import gc

from django.conf import settings


def tune_gc() -> None:
    if not getattr(settings, "GC_FREEZE_AFTER_LOAD", True):
        return
    gc.collect()
    gc.freeze()
