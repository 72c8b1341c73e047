"""The scan lane: the RSGI front (ticketcore/web.py) answers the plain online scan by calling the
fast path (access/fastpath.py) without Django's whole request cycle (docs/adr/0035).

A plain scan (POST /api/v1/scan, `Authorization: Device`, a JSON body, a ticket code) goes
through ten middlewares, the URL resolver and the view's dispatch before the fast path answers it
in one database round trip; eight of those layers do nothing to it. Measured through the HTTP
stack, skipping them takes a fifth to a third of granian's CPU per scan (docs/benchmarks.md).

The lane does not restate what the middlewares do: it runs the ones that act on a scan's answer,
as the same Django classes with the project's settings, in Django's order:

- `SecurityMiddleware` and `CommonMiddleware` decide first: a request they would answer
  themselves (an HTTPS redirect, a `Host` outside ALLOWED_HOSTS, a refused user agent, a `www.`
  redirect) is handed to Django's full path untouched, before anything is recorded;
- `LocaleMiddleware` activates the request's language, then adds `Content-Language`/`Vary`;
- the per-request housekeeping that Django's `request_started` and `request_finished` receivers
  do runs before and after the scan, restated in `_started`/`_finished` (the query log reset,
  `close_old_connections` and `discard_dropped_connections`; `close_old_connections`,
  `close_caches` and the URLconf reset): sending the two signals cost a scan more than their
  work (~40 us: dispatch, and the connection handler's thread-local lookups four times).
  `HOUSEKEEPING` names the receivers restated; a receiver connected to either signal and not
  named there fails a test, as an unplaced middleware does;
- a database outage is the 503 of `DatabaseOutageMiddleware`; any other exception becomes
  Django's own 500 (`response_for_exception`: logged, `got_request_exception`, handler500);
- the response passes through `XFrameOptionsMiddleware`, `CommonMiddleware` (Content-Length),
  `LocaleMiddleware` and `SecurityMiddleware` (nosniff, Referrer-Policy, COOP, HSTS).

The other middlewares are listed in `SKIPPED` with the reason each is a no-op for a fast-path scan;
a middleware added to settings.MIDDLEWARE and in neither list fails a test. When the fast path
declines (a credential, an unknown or revoked token, the throttle, a malformed body, a racing
write), the request goes to Django's full path with `DECLINED` set in its environ, and the view
goes straight to its DRF path instead of trying the fast path a second time (which would count
the throttle twice). tests/ticketcore/test_scan_lane.py compares the lane's answers, status, body
and every header, with Django's for the same requests."""
from __future__ import annotations

import psycopg
from django.core.cache import caches
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.db import IntegrityError, connection, connections
from django.urls import set_script_prefix, set_urlconf
from django.utils import translation

from access.fastpath import DECLINED, SCAN_BY_TOKEN, ScanCall, scan_answer, scan_call
from core.i18n import LocaleMiddleware
from core.prepared import prepared_cursor
from ticketcore.outage import discard_if_dropped, is_database_outage, unavailable_response

# settings.MIDDLEWARE entries the lane runs (the classes above) and those it skips, with why.
RUN = (
    "ticketcore.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
SKIPPED = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves STATIC_URL paths only",
    "django.contrib.sessions.middleware.SessionMiddleware": "the fast path never reads the session",
    "django.middleware.csrf.CsrfViewMiddleware": "the scan view is csrf_exempt and sets no CSRF cookie",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "a lazy request.user the fast path never reads",
    "django.contrib.messages.middleware.MessageMiddleware": "no messages on an API answer",
    "axes.middleware.AxesMiddleware": "acts only on a lockout, which only a login raises",
}

# The receivers of Django's request signals whose work `_started` and `_finished` restate:
# (signal, receiver's module, receiver's name).
HOUSEKEEPING = (
    ("request_started", "django.db", "reset_queries"),
    ("request_started", "django.db", "close_old_connections"),
    ("request_started", "ticketcore.outage", "discard_dropped_connections"),
    ("request_finished", "django.core.handlers.base", "reset_urlconf"),
    ("request_finished", "django.db", "close_old_connections"),
    ("request_finished", "django.core.cache", "close_caches"),
)


def _started() -> None:
    """request_started's receivers, in one pass over the connections: reset_queries,
    close_old_connections, then discard_dropped_connections (a failover's dropped socket)."""
    for conn in connections.all(initialized_only=True):
        conn.queries_log.clear()
        conn.close_if_unusable_or_obsolete()
        discard_if_dropped(conn)


def _finished() -> None:
    """request_finished's receivers: reset_urlconf, close_old_connections and close_caches."""
    set_urlconf(None)
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    for cache in caches.all(initialized_only=True):
        cache.close()


