"""`make run`: the whole system with demo data, in the production shape.

Every role is started through `bin/ticketcore` (docs/adr/0020), as a deployment starts it:
- `web`: granian (several workers) serves the HTTP API, admin and pages on an internal port;
- `ws`: daphne (ASGI) serves the WebSockets on another internal port;
- a small reverse proxy on the public port sends `/ws/` to daphne and everything else to granian,
  as nginx would in production;
- `worker` and `beat`: Celery runs the background jobs.
A role that crashes is restarted with backoff and the restart is logged (scripts/supervisor.py);
the others keep running. Ctrl-C stops everything.

At a venue (docs/adr/0025, README "At the venue"): with PUBLIC_HOST (an address or name phones
reach this machine at, or `auto`) or PUBLIC_URL, the proxy listens on every interface, serves
HTTPS with a certificate from the local CA of scripts/tls.py, and the scanner's address is
printed with a QR code to open it on a phone."""
from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.services import answers, discover, ensure_database, ensure_roles  # noqa: E402
from scripts.supervisor import Role, Supervisor  # noqa: E402

ADMIN_USER, ADMIN_PASSWORD = "admin", os.environ.get("ADMIN_PASSWORD", "ticketcore-admin")


@dataclass(frozen=True)
class Venue:
    """Where `make run` listens and the address phones use."""
    port: int
    public_url: str  # "" on a laptop alone: http://127.0.0.1:<port>
    listen_host: str
    tls: bool

    @property
    def base(self) -> str:
        return self.public_url or f"http://127.0.0.1:{self.port}"

    @property
    def public_host(self) -> str:
        return (urlsplit(self.public_url).hostname or "") if self.public_url else ""


def lan_address() -> str:
    """The address of this machine's interface toward the default route (a UDP `connect` only
    picks the route; nothing is sent), else any non-loopback address of its host name."""
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                address = s.getsockname()[0]
            if not ipaddress.ip_address(address).is_loopback:
                return address
        except OSError:
            continue
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            if not ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback:
                return info[4][0]
    except OSError:
        pass
    sys.exit("PUBLIC_HOST=auto found no network address other than loopback: set PUBLIC_HOST to the "
             "address phones reach this machine at.")


def venue_from(environ) -> Venue:
    """PORT, PUBLIC_URL and PUBLIC_HOST: PUBLIC_URL wins; PUBLIC_HOST=h means https://h:PORT."""
    url = (environ.get("PUBLIC_URL") or "").strip().rstrip("/")
    host = (environ.get("PUBLIC_HOST") or "").strip()
    port_text = environ.get("PORT") or ""
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            sys.exit(f"PUBLIC_URL must look like https://192.168.1.20:8443 (got {url!r})")
        port = int(port_text) if port_text else parts.port or (443 if parts.scheme == "https" else 80)
    else:
        port = int(port_text or 8000)
        if host:
            host = lan_address() if host == "auto" else host.strip("[]")
            url = f"https://{f'[{host}]' if ':' in host else host}:{port}"
    hostname = urlsplit(url).hostname if url else ""
    local = not hostname or hostname == "localhost" or (
        _is_ip(hostname) and ipaddress.ip_address(hostname).is_loopback)
    return Venue(port=port, public_url=url, listen_host="127.0.0.1" if local else "::",
                 tls=url.startswith("https://"))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def terminal_qr(text: str) -> str:
    """A QR code of `text` for the terminal: two modules per character cell (upper half block),
    black on white whatever the terminal's own colours, with the quiet zone around it."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix]
    border, size = 4, len(matrix)
    rows = [[0] * (size + 2 * border) for _ in range(border)]
    rows += [[0] * border + [int(bool(m)) for m in row] + [0] * border for row in matrix]
    rows += [[0] * (size + 2 * border) for _ in range(border + (len(rows) + border) % 2)]
    fg, bg = {1: "30", 0: "97"}, {1: "40", 0: "107"}  # dark modules black, light ones bright white
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2]):
        line, current = [], None
        for t, b in zip(top, bottom):
            if (t, b) != current:
                line.append(f"\033[{fg[t]};{bg[b]}m")
                current = (t, b)
            line.append("\u2580")
        lines.append("".join(line) + "\033[0m")
    return "\n".join(lines)


def database_roles(env: dict) -> None:
    """Run the servers as the DML-only application role and migrate as the owner (docs/adr/0019).
    An operator who configured MIGRATE_DATABASE_URL chose the roles already; a DATABASE_URL that
    cannot create roles (not a superuser) keeps today's single-role set-up, with a warning."""
    if env.get("MIGRATE_DATABASE_URL"):
        return
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(env["DATABASE_URL"]).path.lstrip("/") or "ticketcore"
    try:
        env.update(ensure_roles(env["DATABASE_URL"], name))
    except psycopg.errors.InsufficientPrivilege as exc:
        print(f"Warning: could not create the owner and application roles ({exc}); the servers "
              "connect with DATABASE_URL as given, which may TRUNCATE history.", flush=True)
        ensure_database(env["DATABASE_URL"])


