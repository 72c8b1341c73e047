"""Per-device (and, for pairing, per-IP) rate limits in Redis.

A fixed one-minute window per client, counted in Redis with INCRBY+EXPIRE (DRF's
SimpleRateThrottle keeps a list of timestamps per client: far too slow for thousands of scans a
minute). To keep Redis off the scan path, each process counts locally and syncs a key once it
has 1% of the limit unsynced, or after a second: strict limits (pairing, 10/min) sync on every
request and stay exact; the generous scan limit (6,000/min) syncs every 60 scans and may overshoot
by at most that per process. Redis being down must never stop the doors: fail open (and log).
Pairing counts failed attempts per client address instead (PairingFailures)."""
from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.client_ip import rate_limit_key
from devices.models import hash_token

log = logging.getLogger(__name__)
_client: redis.Redis | None = None
_lock = threading.Lock()
_client_lock = threading.Lock()
# key -> [global count at last sync, unsynced local count, monotonic time of last sync]
_counts: dict[str, list] = {}
SYNC_SECONDS = 1.0


def client() -> redis.Redis:
    global _client
    if _client is None:
        # Under the web role's thread pool the first requests of a worker arrive at once: one
        # client (one connection pool) per process, not one per racing thread.
        with _client_lock:
            if _client is None:
                _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.2, socket_timeout=0.2)
    return _client


class WindowThrottle(BaseThrottle):
    scope = "device"

    def rate(self) -> int:
        return int(settings.TICKETCORE_THROTTLE_RATES[self.scope])

    def ident(self, request) -> str | None:
        # Devices are counted by their token hash, which the fast scan path knows before any
        # database query (devices/auth.py); one device, one key, whichever path answers.
        device = getattr(request, "auth", None)
        token_hash = getattr(device, "token_hash", None)
        return token_hash[:24] if token_hash else None

    def allow_token(self, token: str) -> bool:
        return self._allow(hash_token(token)[:24])

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        return self._allow(ident)

    def _allow(self, ident: str) -> bool:
        window = int(time.time() // 60)
        self._wait = 60 - (time.time() % 60)
        key = f"{settings.CACHES['default']['KEY_PREFIX']}:throttle:{self.scope}:{ident}:{window}"
        rate = self.rate()
        batch = max(1, rate // 100)
        now = time.monotonic()
        with _lock:
            entry = _counts.get(key)
            if entry is None:
                if len(_counts) > 50_000:  # old windows: drop them all, they are past anyway
                    _counts.clear()
                entry = _counts[key] = [0, 0, 0.0]
            entry[1] += 1
            if entry[1] < batch and now - entry[2] < SYNC_SECONDS:
                return entry[0] + entry[1] <= rate
            pending, entry[1], entry[2] = entry[1], 0, now
        try:
            pipe = client().pipeline(transaction=False)
            pipe.incrby(key, pending)
            pipe.expire(key, 61)
            count = pipe.execute()[0]
        except Exception as exc:  # noqa: BLE001 - RedisError, or a broken pooled connection (ValueError)
            log.warning("throttle %s: Redis unavailable (%s); allowing", self.scope, exc.__class__.__name__)
            return True
        with _lock:
            entry[0] = count
            return count + entry[1] <= rate

    def wait(self):
        return getattr(self, "_wait", 60)


class ScanThrottle(WindowThrottle):
    scope = "scan"


class DeviceThrottle(WindowThrottle):
    scope = "device"


class PairingFailures:
    """Failed pairing attempts (unknown, used or expired codes) per client address and minute.

    Successful pairings are not counted: a venue pairs a hundred phones from one NAT address in a
    minute. Each attempt reserves a slot before the code is checked and gives it back if the
    code was good, so concurrent guesses cannot overshoot the limit. Addresses come from
    core.client_ip (X-Forwarded-For believed only from TRUSTED_PROXIES), so an attacker
    neither escapes the count by rotating that header nor fills someone else's.
    Sizing and the brute-force estimate: docs/security.md, docs/adr/0018."""

    scope = "pair_fail"

    def __init__(self, request):
        window = int(time.time() // 60)
        self.wait = 60 - (time.time() % 60)
        self.key = (f"{settings.CACHES['default']['KEY_PREFIX']}:throttle:{self.scope}:"
                    f"{rate_limit_key(request)}:{window}")
        self._reserved = False

    @staticmethod
    def limit() -> int:
        return int(settings.TICKETCORE_THROTTLE_RATES["pair"])

    def reserve(self) -> bool:
        """Take a slot for this attempt; False (and nothing held) when the address is over its
        limit of failures this minute."""
        try:
            pipe = client().pipeline(transaction=False)
            pipe.incr(self.key)
            pipe.expire(self.key, 61)
            count = pipe.execute()[0]
            if count > self.limit():
                client().decr(self.key)
                return False
        except Exception as exc:  # noqa: BLE001 - fail open like every other limit
            log.warning("throttle %s: Redis unavailable (%s); allowing", self.scope, exc.__class__.__name__)
            return True
        self._reserved = True
        return True

    def succeeded(self) -> None:
        """The code was good: the attempt is not a failure."""
        if self._reserved:
            try:
                client().decr(self.key)
            except Exception as exc:  # noqa: BLE001
                log.warning("throttle %s: Redis unavailable (%s)", self.scope, exc.__class__.__name__)