def _limit_lock_waits(milliseconds: int) -> None:
    """This thread's connection gives up on a row lock after `milliseconds` (a session setting,
    made once per connection: a reconnect after a failover gets it again). An outage here is left
    to the scans, which answer it with their 503."""
    conn = connections["default"]
    try:
        conn.ensure_connection()
        if getattr(conn, "_tc_lock_timeout_for", None) is not conn.connection:
            with conn.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{int(milliseconds)}ms"])
            conn._tc_lock_timeout_for = conn.connection
    except Exception:  # noqa: BLE001 - the scans meet the same outage and answer it
        pass


def _unused(request):  # the middlewares' get_response: the lane calls their hooks itself
    raise AssertionError("the scan lane does not chain middlewares")


class ScanLane:
    def __init__(self, lock_timeout_ms: int | None = None) -> None:
        # The web front's lane thread answers its worker's scans (ADR 0037): a scan must not wait
        # long for a ticket's row lock there, or every door behind it waits too. With a limit, a
        # scan that would wait longer is declined to the pool's threads (Django's path, which
        # waits as long as it takes), and the lane goes on.
        self.lock_timeout_ms = lock_timeout_ms
        self.security = SecurityMiddleware(_unused)
        self.locale = LocaleMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)

    def answer(self, environ: dict) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """(status, headers, body) for a scan the fast path answers, else None: Django's full path
        must answer `environ` (its body is read again from `wsgi.input`, which the caller resets)."""
        return self.answer_batch([environ])[0]

    def answer_batch(self, environs: list[dict], deliver=None) -> list[tuple[int, list[tuple[str, str]], bytes] | None]:
        """`answer` for the scans that waited together for the lane's thread (ticketcore/web.py,
        docs/adr/0037). Each is checked on its own (`scan_call`), then their database calls go out
        in one pipeline, as one transaction (`_call_database`, ADR 0038), then each answer is made in
        its own request's language. `deliver(i, answer)`, when given, is called as soon as each
        answer (or decline) is known. The request signals' housekeeping runs once around it."""
        answers: list = [None] * len(environs)

        def done(i: int, answer) -> None:
            answers[i] = answer
            if deliver is not None:
                deliver(i, answer)

        calls: list[tuple[int, object, ScanCall]] = []

        def checked():
            """Each scan's checks, yielding its call. All are checked before the pipeline starts:
            sending each call as soon as it was checked kept the database waking up between
            calls, and cost both sides more CPU per scan (docs/benchmarks.md, round 10)."""
            for i, environ in enumerate(environs):
                request = self._request(environ)
                if request is None:
                    done(i, None)
                    continue
                try:
                    self.locale.process_request(request)
                    call = scan_call(request)
                except Exception as exc:
                    done(i, self._respond(request, _error_response(request, exc)))
                    continue
                if call is None:
                    environ[DECLINED] = True
                    done(i, None)
                else:
                    calls.append((i, request, call))
                    yield call

        _started()
        try:
            if self.lock_timeout_ms is not None:
                _limit_lock_waits(self.lock_timeout_ms)

            def answered(k: int, value) -> None:
                i, request, call = calls[k]
                translation.activate(request.LANGUAGE_CODE)
                try:
                    if isinstance(value, BaseException):
                        raise value
                    response = None if value is _DECLINE else scan_answer(call, value)
                except IntegrityError:
                    response = None  # a backstop refused a racing write: the DRF path retries under the lock
                except Exception as exc:
                    response = None if _lock_wait(exc) else _error_response(request, exc)
                if response is None:
                    environs[i][DECLINED] = True
                    done(i, None)
                else:
                    done(i, self._respond(request, response))

            _call_database(list(checked()), answered, pipeline=len(environs) > 1)
        finally:
            _finished()  # what request_finished does when Django's WSGI handler has the server close the response
        return answers

    def _request(self, environ: dict):
        """The request, or None when a middleware would answer it itself (Django's path does)."""
        try:
            request = WSGIRequest(environ)
            if self.security.process_request(request) is not None or self.common.process_request(request) is not None:
                return None
        except Exception:  # DisallowedHost, a refused user agent...: Django's path answers them (400/403)
            return None
        set_script_prefix(get_script_name(environ))
        return request

    def _respond(self, request, response) -> tuple[int, list[tuple[str, str]], bytes]:
        for layer in (self.xframe, self.common, self.locale, self.security):
            response = layer.process_response(request, response)
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        return response.status_code, headers, response.content


def _error_response(request, exc: Exception):
    """A database outage is DatabaseOutageMiddleware's 503; anything else Django's own 500."""
    return unavailable_response(request) if is_database_outage(exc) else response_for_exception(request, exc)


def _lock_wait(exc: BaseException) -> bool:
    """The scan gave up waiting for a row lock (lock_timeout): not an outage, the pool's path waits."""
    return isinstance(exc, psycopg.errors.LockNotAvailable) or isinstance(exc.__cause__, psycopg.errors.LockNotAvailable)


