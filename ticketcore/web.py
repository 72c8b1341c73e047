"""The `web` role's server interface (granian RSGI; docs/adr/0020, 0006).

granian's WSGI mode hands a request to a blocking thread as soon as its headers are in, and the
thread then reads the body from the socket, with no deadline: eight clients that send headers and
half a body hold all 2 x 4 threads and stop every door. Here the request arrives on the worker's
event loop instead, where waiting costs a coroutine, not a thread:

- a declared body larger than the server accepts is refused (413) without reading it, and the
  scan endpoint, whose body is a few hundred bytes, refuses anything above SCAN_MAX_BODY; a body
  without Content-Length (chunked) is refused (411);
- a scan without a well-formed `Authorization: Device` header is answered (401/403 by the usual
  view) without waiting for its body;
- the body is read on the loop with a deadline (a base time plus a minimum transfer rate); a
  client that misses it gets 408 and no thread ever saw it;
- only then is the request put on this process's pool of WEB_THREADS threads, which run the
  WSGI application (`ticketcore.wsgi.application`, unchanged) and send the response themselves,
  so the answer does not wait for the loop;
- the plain scan goes instead to the scan lane's own thread (WEB_SCAN_THREADS, one), which answers
  the scans waiting together without Django's whole request cycle (ticketcore/scan_lane.py, ADR
  0035) and with their database calls in one pipeline (ADR 0037), unless WEB_SCAN_LANE=false;
  what the lane declines goes on to the pool;
- a streaming response (CSV exports, files) is sent as it is produced, through a pipe that
  granian reads only as fast as the client takes it (ticketcore/web_stream.py, docs/adr/0030).
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import queue
import sys
import threading

from ticketcore import web_stream
from ticketcore.wsgi import application as wsgi_application

from ticketcore.scan_lane import ScanLane  # noqa: E402,I001  (imports models: after Django's set-up)

log = logging.getLogger(__name__)

THREADS = int(os.environ.get("WEB_THREADS", "4"))
BODY_TIMEOUT_S = float(os.environ.get("WEB_BODY_TIMEOUT_S", "10"))
BODY_MIN_RATE = int(os.environ.get("WEB_BODY_MIN_RATE", "50000"))  # bytes/s, added to the deadline
SCAN_PATH = "/api/v1/scan"
SCAN_MAX_BODY = 8192  # a scan is a code of at most 2,000 characters plus three short fields
# The plain scan answered without Django's whole request cycle (ticketcore/scan_lane.py, ADR 0035).
SCAN_LANE = os.environ.get("WEB_SCAN_LANE", "true").lower() not in ("0", "false", "no", "off")
# The lane's own thread(s): each takes the scans waiting (up to SCAN_BATCH_MAX) and sends their
# database calls in one pipeline, instead of a pool of threads contending for the GIL (ADR 0037).
SCAN_THREADS = int(os.environ.get("WEB_SCAN_THREADS", "1"))
SCAN_BATCH_MAX = int(os.environ.get("WEB_SCAN_BATCH_MAX", "32"))
# How long the lane thread's scan waits for a ticket's row lock before handing the scan to the pool.
SCAN_LOCK_TIMEOUT_MS = int(os.environ.get("WEB_SCAN_LOCK_TIMEOUT_MS", "200"))


def _max_body() -> int:
    from django.conf import settings

    return int(os.environ.get("WEB_MAX_BODY_BYTES") or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


_BASE_ENVIRON = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "Granian",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,
    "wsgi.multiprocess": True,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}
_PROTOCOLS = {"1": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "3": "HTTP/3"}
_HEADER_KEYS: dict[str, str] = {}


def _header_key(name: str) -> str:
    key = _HEADER_KEYS.get(name)
    if key is None:
        key = _HEADER_KEYS[name] = "HTTP_" + name.upper().replace("-", "_")
    return key


def build_environ(scope, body: bytes) -> dict:
    """The WSGI environ granian's WSGI mode would build for this request (PEP 3333)."""
    server_host, _, server_port = scope.server.rpartition(":")
    environ = dict(_BASE_ENVIRON)
    environ["REQUEST_METHOD"] = scope.method
    # WSGI carries the decoded path's bytes as latin-1 (Django re-decodes them as UTF-8).
    environ["PATH_INFO"] = scope.path.encode("utf-8").decode("latin-1")
    environ["QUERY_STRING"] = scope.query_string
    environ["SERVER_PROTOCOL"] = _PROTOCOLS.get(scope.http_version, "HTTP/1.1")
    environ["SERVER_NAME"] = server_host.strip("[]")
    environ["SERVER_PORT"] = server_port
    environ["REMOTE_ADDR"] = scope.client.rpartition(":")[0].strip("[]")
    environ["wsgi.url_scheme"] = scope.scheme
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in scope.headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            continue  # the body actually read is what counts
        else:
            key = _header_key(name)
            if key in environ:  # repeated header: cookies are joined with ';', the rest with ','
                environ[key] += (";" if name == "cookie" else ",") + value
            else:
                environ[key] = value
    if "HTTP_HOST" not in environ and scope.authority:
        environ["HTTP_HOST"] = scope.authority
    return environ


