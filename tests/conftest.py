import os
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import create_staff_token
from events import services as event_services
from tickets.services import generate_tickets

IN_CI = os.environ.get("CI") == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: every service the suite needs is there."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI (not allowed): {report.longrepr}"


# --------------------------------------------------------------------------- parallel workers
# `make test` runs the suite in several pytest-xdist workers with `--dist loadfile`
# (docs/testing.md, "Parallel workers"): a module's tests stay together on one worker, so its
# module-scoped servers and browsers start once, and what only one test at a time may use lives in
# one module (the cluster and its drills, tests/cluster/test_failover_drills.py; the Firestore
# emulator, tests/mirror/test_mirror.py) or has its own resource per module (Celery brokers in
# Redis databases 13 and 14). Each worker has its own test database (pytest-django's _gwN suffix)
# and its own Redis key space (ticketcore/settings.py). (Not `--dist loadgroup`: with pytest 9
# its xdist_group marks are silently ignored, since xdist renames node ids through an attribute
# pytest no longer reads.)
FIRST = ("tests/cluster/",)  # handed out first: the longest module, it overlaps the rest


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """After every other plugin has ordered the items, moves the FIRST modules to the front (with
    `--no-loadscope-reorder` xdist hands modules out in this order)."""
    result = yield
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))  # stable: the rest keep their order
    return result


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A test that activates a language (translation.activate) must not leave it to the next test
    on the same worker: each test starts with the settings' language."""
    yield
    from django.utils import translation

    translation.deactivate()


# --------------------------------------------------------------------------- database roles

@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as production has it: the application role exists with the rights that
    `migrate` grants it (ticketcore/dbroles.py), so server processes started by the tests
    (tests/servers.py) run with DML rights only (docs/adr/0019). At the end, the database is
    dropped even if a thread of some test still holds a connection to it."""
    import psycopg

    from scripts.services import APP_ROLE, _ensure_role
    from ticketcore.dbroles import grant_app_role

    db = connection.settings_dict
    admin = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        # Only when missing: parallel test runs share the cluster's roles, and two ALTER ROLE of
        # one role at once can fail ("tuple concurrently updated").
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone() is None:
            _ensure_role(conn, APP_ROLE, None)
    with django_db_blocker.unblock():
        assert grant_app_role(connection, APP_ROLE)
    yield
    # Threads of earlier tests (asgiref's executors, servers run in threads) keep their own
    # connections to the test database until the process exits, and PostgreSQL refuses to drop a
    # database in use: pytest-django then only warns and leaves the database behind. Every test
    # is done here; end those sessions (not this thread's own, which Django closes itself).
    own = connection.connection.info.backend_pid if connection.connection is not None else 0
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                     [connection.settings_dict["NAME"], own])


@pytest.fixture(scope="session", autouse=True)
def flush_past_history_guards():
    """transactional_db resets the database with TRUNCATE, which the history tables refuse
    (tickets 0008, access 0007). The test run's flush alone runs with triggers off; only a
    superuser can set session_replication_role, so the application role can never do the same."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


ZONES = [
    event_services.ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=5, reentry=False),
    event_services.ZoneSpec(zone_id="B", name="General", color="#27AE60", seats=10, reentry=True),
]


def make_event(*, zones=ZONES, active=True, starts_in=timedelta(hours=2), name="Fight Night"):
    now = timezone.now()
    event = event_services.create_event(
        name=name, venue="Arena", date_start=now + starts_in, date_end=now + starts_in + timedelta(hours=4)
    )
    event_services.setup_zones(event_id=event.event_id, status=active, zones=list(zones))
    return event


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def api(staff_user):
    client = APIClient()
    token = create_staff_token(user=staff_user).token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def event(db):
    return make_event()


@pytest.fixture
def generated_event(event):
    generate_tickets(event_id=event.event_id)
    return event


def start_thread(fn) -> tuple[threading.Thread, dict]:
    """Start fn() in a thread of its own, with its own database connection (closed when it ends).
    The dict returned gets "result" when it ends: fn's return value, or the exception it raised."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = fn()
        except BaseException as exc:  # collected and asserted by the caller
            outcome["result"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def run_concurrently(fn, args_list, *, timeout=60):
    """Run fn(*args) in one thread per args, released at once by a barrier; each thread uses its
    own database connection. Returns results (or exceptions) in order."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def worker(i, args):
        try:
            barrier.wait(timeout=timeout)
            results[i] = fn(*args)
        except BaseException as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return results


# --------------------------------------------------------------------------- devices & scanning

def make_device(event, *, checkpoint=None, role="steward", name="Door phone", zones=None, directions="both"):
    """Create a checkpoint (if needed) and a paired device; returns (device, token)."""
    from events.services import create_checkpoint
    from devices.models import Device
    from devices.services import create_device, pair_device

    if checkpoint is None and role != "office":
        checkpoint = create_checkpoint(event_id=event.event_id, name=f"Gate {name}", zones=zones, directions=directions)
    created = create_device(event_id=event.event_id, name=name, role=role,
                            checkpoint_id=checkpoint.checkpoint_id if checkpoint else None)
    paired = pair_device(pairing_code=created.pairing_code)
    return Device.objects.select_related("checkpoint").get(pk=paired.device.pk), paired.token


def device_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def sell(event, *seat_ids):
    from tickets.models import Ticket
    from tickets.services import sell_tickets

    ids = list(Ticket.objects.filter(event=event, seat_id__in=seat_ids).values_list("ticket_id", flat=True))
    sell_tickets(event_id=event.event_id, ticket_ids=ids, channel="test")
    return ids


def code_for(event, seat_id):
    from events.codes import ticket_code
    from tickets.models import Ticket

    return ticket_code(Ticket.objects.get(event=event, seat_id=seat_id))


@pytest.fixture
def scanner(generated_event):
    device, token = make_device(generated_event)
    return device, device_client(token)


@pytest.fixture
def app_server(transactional_db):
    """The production HTTP shape: granian (multi-worker WSGI) serving this test database.
    A real second server process, so revocation, races and throughput are tested across processes."""
    import sys
    from pathlib import Path

    from tests.servers import server_process

    granian = str(Path(sys.executable).parent / "granian")
    with server_process(lambda port: [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                                      "--workers", "2", "--blocking-threads", "8", "--backlog", "1024",
                                      "ticketcore.wsgi:application"], name="granian") as url:
        yield url
