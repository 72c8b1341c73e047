"""The scan case table (tests/scan_cases.py) against the server's copies of the rules.

Every case runs through every path a scan takes on the server, each in a world of its own:
- `online`: POST /api/v1/scan. Ticket codes take the fast path (`access_scan_by_token`, which
  records forged and other-event codes itself and hands tickets to `access_scan_ticket`);
  credentials take DRF and `access.services.scan` (Python: events/codes.py, `_scan_credential`).
  The database decides at its own clock, so cases at an exact instant do not run here.
- `service`: `access.services.scan` with the case's instant as `effective_at`.
- `sync`: POST /api/v1/scan/sync with the instant as `scanned_at` (batched through
  `access_scan_ticket`, credentials and foreign codes one by one); the only path of a revoked
  device, whose scans are kept as evidence.
Then the Python definition of the doors window (Event.doors_open_at/doors_close_at,
Event.objects.doors_open) is held to the same table: the PL/pgSQL function's copy and it must
agree on every case's instant, to the millisecond at the edges."""
from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from access.models import Scan
from access.vocabulary import FIRST_ENTRY_REASONS
from events.models import Event
from tests.conftest import device_client
from tests.scan_cases import CASES, CREDENTIAL, TICKET, Case, World, _event, build_world, manifest_json, moment_of

pytestmark = pytest.mark.django_db

PATHS = ("online", "service", "sync")


def _runs(case: Case, path: str) -> bool:
    if case.device_revoked:
        return path == "sync"  # a revoked device is refused (401) everywhere else
    return not (path == "online" and case.exact)


def _scan(world: World, path: str, scan_id: uuid.UUID) -> dict:
    from access import services

    case = world.case
    if path == "online":
        answer = device_client(world.token).post(
            "/api/v1/scan", {"code": world.code, "direction": case.direction, "scan_id": str(scan_id)}, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json()
    if path == "service":
        return services.scan(device=world.device, code=world.code, direction=case.direction, scan_id=scan_id,
                             scanned_at=world.moment, effective_at=world.moment).response
    at = world.moment or timezone.now()
    answer = device_client(world.token).post("/api/v1/scan/sync", {"scans": [
        {"code": world.code, "direction": case.direction, "scan_id": str(scan_id), "scanned_at": at.isoformat()}]},
        format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()["results"][0]


@pytest.mark.parametrize("case,path", [pytest.param(case, path, id=f"{path}: {case.name}")
                                       for case in CASES for path in PATHS if _runs(case, path)])
def test_server_gives_the_tables_answer(case: Case, path: str):
    world = build_world(case)
    scan_id = uuid.uuid4()
    response = _scan(world, path, scan_id)

    assert (response["result"], response["reason"]) == case.expect, f"{path}: {case.name}: {response}"
    assert response["scan_id"] == str(scan_id)
    own = not case.device_revoked
    assert ("ticket" in response) == (own and case.code == TICKET), response
    if "ticket" in response:
        assert response["ticket"]["seat_id"] == case.seat
    assert ("credential" in response) == (own and case.code == CREDENTIAL), response
    assert ("first_entry" in response) == ("ticket" in response and response["reason"] in FIRST_ENTRY_REASONS), \
        response

    # Recorded as answered, and a retry of the same scan_id gives the first answer and writes nothing.
    row = Scan.objects.get(device=world.device, scan_id=scan_id)
    assert (row.result, row.reason) == case.expect
    assert row.quarantined == case.device_revoked
    assert _scan(world, path, scan_id) == response
    assert Scan.objects.filter(device=world.device, scan_id=scan_id).count() == 1


_WINDOWS = {}
for _case in CASES:
    _WINDOWS.setdefault((_case.doors, _case.at), _case)


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.doors} at {c.at}") for c in _WINDOWS.values()])
def test_python_doors_window_agrees_with_the_table(case: Case):
    """Every (doors, instant) of the table, against the Python definition: the property form and
    the query form, at the same moment (the database's own clock for "now")."""
    event = _event("Doors", case.doors)
    moment = moment_of(case, event)
    assert event.doors_are_open(moment or timezone.now()) is case.doors_are_open
    in_query = Event.objects.doors_open(moment).filter(pk=event.pk).exists()
    assert in_query is case.doors_are_open
    if moment is not None:
        assert (event.doors_open_at <= moment <= event.doors_close_at) is case.doors_are_open


def test_the_manifest_carries_the_python_doors_window():
    """The phone reads the window from the manifest; it must be Event's definition, to the microsecond."""
    import json

    world = build_world(CASES[0])
    event = json.loads(manifest_json(world))["event"]
    assert event["doors_open_at"] == world.event.doors_open_at.isoformat()
    assert event["doors_close_at"] == world.event.doors_close_at.isoformat()
