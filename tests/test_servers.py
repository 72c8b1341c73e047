"""tests/servers.py: a server a test started is gone, with everything it started, when the test ends."""
import os
import subprocess
import sys
import textwrap
import time

from tests.servers import server_process

# A server shaped like granian when one of its workers lost the SIGTERM while still loading: the
# worker ignores SIGTERM, and the main process ignores it too (it waits for that worker forever).
STUBBORN = textwrap.dedent("""
    import http.server, os, signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import signal, time; "
                 "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)", "stubborn-worker", sys.argv[2]])

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
""")


def test_a_stopped_server_leaves_no_worker_behind():
    marker = f"stubborn-{os.getpid()}-{time.monotonic_ns()}"
    with server_process(lambda port: [sys.executable, "-c", STUBBORN, str(port), marker], name="stubborn",
                        env=dict(os.environ)):
        assert len(_running(marker)) == 2  # the main process and its worker
    # Before: the main process was killed after 10 s and its worker lived on, orphaned.
    assert _running(marker) == []


def _running(marker: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
