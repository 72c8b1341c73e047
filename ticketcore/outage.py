"""A database outage answers 503 with `Retry-After`, never 500 (issue 13 item 3, docs/adr/0020).

A scanner must tell "try again in a moment" (or fall back to offline mode) from "this is a bug".
When PostgreSQL is down, restarting, failing over or read-only, every request that needs it gets
503 + `Retry-After`: under /api/ with the contract's error body (code `unavailable`), elsewhere a
short plain-text page.

Errors raised by views (the scan fast path included) arrive in `process_exception`. Errors raised
by another middleware layer (a session save, for instance) have already been turned into a 500 by
Django when they reach this, the outermost layer: the `got_request_exception` signal marks the
request so the 500 can be replaced here."""
from __future__ import annotations

import logging
import select
import sys
import time

import psycopg
from django.conf import settings
from django.core.signals import got_request_exception, request_started
from django.db import InterfaceError, InternalError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)

_MARK = "_ticketcore_database_outage"
_LOG_EVERY_S = 5.0
_last_logged = 0.0


def is_database_outage(exc: BaseException | None) -> bool:
    """Connection refused or lost, server shutting down or starting, too many connections,
    deadlock or serialization failure (all OperationalError), and a write refused because the
    server is read-only (a demoted primary or a standby during failover)."""
    if isinstance(exc, (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    if isinstance(exc, InternalError):
        return isinstance(exc.__cause__, psycopg.errors.ReadOnlySqlTransaction)
    return isinstance(exc, psycopg.errors.ReadOnlySqlTransaction)


def unavailable_response(request) -> HttpResponse:
    retry_after = str(getattr(settings, "OUTAGE_RETRY_AFTER_S", 5))
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {
            "code": "unavailable", "fields": {},
            "message": "The database is unavailable for a moment; retry the same request (same scan_id)."}},
            status=503)
    else:
        response = HttpResponse("Service temporarily unavailable; try again in a moment.\n",
                                content_type="text/plain; charset=utf-8", status=503)
    response["Retry-After"] = retry_after
    return response


def discard_dropped_connections(**kwargs) -> None:
    """At the start of each request, close a kept connection (CONN_MAX_AGE) that the server or a
    proxy in between has already closed, so the request opens a fresh one instead of failing once
    on the dead socket. An idle connection has nothing to read: a readable socket means the peer
    closed it (EOF) or sent a FATAL (administrator shutdown, a failover's HAProxy dropping
    sessions). One non-blocking poll per request, no round trip (CONN_HEALTH_CHECKS would add a
    `SELECT 1` to every scan). A host that vanished without closing anything still fails the first
    request, after DB_TCP_USER_TIMEOUT_MS."""
    for conn in connections.all(initialized_only=True):
        discard_if_dropped(conn)


def discard_if_dropped(conn) -> None:
    """`discard_dropped_connections` for one connection (the scan lane runs it itself)."""
    raw = conn.connection
    if raw is None or conn.in_atomic_block:
        return
    try:
        dropped = raw.closed or bool(select.select([raw.pgconn.socket], [], [], 0)[0])
    except (OSError, ValueError, psycopg.OperationalError):
        dropped = True
    if dropped:
        conn.close()


def _mark(sender, request=None, **kwargs):
    if request is not None and is_database_outage(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class DatabaseOutageMiddleware:
    """First in MIDDLEWARE, so that it sees what every other layer answered."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_mark, dispatch_uid="ticketcore.outage")
        request_started.connect(discard_dropped_connections, dispatch_uid="ticketcore.outage.dropped")

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_outage(exception):
            return None
        global _last_logged
        now = time.monotonic()
        if now - _last_logged > _LOG_EVERY_S:  # one line per process every few seconds, not per request
            _last_logged = now
            log.warning("database unavailable (%s: %s): answering 503 for %s %s",
                        exception.__class__.__name__, str(exception).strip()[:200], request.method, request.path)
        return unavailable_response(request)
