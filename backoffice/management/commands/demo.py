"""Load a demo event: 3 coloured zones, about 2,000 seats, tickets generated, some sold."""
import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from events import services
from events.models import Event
from tickets.models import Ticket
from tickets.services import generate_tickets, sell_tickets

DEMO_NAME = "Noche de Campeones (demo)"
ZONES = [
    services.ZoneSpec(zone_id="A", name="Ringside", color="#C0392B", seats=200, reentry=False),
    services.ZoneSpec(zone_id="B", name="Preferente", color="#2980B9", seats=800, reentry=True),
    services.ZoneSpec(zone_id="C", name="General", color="#27AE60", seats=1000, reentry=True),
]


class Command(BaseCommand):
    help = "Create the demo event (idempotent): zones, tickets, about 60% sold."

    def add_arguments(self, parser):
        parser.add_argument("--sold", type=float, default=0.6, help="fraction of seats to sell")

    def handle(self, *args, sold: float, **options):
        event = Event.objects.filter(name=DEMO_NAME).first()
        if event is None:
            now = timezone.now()
            # Doors open now: the event starts in two hours, so scanning works straight away.
            event = services.create_event(
                name=DEMO_NAME, venue="Arena Polatidis", date_start=now + timedelta(hours=2),
                date_end=now + timedelta(hours=7), doors_open_minutes=720, doors_close_minutes=360,
            )
            services.setup_zones(event_id=event.event_id, status=True, zones=ZONES)
        if event.generated_at is None:
            result = generate_tickets(event_id=event.event_id)
            ids = list(Ticket.objects.filter(event=event).values_list("ticket_id", flat=True))
            rng = random.Random(7)
            to_sell = rng.sample(ids, int(len(ids) * sold))
            for i in range(0, len(to_sell), 500):
                sell_tickets(event_id=event.event_id, ticket_ids=to_sell[i : i + 500], channel="demo")
            self.stdout.write(f"Demo event {event.event_id}: {result.generated} tickets, {len(to_sell)} sold.")
        else:
            self.stdout.write(f"Demo event {event.event_id} already loaded.")
        self.stdout.write(f"DEMO_EVENT_ID={event.event_id}")
