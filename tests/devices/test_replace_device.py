"""A lost phone replaced in one step (devices.services.replace_device): the old device is revoked
and a new one made for the same event, gate and role with a fresh pairing code, in one
transaction; the new phone pairs and scans at that gate, the old token is refused."""
from __future__ import annotations

import uuid

import pytest
from django.db import connection

from access import services as access_services
from core.errors import InvalidInput, NotFound
from devices import services
from devices.models import Device
from offices import services as office_services
from tests.conftest import code_for, device_client, make_device, run_concurrently, sell
from tests.events.test_api import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


def test_replace_revokes_the_old_phone_and_pairs_a_new_one_for_the_same_gate(generated_event):
    old, old_token = make_device(generated_event, name="North 1", role="supervisor")
    sell(generated_event, "A-1")

    replaced = services.replace_device(device_id=old.device_id)

    old.refresh_from_db()
    new = Device.objects.get(pk=replaced.new.pk)
    assert old.revoked_at is not None and replaced.old.pk == old.pk
    assert (new.event_id, new.checkpoint_id, new.role) == (old.event_id, old.checkpoint_id, "supervisor")
    assert new.name == "North 1 (2)" and new.revoked_at is None and new.paired_at is None
    assert new.pairing_code == replaced.pairing_code and new.pairing_expires_at == replaced.pairing_expires_at
    assert_error(device_client(old_token).get("/api/v1/devices/me"), 401, "device_revoked")

    paired = services.pair_device(pairing_code=replaced.pairing_code)
    assert paired.device.pk == new.pk
    device = Device.objects.select_related("checkpoint").get(pk=new.pk)
    answer = access_services.scan(device=device, code=code_for(generated_event, "A-1"), direction="in",
                                  scan_id=uuid.uuid4())
    assert answer.accepted
    with pytest.raises(services.PairingInvalid):  # the code works once
        services.pair_device(pairing_code=replaced.pairing_code)


def test_replacing_again_numbers_the_next_phone_and_a_revoked_phone_can_be_replaced(generated_event):
    old, _ = make_device(generated_event, name="North 1")
    services.revoke_device(device_id=old.device_id)  # revoked from the dashboard in a hurry first
    second = services.replace_device(device_id=old.device_id).new
    third = services.replace_device(device_id=second.device_id).new
    assert (second.name, third.name) == ("North 1 (2)", "North 1 (3)")
    assert Device.objects.get(pk=second.pk).revoked_at is not None
    assert services.replacement_name("x" * 100) == "x" * 96 + " (2)"
    named = services.replace_device(device_id=third.device_id, name="  Spare phone  ").new
    assert named.name == "Spare phone"


def test_replace_is_all_or_nothing(generated_event):
    """A failure after the revoke (here: a trigger that refuses the new device's INSERT, installed
    for this test) leaves the old phone working: there is never a gate with neither."""
    old, token = make_device(generated_event, name="North 1")
    before = Device.objects.count()
    with connection.cursor() as cur:
        cur.execute("""CREATE FUNCTION test_refuse_device() RETURNS trigger LANGUAGE plpgsql AS
                       $$ BEGIN RAISE EXCEPTION 'no new devices today'; END $$;
                       CREATE TRIGGER test_refuse_device BEFORE INSERT ON devices_device
                       FOR EACH ROW EXECUTE FUNCTION test_refuse_device();""")
    try:
        with pytest.raises(Exception, match="no new devices today"):
            services.replace_device(device_id=old.device_id)
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER test_refuse_device ON devices_device; DROP FUNCTION test_refuse_device();")
    old.refresh_from_db()
    assert old.revoked_at is None and Device.objects.count() == before
    assert device_client(token).get("/api/v1/devices/me").status_code == 200


def test_two_replacements_at_once_revoke_the_old_phone_once(generated_event):
    """The old row is locked first: concurrent replacements queue behind each other; the phone is
    revoked once (its revoked_at does not move) and each call makes its own new device."""
    old, _ = make_device(generated_event, name="North 1")
    results = run_concurrently(lambda: services.replace_device(device_id=old.device_id), [()] * 4)
    assert not [r for r in results if isinstance(r, BaseException)], results
    stamps = {r.old.revoked_at for r in results}
    assert stamps == {Device.objects.get(pk=old.pk).revoked_at}
    assert len({r.new.pk for r in results}) == 4


def test_unknown_and_office_devices_are_refused(generated_event):
    with pytest.raises(NotFound):
        services.replace_device(device_id="dvnosuchdevice0")
    office = office_services.create_office(event_id=generated_event.event_id, name="Kiosk").office
    with pytest.raises(InvalidInput, match="box-office"):
        services.replace_device(device_id=office.device_id)
    assert Device.objects.get(pk=office.device_id).revoked_at is None
    old, _ = make_device(generated_event, name="North 1")
    with pytest.raises(InvalidInput):
        services.replace_device(device_id=old.device_id, name="n" * 101)
    old.refresh_from_db()
    assert old.revoked_at is None
