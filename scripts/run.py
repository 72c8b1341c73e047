"""`make run`: the whole system with demo data, in the production shape.

- granian (multi-worker WSGI) serves the HTTP API, admin and pages on an internal port;
- daphne (ASGI) serves the WebSockets on another internal port;
- a small reverse proxy on the public port sends `/ws/` to daphne and everything else to granian,
  as nginx would in production;
- a Celery worker and Celery beat run the background jobs.
Ctrl-C stops everything."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.services import answers, discover, ensure_database  # noqa: E402

PORT = int(os.environ.get("PORT", "8000"))
HTTP_PORT, WS_PORT = PORT + 1, PORT + 2
ADMIN_USER, ADMIN_PASSWORD = "admin", os.environ.get("ADMIN_PASSWORD", "ticketcore-admin")


def main() -> None:
    env = dict(os.environ)
    found = discover(allow_embedded=True)
    env.update({k: v for k, v in found.items() if not k.startswith("_")})
    env.setdefault("DEBUG", "true")
    env.setdefault("ALLOWED_HOSTS", "*")
    py = sys.executable
    ensure_database(env["DATABASE_URL"])

    def manage(*args: str) -> str:
        return subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    demo = manage("demo")
    event_id = next((l.split("=", 1)[1] for l in demo.splitlines() if l.startswith("DEMO_EVENT_ID=")), "")
    manage("ensure_admin", ADMIN_USER, ADMIN_PASSWORD)
    if event_id and (env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID")):
        # An emulator keeps its data in memory: queue the whole demo event for the worker, so a
        # fresh emulator gets it even though the database already had it (docs/adr/0011).
        manage("mirror_event", event_id, "--no-drain")

    procs: list[subprocess.Popen] = []

    def start(*cmd: str) -> None:
        procs.append(subprocess.Popen(list(cmd), cwd=ROOT, env=env, start_new_session=True))

    bin_dir = Path(py).parent
    start(str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(HTTP_PORT),
          "--workers", os.environ.get("HTTP_WORKERS", "2"),
          # the shape bench/scan_http.py measures (docs/benchmarks.md): 2 workers x 4 threads
          "--blocking-threads", os.environ.get("HTTP_THREADS", "4"),
          "--static-path-route", "/static", "--static-path-mount", str(ROOT / ".data" / "static"),
          "ticketcore.wsgi:application")
    start(str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(WS_PORT), "ticketcore.asgi:application")
    start(py, "-m", "celery", "-A", "ticketcore", "worker", "--loglevel", "INFO", "--concurrency", "2")
    start(py, "-m", "celery", "-A", "ticketcore", "beat", "--loglevel", "INFO",
          "--schedule", str(ROOT / ".data" / "celerybeat-schedule"))
    start(py, str(ROOT / "scripts" / "proxy.py"), "--port", str(PORT), "--http", str(HTTP_PORT), "--ws", str(WS_PORT))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (answers("127.0.0.1", PORT) and answers("127.0.0.1", HTTP_PORT)):
        time.sleep(0.2)
    base = f"http://127.0.0.1:{PORT}"
    print("\n" + "=" * 72)
    print(f"TicketCore is running at {base}/")
    print(f"  Admin:      {base}/admin/   (user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r})")
    print(f"  API docs:   {base}/api/docs/")
    if event_id:
        print(f"  Dashboard:  {base}/dashboard/events/{event_id}/")
    print(f"  Scanner:    {base}/scanner/")
    print(f"  Database:   {env['DATABASE_URL']}   Redis: {env['REDIS_URL']}")
    if found.get("_EMBEDDED"):
        print(f"  Embedded:   {found['_EMBEDDED']}")
    mirror = "on (" + (env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID")) + ")" \
        if env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID") else \
        "OFF (set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID to mirror to Firestore)"
    print(f"  Firestore mirror: {mirror}")
    print("Ctrl-C stops everything.")
    print("=" * 72 + "\n", flush=True)

    def stop(*_):
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for p in procs:
            if p.poll() is not None:
                print(f"A process exited ({p.args[0]} code {p.returncode}); stopping.", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