def _outage(exc: BaseException) -> bool:
    """The database is gone: not a lock wait, and not a call skipped because an earlier one failed
    (psycopg's PipelineAborted, an OperationalError that only echoes that other error)."""
    return (is_database_outage(exc) and not _lock_wait(exc)
            and not isinstance(exc, psycopg.errors.PipelineAborted)
            and not isinstance(exc.__cause__, psycopg.errors.PipelineAborted))  # as Django wraps it


_DECLINE = object()  # a call whose answer is unknown after an error in the pipeline: the DRF path runs it


def _call_database(calls, answered, *, pipeline: bool = True) -> None:
    """`answered(k, value)` for each call of the iterable `calls`, in order, with its value, its
    exception or _DECLINE. Without `pipeline` (one scan), or with query logging on (the tests
    count statements), each call is one prepared statement on the kept cursor. Otherwise the calls
    go out together in one pipeline as one transaction (docs/adr/0038): PostgreSQL runs them one
    after another and commits once, so the batch pays one commit and one WAL flush instead of one
    per scan, and the thread gives the GIL away to wait once per batch (docs/adr/0037). A call's
    result arrives before the commit does, so no call is answered before the pipeline is left,
    when the commit has been confirmed: a phone is never told "accepted" for a scan the database
    could still lose.

    An error in any call (a racing write, a row lock held too long) rolls the whole batch back,
    so nothing of it was written; the calls then go out again with a Sync after each, each its own
    transaction, and only the failing one fails. A call that fails there is declined: Django's
    path runs it again, and a scan already recorded answers by its scan_id, so nothing is counted
    twice. When the database is gone, every call without an answer gets the outage's 503 (the
    phone retries with the same scan_id)."""
    if not pipeline or connection.queries_logged:
        for k, call in enumerate(calls):
            try:
                with prepared_cursor() as cur:
                    cur.execute(SCAN_BY_TOKEN, call.params)
                    value = cur.fetchone()[0]
            except Exception as exc:
                value = exc
            answered(k, value)
        return
    calls = list(calls)
    values, errors, sent = _pipelined(calls, together=True)
    if errors and not any(_outage(e) for e in errors):
        # The batch's one transaction was rolled back (an error aborts all of it): nothing of it
        # was written. Each call again, now each its own transaction: only the failing one fails.
        values, errors, sent = _pipelined(calls, together=False)
    outage = None
    if errors:
        connection.errors_occurred = True  # the end of the batch checks the connection before keeping it
        outage = next((e for e in errors if _outage(e)), None)
    for k in range(len(calls)):
        answered(k, values[k] if k in values else outage if outage is not None else _DECLINE)


def _pipelined(calls: list, *, together: bool) -> tuple[dict, list, int]:
    """The calls in one pipeline: (each call's value by index, the errors, how many went out).
    `together`: one transaction for all (a single Sync, so a single commit and WAL flush); else a
    Sync after each call, each its own transaction. Values are read inside the pipeline but kept
    only once it was left without error, which confirms the commits."""
    sent = 0
    values: dict[int, object] = {}
    errors: list[BaseException] = []
    unsure: set[int] = set()
    try:
        with connection.wrap_database_errors:
            connection.ensure_connection()
            cursors = _pipeline_cursors()
            with connection.connection.pipeline() as line:
                for call in calls:
                    try:
                        if sent == len(cursors):
                            cursors.append(connection.connection.cursor())
                        cursors[sent].execute(SCAN_BY_TOKEN, call.params, prepare=True)
                        if not together:
                            line.sync()
                    except psycopg.Error as exc:  # an earlier call's error, or this one's: not read back
                        errors.append(exc)
                        unsure.add(sent)
                    sent += 1
                if together:
                    line.sync()
                for k in range(sent):
                    if k in unsure:  # its cursor may hold nothing of this batch: declined, never read
                        continue
                    try:
                        values[k] = cursors[k].fetchone()[0]
                    except psycopg.Error as exc:  # this call failed (or never went out): it stays declined
                        errors.append(exc)
            # Leaving the pipeline has read every Sync's answer: the transactions committed.
    except Exception as exc:
        errors.append(exc)
        values.clear()  # a value read before its commit was confirmed: none of them is answered
    if together and errors:
        values.clear()  # one transaction: an error anywhere rolled all of it back
    return values, errors, sent


def _pipeline_cursors() -> list:
    """The plain psycopg cursors kept with this thread's connection (as core/prepared.py keeps its
    one; a new connection starts a new list): a pipeline needs one per statement in flight."""
    raw = connection.connection
    kept = getattr(connection, "_tc_pipeline_cursors", None)
    if kept is None or kept[0] is not raw:
        kept = connection._tc_pipeline_cursors = (raw, [])
    return kept[1]
