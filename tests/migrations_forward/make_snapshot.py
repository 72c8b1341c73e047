"""Fill a database migrated at the pre-redesign main with one of everything (run at f96c139)."""
import uuid
from datetime import timedelta
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
django.setup()
from django.utils import timezone
from events import services as ev
from tickets.services import generate_tickets, sell_tickets
from tickets.models import Ticket
from tickets import holds
from access import services as acc
from access.alerts import raise_alert
from access.offline import sync_scans
from devices import services as dev
from offices import services as off
from devices.models import Device

now = timezone.now()
e = ev.create_event(name="Snapshot night", venue="Arena", date_start=now + timedelta(hours=1),
                    date_end=now + timedelta(hours=5), doors_open_minutes=720, doors_close_minutes=360)
ev.setup_zones(event_id=e.event_id, status=True, zones=[
    ev.ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=10, reentry=False),
    ev.ZoneSpec(zone_id="B", name="General", color="#27AE60", seats=20, reentry=True)])
generate_tickets(event_id=e.event_id)
ids = list(Ticket.objects.filter(event=e).order_by("ticket_id").values_list("ticket_id", flat=True))
sell_tickets(event_id=e.event_id, ticket_ids=ids[:12], channel="snapshot")
cp = acc.create_checkpoint(event_id=e.event_id, name="Gate 1", zones=["A", "B"], directions="both")
acc.create_credential(event_id=e.event_id, name="Crew Ana", kind="staff", zones=["A"])
pc = dev.create_device(event_id=e.event_id, name="Phone 1", checkpoint_id=cp.checkpoint_id)
pairing = dev.pair_device(pairing_code=pc.pairing_code)
device = Device.objects.get(name="Phone 1")
t0 = Ticket.objects.get(ticket_id=ids[0]); t1 = Ticket.objects.get(ticket_id=ids[1])
from tickets import codes
r1 = acc.scan(device=device, code=codes.ticket_code(t0) if hasattr(codes, "ticket_code") else t0.code, direction="in", scan_id=uuid.uuid4())
r2 = acc.scan(device=device, code=codes.ticket_code(t0) if hasattr(codes, "ticket_code") else t0.code, direction="in", scan_id=uuid.uuid4())
raise_alert(event_id=e.event_id, kind="offline_conflict", message="snapshot alert", data={"x": 1}, dedupe_key="snap")
o = off.create_office(event_id=e.event_id, name="Box 1")
off.assign_tickets(office_id=o.office.office_id, ticket_ids=ids[20:25])
h = holds.take_hold(event_id=e.event_id, ticket_ids=ids[25:27], hold_seconds=600) if True else None
print("event", e.event_id, r1, r2, h)