def main() -> None:
    env = dict(os.environ)
    venue = venue_from(os.environ)
    PORT, HTTP_PORT, WS_PORT = venue.port, venue.port + 1, venue.port + 2
    # Everything a copy writes on disk: embedded servers, beat's schedule, static files, the CA.
    data_dir = ROOT / (os.environ.get("DATA_DIR") or ".data")
    env["DATA_DIR"] = str(data_dir)
    env.setdefault("STATIC_ROOT", str(data_dir / "static"))
    found = discover(allow_embedded=True, data_dir=data_dir, redis_port=PORT + 3)
    env.update({k: v for k, v in found.items() if not k.startswith("_")})
    env.setdefault("DEBUG", "true")
    env.setdefault("ALLOWED_HOSTS", "*")
    # The proxy sets X-Forwarded-For to each client's address: believe it from the proxy only, so
    # the pairing throttle and the admin lockout count each phone (core/client_ip.py).
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1,::1")
    proxy_args = ["--host", venue.listen_host]
    certificate = None
    if venue.public_url:
        env["PUBLIC_URL"] = venue.public_url
    if venue.tls:
        # The proxy overwrites X-Forwarded-Proto on every request (scripts/proxy.py).
        env.setdefault("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO,https")
        cert_file, key_file = os.environ.get("TLS_CERT_FILE"), os.environ.get("TLS_KEY_FILE")
        if bool(cert_file) != bool(key_file):
            sys.exit("Set both TLS_CERT_FILE and TLS_KEY_FILE, or neither (a local CA makes one).")
        if cert_file:
            proxy_args += ["--tls-cert", cert_file, "--tls-key", key_file]
        else:
            from scripts import tls

            certificate = tls.ensure(data_dir / "tls", [venue.public_host])
            proxy_args += ["--tls-cert", str(certificate.cert_path), "--tls-key", str(certificate.key_path),
                           "--ca-cert", str(certificate.ca_path)]
        proxy_args += ["--public-url", venue.public_url]
    env.setdefault("PYTHON", sys.executable)
    # Before bin/ticketcore, make run read HTTP_WORKERS / HTTP_THREADS: still honoured.
    env.setdefault("WEB_WORKERS", os.environ.get("HTTP_WORKERS", "2"))
    env.setdefault("WEB_THREADS", os.environ.get("HTTP_THREADS", "4"))
    py = sys.executable
    ticketcore = str(ROOT / "bin" / "ticketcore")
    database_roles(env)

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
                       "--ws", str(WS_PORT), *proxy_args]),
    ], log=lambda line: print(time.strftime("%H:%M:%S ") + line, flush=True))
    supervisor.start()
    # Ctrl-C (or a TERM) only asks the loop below to end; the roles are stopped after it.
    signal.signal(signal.SIGINT, lambda *_: supervisor.request_stop())
    signal.signal(signal.SIGTERM, lambda *_: supervisor.request_stop())

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not supervisor.stop_requested and not (
            answers("127.0.0.1", PORT) and answers("127.0.0.1", HTTP_PORT)):
        time.sleep(0.2)
    base = venue.base
    # One write: the roles log to the same terminal, and a line of theirs inside the QR code
    # would break it.
    out: list[str] = []
    say = out.append
    say("\n" + "=" * 72)
    say(f"TicketCore is running at {base}/")
    say(f"  Admin:      {base}/admin/   (user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r})")
    say(f"  API docs:   {base}/api/docs/")
    if event_id:
        say(f"  Dashboard:  {base}/dashboard/events/{event_id}/")
        say(f"  Sales desk: {base}/desk/events/{event_id}/")
    say(f"  Box office: {base}/office/")
    say(f"  Scanner:    {base}/scanner/")
    if venue.public_url:
        # Phones open it with their camera app; pairing QR codes (admin) use this address too.
        say(terminal_qr(f"{base}/scanner/"))
        if certificate is not None:
            say(f"  Certificate: local CA {certificate.ca_path} (SHA-256 {certificate.ca_fingerprint()})")
            say(f"  On a phone: accept the certificate warning once, or install the CA from "
                f"{base}/ticketcore-ca.crt (README \"At the venue\")")
        if not venue.tls:
            say("  Plain HTTP: phones' browsers give the camera to HTTPS pages only (PUBLIC_URL=https://...).")
    else:
        say("  Phones on the network: PUBLIC_HOST=auto make run (HTTPS with a local certificate; README)")
    say(f"  Database:   {env['DATABASE_URL']}   Redis: {env['REDIS_URL']}")
    if found.get("_EMBEDDED"):
        say(f"  Embedded:   {found['_EMBEDDED']}")
    mirror = "on (" + (env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID")) + ")" \
        if env.get("FIRESTORE_EMULATOR_HOST") or env.get("FIRESTORE_PROJECT_ID") else \
        "OFF (set FIRESTORE_EMULATOR_HOST or FIRESTORE_PROJECT_ID to mirror to Firestore)"
    say(f"  Firestore mirror: {mirror}")
    say("Ctrl-C stops everything.")
    say("=" * 72 + "\n")
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()

    try:
        supervisor.run()
    finally:
        print("Stopping every role ...", flush=True)
        supervisor.stop()


if __name__ == "__main__":
    main()
