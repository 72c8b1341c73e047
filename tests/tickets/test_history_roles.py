"""Append-only history survives the application's own connection (docs/adr/0019).

The application connects as `ticketcore_app` (DML rights only, granted after migrate by
ticketcore/dbroles.py); the tables belong to the migrating role. Each test tries to destroy
history with raw SQL over a real connection as that role, or as the owner."""
import json
import uuid
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection
from psycopg import errors

from scripts.services import APP_ROLE, OWNER_ROLE, ensure_roles
from tests.conftest import code_for, make_device, make_event, sell

HISTORY = ["tickets_ledgerentry", "access_scan"]


def _url(user: str, dbname: str | None = None) -> str:
    db = connection.settings_dict
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname or db['NAME']}"


@pytest.fixture
def history(transactional_db):
    """Committed history (a generated ledger and an accepted scan) the app role can see."""
    from access.services import scan

    event = make_event()
    from tickets.services import generate_tickets

    generate_tickets(event_id=event.event_id)
    device, _ = make_device(event)
    sell(event, "A-1")
    result = scan(device=device, code=code_for(event, "A-1"), direction="in", scan_id=uuid.uuid4())
    assert result.accepted, result.response
    return event


@pytest.fixture
def app_conn(history):
    with psycopg.connect(_url(APP_ROLE), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '5s'")  # a refusal must never turn into a wait
        yield conn


def counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for table in HISTORY:
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
    return out


def test_app_role_is_not_the_owner_and_has_no_special_attributes(app_conn):
    row = app_conn.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user").fetchone()
    assert row == (False, False, False, False, False)
    owners = app_conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE tablename = ANY(%s)",
                              [HISTORY]).fetchall()
    assert owners and APP_ROLE not in {o for (o,) in owners}


DESTROY = [
    "TRUNCATE {t}",
    "TRUNCATE tickets_ticket, {t} CASCADE",
    "DELETE FROM {t}",
    "UPDATE {t} SET id = id",
    "ALTER TABLE {t} DISABLE TRIGGER ALL",
    "ALTER TABLE {t} DISABLE TRIGGER USER",
    "DROP TABLE {t} CASCADE",
    "ALTER TABLE {t} RENAME TO {t}_old",
]


@pytest.mark.parametrize("table", HISTORY)
def test_app_role_cannot_destroy_history(app_conn, table):
    before = counts()
    assert all(before.values())
    # It reads the history (a refusal below is not a role that can do nothing at all) ...
    assert app_conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == before[table]
    for statement in DESTROY:  # ... but every way of destroying it is refused
        with pytest.raises(errors.InsufficientPrivilege):
            app_conn.execute(statement.format(t=table))
    assert counts() == before


def test_app_role_cannot_drop_or_disable_a_history_trigger(app_conn):
    for trigger, table in [("ledger_append_only", "tickets_ledgerentry"), ("ledger_refuse_truncate", "tickets_ledgerentry"),
                           ("scan_append_only", "access_scan"), ("scan_refuse_truncate", "access_scan")]:
        with pytest.raises(errors.InsufficientPrivilege):
            app_conn.execute(f"DROP TRIGGER {trigger} ON {table}")
        with pytest.raises(errors.InsufficientPrivilege):
            app_conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        assert app_conn.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s", [trigger]).fetchone() == ("O",)


def test_app_role_cannot_switch_triggers_off_or_create_objects(app_conn):
    # How the test runner's own flush gets past the TRUNCATE triggers (tests/conftest.py).
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("SET session_replication_role = replica")
    with pytest.raises(errors.InsufficientPrivilege):
        app_conn.execute("CREATE TABLE evil (id int)")


def test_owner_truncate_is_refused_by_the_trigger(history):
    """The owner (here the superuser the tests migrate with) must drop a trigger first."""
    before = counts()
    with psycopg.connect(_url(connection.settings_dict["USER"]), autocommit=True) as owner:
        for statement, message in [
            ("TRUNCATE tickets_ledgerentry", "ledger_append_only: TRUNCATE"),
            ("TRUNCATE access_scan", "scan_append_only: TRUNCATE"),
            # The tickets refuse it themselves (ticket_refuse_truncate) before the history they take along.
            ("TRUNCATE tickets_ticket CASCADE", "ticket_kept: TRUNCATE"),
            ("TRUNCATE events_event CASCADE", "(append_only|ticket_kept|ticket_zone_of_its_event): TRUNCATE"),
        ]:
            with pytest.raises(errors.CheckViolation, match=message):
                owner.execute(statement)
    assert counts() == before


