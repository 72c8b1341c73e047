"""Liveness and readiness. `/readyz` fails when PostgreSQL (the source of truth) is down or when
this host's connection to it is read-only (a demoted primary or a hot standby after a failover:
every scan would fail there), so a load balancer takes the host out of rotation. Redis and the
Firestore mirror are reported but do not make the process unready, because scanning keeps working
without them."""
from django.db import connection
from django.http import JsonResponse

from mirror.outbox import mirror_status


def healthz(request):
    return JsonResponse({"status": "ok"})


def _redis_state() -> dict:
    import redis
    from django.conf import settings

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
        return {"ok": True}
    except Exception as exc:  # reported, never raised: Redis is not on the scan path
        return {"ok": False, "error": exc.__class__.__name__}


def readyz(request):
    try:
        with connection.cursor() as cur:
            # transaction_read_only is on in recovery too; both are named for the operator.
            cur.execute("SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'")
            in_recovery, read_only = cur.fetchone()
        if in_recovery or read_only:
            db = {"ok": False, "error": "in_recovery" if in_recovery else "read_only"}
        else:
            db = {"ok": True}
    except Exception as exc:
        db = {"ok": False, "error": exc.__class__.__name__}
    body = {"database": db, "redis": _redis_state(), "mirror": mirror_status()}
    body["status"] = "ok" if db["ok"] else "unavailable"
    return JsonResponse(body, status=200 if db["ok"] else 503)
