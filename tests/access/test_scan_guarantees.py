"""The database backstops behind the scan's row lock, each broken on purpose with raw SQL."""
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from access.models import Scan
from tests.conftest import code_for, sell

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


def insert_scan(device, ticket, direction="in", first_entry=False, result="accepted"):
    sql("""INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, ticket_id, direction, result, code,
                                    first_entry, mode, quarantined, late, server_time, response)
           VALUES (%s, %s, %s, %s, %s, %s, %s, '', %s, 'online', false, false, now(), '{}')""",
        [uuid.uuid4(), device.device_id, device.event_id, device.checkpoint_id, ticket.pk, direction, result,
         first_entry])


@pytest.fixture
def scanned(scanner, generated_event):
    from tickets.models import Ticket

    device, client = scanner
    sell(generated_event, "B-1")
    r = client.post("/api/v1/scan", {"code": code_for(generated_event, "B-1"), "direction": "in",
                                     "scan_id": str(uuid.uuid4())}, format="json")
    assert r.json()["result"] == "accepted"
    return device, Ticket.objects.get(event=generated_event, seat_id="B-1")


def test_at_most_one_first_entry_per_ticket(scanned):
    device, ticket = scanned
    insert_scan(device, ticket, "out")  # a legal alternation, so only the unique index can refuse
    with pytest.raises(IntegrityError, match="one_first_entry_per_ticket"):
        insert_scan(device, ticket, "in", first_entry=True)


def test_accepted_scans_must_alternate(scanned):
    device, ticket = scanned
    with pytest.raises(IntegrityError, match="double_admission"):
        insert_scan(device, ticket, "in")
    insert_scan(device, ticket, "out")
    with pytest.raises(IntegrityError, match="double_admission"):
        insert_scan(device, ticket, "out")
    insert_scan(device, ticket, "in", result="rejected")  # rejections are always recordable


def test_scan_id_unique_per_device(scanned):
    device, ticket = scanned
    scan_id = Scan.objects.filter(device=device).first().scan_id
    with pytest.raises(IntegrityError, match="scan_id_unique_per_device"):
        sql("""INSERT INTO access_scan (scan_id, device_id, event_id, direction, result, code, first_entry, mode,
                                        quarantined, late, server_time, response)
               VALUES (%s, %s, %s, 'in', 'rejected', '', false, 'online', false, false, now(), '{}')""",
            [scan_id, device.device_id, device.event_id])


def test_scan_records_are_append_only(scanned):
    device, _ = scanned
    with pytest.raises(IntegrityError, match="scan_append_only"):
        sql("UPDATE access_scan SET result = 'rejected' WHERE device_id = %s", [device.device_id])
    with pytest.raises(IntegrityError, match="scan_append_only"):
        sql("DELETE FROM access_scan WHERE device_id = %s", [device.device_id])


def test_first_entry_flag_only_on_accepted_in(scanned):
    device, ticket = scanned
    with pytest.raises(IntegrityError, match="scan_first_entry_is_accepted_in"):
        insert_scan(device, ticket, "out", first_entry=True, result="rejected")
