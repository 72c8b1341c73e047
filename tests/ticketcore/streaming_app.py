"""A WSGI application behind the real RSGI front (ticketcore/web.py), for
tests/ticketcore/test_web_streaming.py: its streamed body reports, in a file the test reads, how
many chunks it has produced, the worker's resident memory, and whether it was closed.

    GET /stream?id=<name>&chunks=<n>&size=<bytes>   n chunks of `size` bytes, each a new object
    GET /healthz                                    "ok" (server_process waits for it)
"""
from __future__ import annotations

import json
import os
import urllib.parse

from ticketcore.web import WebApplication

PROGRESS_DIR = os.environ.get("STREAM_PROGRESS_DIR", "/tmp")


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _report(name: str, state: dict) -> None:
    path = os.path.join(PROGRESS_DIR, name)
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(path + ".tmp", path)


class Body:
    """The response iterable: reports each chunk it makes, and its closing (even unstarted)."""

    def __init__(self, name: str, count: int, size: int):
        self.name, self.count, self.size = name, count, size
        self.state = {"produced": 0, "closed": False, "rss_start_kb": _rss_kb(), "rss_max_kb": 0}
        _report(name, self.state)

    def __iter__(self):
        for i in range(self.count):
            chunk = f"{i:08d}".encode() + b"x" * (self.size - 8)  # a new object each time
            self.state["produced"] = i + 1
            self.state["rss_max_kb"] = max(self.state["rss_max_kb"], _rss_kb())
            _report(self.name, self.state)
            yield chunk

    def close(self):
        self.state["closed"] = True
        _report(self.name, self.state)


def wsgi(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    q = {k: v[0] for k, v in urllib.parse.parse_qs(environ["QUERY_STRING"]).items()}
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return Body(q["id"], int(q["chunks"]), int(q["size"]))


application = WebApplication(wsgi, threads=2)
