"""`make run`: the whole system with demo data, in the production shape.

Every role is started through `bin/ticketcore` (docs/adr/0020), as a deployment starts it:
- `web`: granian (several workers) serves the HTTP API, admin and pages on an internal port;
- `ws`: daphne (ASGI) serves the WebSockets on another internal port;
- a small reverse proxy on the public port sends `/ws/` to daphne and everything else to granian,
  as nginx would in production;
- `worker` and `beat`: Celery runs the background jobs.
A role that crashes is restarted with backoff and the restart is logged (scripts/supervisor.py);
the others keep running. Ctrl-C stops everything."""
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
from scripts.supervisor import Role, Supervisor  # noqa: E402

PORT = int(os.environ.get("PORT", "8000"))
HTTP_PORT, WS_PORT = PORT + 1, PORT + 2
ADMIN_USER, ADMIN_PASSWORD = "admin", os.environ.get("ADMIN_PASSWORD", "ticketcore-admin")


def main() -> None:
    env = dict(os.environ)
    found = discover(allow_embedded=True)
    env.update({k: v for k, v in found.items() if not k.startswith("_")})
    env.setdefault("DEBUG", "true")
    env.setdefault("ALLOWED_HOSTS", "*")
    env.setdefault("PYTHON", sys.executable)
    # Before bin/ticketcore, make run read HTTP_WORKERS / HTTP_THREADS: still honoured.
    env.setdefault("WEB_WORKERS", os.environ.get("HTTP_WORKERS", "2"))
    env.setdefault("WEB_THREADS", os.environ.get("HTTP_THREADS", "4"))
    py = sys.executable
    ticketcore = str(ROOT / "bin" / "ticketcore")
    ensure_database(env["DATABASE_URL"])

    def manage(*args: str) -> str:
        return subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout

    subprocess.run([ticketcore, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    demo = manage("demo")
    event_id = next((l.split("=", 1)[1] for l in demo.splitlines() if l.startswith("DEMO_EVENT_ID=")), "")
    manage("ensure_admin", ADMIN_USER, ADMIN_PASSWORD)
    if event_id and (env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID")):
        # An emulator keeps its data in memory: queue the whole demo event for the worker, so a
        # fresh emulator gets it even though the database already had it (docs/adr/0011).
        manage("mirror_event", event_id, "--no-drain")

    def role(name: str, argv: list[str], **extra: str) -> Role:
        return Role(name, argv, env={**env, **extra}, cwd=str(ROOT))

    supervisor = Supervisor([
        role("web", [ticketcore, "web"], HOST="127.0.0.1", PORT=str(HTTP_PORT)),
        role("ws", [ticketcore, "ws"], HOST="127.0.0.1", PORT=str(WS_PORT)),
        role("worker", [ticketcore, "worker"]),
        role("beat", [ticketcore, "beat"]),
        role("proxy", [py, str(ROOT / "scripts" / "proxy.py"), "--port", str(PORT), "--http", str(HTTP_PORT),
                       "--ws", str(WS_PORT)]),
    ], log=lambda line: print(time.strftime("%H:%M:%S ") + line, flush=True))
    supervisor.start()
    # Ctrl-C (or a TERM) only asks the loop below to end; the roles are stopped after it.
    signal.signal(signal.SIGINT, lambda *_: supervisor.request_stop())
    signal.signal(signal.SIGTERM, lambda *_: supervisor.request_stop())

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not supervisor.stop_requested and not (
            answers("127.0.0.1", PORT) and answers("127.0.0.1", HTTP_PORT)):
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

    try:
        supervisor.run()
    finally:
        print("Stopping every role ...", flush=True)
        supervisor.stop()


if __name__ == "__main__":
    main()