def test_app_role_generates_sells_and_scans_over_http(app_server, staff_user):
    """The whole server suite runs as the app role (tests/servers.py); this is the explicit case:
    generation (ledger rows, outbox) and an accepted scan through a granian process."""
    from accounts.services import create_staff_token

    event = make_event()
    token = create_staff_token(user=staff_user).token

    def call(path, body, auth):
        req = urllib.request.Request(f"{app_server}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    assert call(f"/api/v1/events/{event.event_id}/tickets/generate", {}, f"Token {token}")[0] == 201
    _, device_token = make_device(event)
    sell(event, "B-2")
    status, body = call("/api/v1/scan", {"code": code_for(event, "B-2"), "direction": "in",
                                         "scan_id": str(uuid.uuid4())}, f"Device {device_token}")
    assert (status, body["result"]) == (200, "accepted"), body
    with psycopg.connect(_url(APP_ROLE)) as conn:  # and the role really is what the server used
        assert conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND datname = %s",
                            [APP_ROLE, connection.settings_dict["NAME"]]).fetchone()[0] >= 2


@pytest.mark.django_db
def test_migrate_grants_the_configured_app_role(settings):
    """post_migrate grants DATABASE_APP_ROLE its rights (idempotently); a fresh role proves it."""
    from django.core.management.sql import emit_post_migrate_signal

    role = f"tc_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cur:  # rolled back with the test's transaction, role included
        cur.execute(f'CREATE ROLE "{role}" LOGIN')

        def can(table, privilege):
            cur.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
            return cur.fetchone()[0]

        assert not can("tickets_ticket", "UPDATE")
        settings.DATABASE_APP_ROLE = role
        for _ in range(2):
            emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert can("tickets_ticket", "SELECT,INSERT,UPDATE,DELETE")
        assert can("devices_device", "UPDATE") and can("ticketcore_outbox", "DELETE")
        for table in HISTORY:
            assert can(table, "SELECT") and can(table, "INSERT")
            assert not any(can(table, p) for p in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"))
        assert not can("tickets_ticket", "TRUNCATE")
        cur.execute("SELECT has_sequence_privilege(%s, 'tickets_ledgerentry_id_seq', 'USAGE')", [role])
        assert cur.fetchone()[0]


def test_ensure_roles_creates_owner_app_role_and_database(db):
    """scripts/services.py ensure_roles: idempotent, and an existing database migrated by the
    superuser is handed to the owner."""
    name = f"{connection.settings_dict['NAME']}_roles"
    admin = _url(connection.settings_dict["USER"], "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_url(connection.settings_dict["USER"], name), autocommit=True) as conn:
            conn.execute("CREATE TABLE legacy (id serial PRIMARY KEY)")
            conn.execute("CREATE FUNCTION legacy_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        first = ensure_roles(admin, name)
        assert ensure_roles(admin, name) == first
        assert first["DATABASE_APP_ROLE"] == APP_ROLE
        assert first["DATABASE_URL"].startswith(f"postgres://{APP_ROLE}@") and first["DATABASE_URL"].endswith(f"/{name}")
        assert first["MIGRATE_DATABASE_URL"].startswith(f"postgres://{OWNER_ROLE}@")
        with psycopg.connect(first["MIGRATE_DATABASE_URL"], autocommit=True) as conn:
            assert conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                [name]).fetchone() == (OWNER_ROLE,)
            assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'legacy'").fetchone() == (OWNER_ROLE,)
            conn.execute("ALTER TABLE legacy ADD COLUMN note text")  # the owner can migrate it
            conn.execute("CREATE TABLE later (id int)")  # and create tables (public schema, PG 15)
            for role in (OWNER_ROLE, APP_ROLE):
                assert conn.execute(
                    "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s",
                    [role]).fetchone() == (False, False, False, True)
        with psycopg.connect(first["DATABASE_URL"], autocommit=True) as conn:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("CREATE TABLE evil (id int)")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
