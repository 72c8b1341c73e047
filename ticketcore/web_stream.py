"""Streamed responses for the RSGI front (ticketcore/web.py; docs/adr/0030).

A StreamingHttpResponse or FileResponse is sent as it is produced, with back-pressure, from the
request thread that runs Django:

- granian's `response_stream` transport is no use for that: `send_bytes` puts the chunk on an
  unbounded channel and returns at once (granian src/rsgi/io.rs, `RSGIHTTPStreamTransport`), so a
  client that reads slowly would make the worker buffer the whole body, which is what collecting
  it did. Its `response_file`, on the other hand, reads the file only as fast as hyper writes to
  the socket (a `ReaderStream` of 128 KiB);
- so the body goes through a named pipe (FIFO): granian is told to send the "file" at its path,
  and the request thread writes the chunks into the pipe as the application yields them. A
  full pipe (64 KiB) stops the writer, which stops the generator: memory stays at a chunk, the
  pipe and granian's buffer, whatever the client's speed;
- the writer waits at most WEB_SEND_TIMEOUT_S for room in the pipe (a client that stops reading
  must not hold a request thread for ever: ADR 0020's rule for request bodies, applied to
  response bodies), and a client that goes away closes granian's end, so the next write fails
  with EPIPE: the writer stops and the caller closes the application's iterator, which runs the
  generator's `finally` (a database cursor is closed, nothing more is read);
- a FileResponse of a file on disk is handed to granian by its path and never passes through
  Python.

RSGI has no way to abort a response: if the application fails half-way, the body ends early and
cleanly. With a Content-Length (FileResponse) the client sees it is short; a chunked stream
(CSV) cannot say so, and the failure is logged."""
from __future__ import annotations

import atexit
import errno
import logging
import os
import select
import shutil
import tempfile
import time
import uuid

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = float(os.environ.get("WEB_SEND_TIMEOUT_S", "60"))
OPEN_TIMEOUT_S = 10.0  # granian opens the pipe as soon as it has the response: normally well under 1 ms


class ClientGone(Exception):
    """The client disconnected or stopped reading for longer than WEB_SEND_TIMEOUT_S."""


class PipeDirectory:
    """A private directory (mode 0700) for this process's pipes, removed when it exits. Each
    pipe's name is unlinked as soon as both ends are open."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="ticketcore-web-")
        atexit.register(shutil.rmtree, self.path, True)

    def new_fifo(self) -> str:
        path = os.path.join(self.path, uuid.uuid4().hex)
        os.mkfifo(path, 0o600)
        return path


_pipes: PipeDirectory | None = None


def _directory() -> PipeDirectory:
    global _pipes
    if _pipes is None:
        _pipes = PipeDirectory()
    return _pipes


def file_on_disk(response) -> str | None:
    """The path of a FileResponse's file when granian can send it by name: a regular file read
    from its start (a temporary file without a name goes through a pipe)."""
    filelike = getattr(response, "file_to_stream", None)
    name = getattr(filelike, "name", None)
    if not isinstance(name, str) or not os.path.isabs(name):
        return None
    try:
        if filelike.tell() != 0 or not os.path.isfile(name):
            return None
    except (OSError, ValueError):
        return None
    return name


def _open_writer(path: str) -> int | None:
    """The pipe's write end, once granian has opened its read end (None if it never does: the
    connection went away before the response started)."""
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while True:
        try:
            return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:  # ENXIO: no reader yet
                return None
        time.sleep(0.0005)  # granian's runtime opens it on another thread: poll until the deadline


def _write_all(fd: int, poller: select.poll, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            pass
        except BrokenPipeError:
            raise ClientGone from None
        if view and not poller.poll(SEND_TIMEOUT_S * 1000):
            raise ClientGone


def send_stream(proto, status: int, headers, chunks) -> int:
    """Send the iterable `chunks` as the body, each chunk as it comes; returns the bytes sent.
    Raises ClientGone when the client leaves or stalls. The caller closes `chunks`."""
    path = _directory().new_fifo()
    try:
        proto.response_file(status, headers, path)
        fd = _open_writer(path)
    finally:
        os.unlink(path)
    if fd is None:
        raise ClientGone
    sent = 0
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        for chunk in chunks:
            if chunk:
                _write_all(fd, poller, chunk)
                sent += len(chunk)
    finally:
        os.close(fd)  # the end of the body (or of what could be sent)
    return sent