def _error(proto, status: int, code: str, message: str, extra_headers=()) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode()
    proto.response_bytes(status, [("content-type", "application/json"), ("connection", "close"),
                                  *extra_headers], body)


class _Response:
    __slots__ = ("status", "headers")

    def __call__(self, status: str, headers, exc_info=None):
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class WebApplication:
    """RSGI application: bodies on the loop with a deadline, the WSGI app on a thread pool."""

    def __init__(self, app, threads: int = THREADS, lane: bool = SCAN_LANE):
        self.app = app
        self.lane = ScanLane(lock_timeout_ms=SCAN_LOCK_TIMEOUT_MS) if lane else None
        self.threads = threads
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.scans: queue.SimpleQueue = queue.SimpleQueue()  # plain scans for the lane's threads
        self.loop: asyncio.AbstractEventLoop | None = None
        self.done: list[asyncio.Future] = []  # finished requests the loop has not resolved yet
        self.done_lock = threading.Lock()
        self.wake_pending = False
        self.max_body = _max_body()

    def __rsgi_init__(self, loop) -> None:
        self.loop = loop
        for i in range(self.threads):
            threading.Thread(target=self._work, name=f"web-{i}", daemon=True).start()
        if self.lane is not None:
            for i in range(SCAN_THREADS):
                threading.Thread(target=self._scan_work, name=f"web-scan-{i}", daemon=True).start()

    def _scan_work(self) -> None:
        """The scan lane's thread: the plain scans waiting, taken together (ScanLane.answer_batch:
        their database calls in one pipeline, answered once every commit is confirmed); each
        answer is sent as soon as it is made, and what the lane declines goes on to the pool's
        threads, for Django's full path."""
        scans = self.scans
        while True:
            batch = [scans.get()]
            while len(batch) < SCAN_BATCH_MAX:
                try:
                    batch.append(scans.get_nowait())
                except queue.Empty:
                    break
            handed = [False] * len(batch)
            environs = [build_environ(scope, body) for _fut, scope, _proto, body, _environ in batch]

            def deliver(i: int, answer) -> None:
                handed[i] = True
                fut, scope, proto, body, _none = batch[i]
                if answer is None:
                    environs[i]["wsgi.input"] = io.BytesIO(body)  # Django's full path reads the body again
                    self.jobs.put((fut, scope, proto, body, environs[i]))
                    return
                try:
                    proto.response_bytes(*answer)
                except BaseException:
                    log.exception("web: a scan's answer could not be sent")
                self._resolved(fut)

            try:
                self.lane.answer_batch(environs, deliver)
            except BaseException:  # a bug in the lane: Django's path answers what it left
                log.exception("web: the scan lane failed a batch")
            for i, (fut, scope, proto, body, _none) in enumerate(batch):
                if not handed[i]:  # never: every scan of a batch is answered or handed on
                    log.error("web: the scan lane left a scan unanswered; Django's path answers it")
                    self.jobs.put((fut, scope, proto, body, None))

    def _work(self) -> None:
        jobs, app = self.jobs, self.app
        while True:
            fut, scope, proto, body, environ = jobs.get()
            try:
                if environ is None:
                    environ = build_environ(scope, body)
                response = _Response()
                chunks = app(environ, response)
                if isinstance(chunks, list):  # ticketcore.wsgi hands complete responses over as one list
                    proto.response_bytes(response.status, response.headers, b"".join(chunks))
                else:
                    _send_streamed(proto, response, chunks, head=scope.method == "HEAD")
            except BaseException:  # a bug in the app or here: answer 500, keep the thread alive
                log.exception("web: request failed outside Django's handler")
                proto.response_empty(500, [])  # ignored by granian once a response has started
            finally:
                self._resolved(fut)

    def _resolved(self, fut: asyncio.Future) -> None:
        """Hand a finished request back to the loop. One wake-up of the loop (a write to its
        self-pipe and a read back) per batch of requests finished before it runs, not per
        request: under a door rush several threads finish between two turns of the loop."""
        with self.done_lock:
            self.done.append(fut)
            if self.wake_pending:
                return
            self.wake_pending = True
        self.loop.call_soon_threadsafe(self._resolve_done)

    def _resolve_done(self) -> None:
        with self.done_lock:
            self.wake_pending = False
            finished = list(self.done)
            self.done.clear()
        for fut in finished:
            if not fut.done():
                fut.set_result(None)

    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":
            return  # WebSockets are the ws role's (daphne)
        headers = scope.headers
        length = headers.get("content-length")
        body = b""
        if length is None and "transfer-encoding" in headers:
            # A chunked body cut short by a disconnect cannot be told from a complete one here;
            # Django never read chunked bodies under granian's WSGI mode either (no Content-Length).
            return _error(proto, 411, "length_required", "A request body needs a Content-Length header.")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return _error(proto, 400, "parse_error", "Malformed Content-Length.")
            is_scan = scope.path == SCAN_PATH
            if declared > (SCAN_MAX_BODY if is_scan else self.max_body):
                return _error(proto, 413, "payload_too_large", "The request body is too large.")
            if is_scan and not _device_header(headers.get("authorization")):
                declared = 0  # refused by the view before it looks at a body: never wait for one
            if declared > 0:
                try:
                    async with asyncio.timeout(BODY_TIMEOUT_S + declared / BODY_MIN_RATE):
                        body = await proto()
                except TimeoutError:
                    return _error(proto, 408, "request_timeout", "The request body did not arrive in time.")
                except Exception:  # the client went away (RSGIProtocolClosed): nobody to answer
                    return
                if len(body) != declared:
                    return _error(proto, 400, "parse_error", "The request body is shorter than its Content-Length.")
        fut = self.loop.create_future()
        lane = self.lane is not None and scope.path == SCAN_PATH and scope.method == "POST"
        (self.scans if lane else self.jobs).put((fut, scope, proto, body, None))
        await fut


def _send_streamed(proto, response: _Response, chunks, *, head: bool = False) -> None:
    """A streaming response (StreamingHttpResponse, FileResponse): a file on disk by its path,
    anything else chunk by chunk as the application produces it (ticketcore/web_stream.py); for
    HEAD, the headers alone, without running the body. The iterator is closed in every case, which
    ends its generator and fires `request_finished`."""
    try:
        path = web_stream.file_on_disk(chunks)
        if head:
            proto.response_empty(response.status, response.headers)
        elif path is not None:
            proto.response_file(response.status, response.headers, path)
        else:
            web_stream.send_stream(proto, response.status, response.headers, chunks)
    except web_stream.ClientGone:
        pass  # nobody to answer; closing the iterator below stops the work for it
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _device_header(value: str | None) -> bool:
    if not value:
        return False
    parts = value.split()
    return len(parts) == 2 and parts[0].lower() == "device"


application = WebApplication(wsgi_application)
