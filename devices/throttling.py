"""Per-device (and, for pairing, per-IP) rate limits in Redis.

A fixed one-minute window counted with one INCR+EXPIRE round trip: DRF's SimpleRateThrottle keeps
a list of timestamps per client, which is far too slow for thousands of scans a minute. Redis
being down must never stop the doors, so the throttle fails open (and logs)."""
from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

log = logging.getLogger(__name__)
_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.2, socket_timeout=0.2)
    return _client


class WindowThrottle(BaseThrottle):
    scope = "device"

    def rate(self) -> int:
        return int(settings.TICKETCORE_THROTTLE_RATES[self.scope])

    def ident(self, request) -> str | None:
        device = getattr(request, "auth", None)
        return getattr(device, "device_id", None)

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        window = int(time.time() // 60)
        key = f"{settings.CACHES['default']['KEY_PREFIX']}:throttle:{self.scope}:{ident}:{window}"
        try:
            pipe = client().pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 61)
            count = pipe.execute()[0]
        except Exception as exc:  # noqa: BLE001 - RedisError, or a broken pooled connection (ValueError)
            log.warning("throttle %s: Redis unavailable (%s); allowing", self.scope, exc.__class__.__name__)
            return True
        self._wait = 60 - (time.time() % 60)
        return count <= self.rate()

    def wait(self):
        return getattr(self, "_wait", 60)


class ScanThrottle(WindowThrottle):
    scope = "scan"


class DeviceThrottle(WindowThrottle):
    scope = "device"


class PairingThrottle(WindowThrottle):
    scope = "pair"

    def ident(self, request) -> str | None:
        return self.get_ident(request)
