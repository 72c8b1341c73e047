"""CPU per scan in one process, without a server: the whole Django request cycle
(`ticketcore.wsgi.application`) against the fast path alone (`access.fastpath.fast_scan_response`
on a WSGIRequest), on real scans of distinct sold tickets.

    .venv/bin/python bench/scan_cpu.py [--scans 2000] [--profile]

The difference is what Django's handler and middlewares cost a scan around the fast path
(docs/benchmarks.md, issue 19). CPU time (`time.process_time`), so a loaded machine moves it less
than throughput; the database's share is not in it. `--profile` adds a cProfile of the Django
cycle, by cumulative time."""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time
import uuid

from common import machine, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.update(THROTTLE_SCAN_PER_MIN="1000000", THROTTLE_DEVICE_PER_MIN="1000000", DEBUG="false",
                      LOG_LEVEL="WARNING")
    setup_django()
    from scan_http import prepare

    warm = 200
    total = warm + 2 * args.scans + (args.scans if args.profile else 0)
    event, codes, tokens = prepare(total, 1)
    from django.core.handlers.wsgi import WSGIRequest

    from access import fastpath
    from ticketcore.wsgi import application

    def environ(code: str) -> dict:
        body = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())}).encode()
        return {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/scan", "SCRIPT_NAME": "", "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8001", "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
                "HTTP_HOST": "127.0.0.1:8001", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
                "HTTP_AUTHORIZATION": f"Device {tokens[0]}", "HTTP_ACCEPT": "*/*"}

    statuses: set[str] = set()
    queue = iter(codes)

    def through_django(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            application(environ(next(queue)), lambda status, headers, exc_info=None: statuses.add(status))
        return (time.process_time() - started) / n * 1000

    def fast_path_only(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            assert fastpath.fast_scan_response(WSGIRequest(environ(next(queue)))) is not None
        return (time.process_time() - started) / n * 1000

    through_django(warm)
    django_ms = through_django(args.scans)
    fast_ms = fast_path_only(args.scans)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"CPU per scan, {args.scans} scans each: Django request cycle {django_ms:.3f} ms, fast path alone "
          f"{fast_ms:.3f} ms, the cycle around it {django_ms - fast_ms:.3f} ms; statuses {sorted(statuses)}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        through_django(args.scans)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
