"""A key on (event_id, id) of the zones, for tickets' foreign key `ticket_zone_of_its_event`
(tickets/migrations/0012, docs/adr/0036): a ticket names its zone and its event, and one foreign
key on the pair guarantees both exist and that the zone is one of that event's. `id` alone is
already unique; the pair is a second key PostgreSQL needs as the target of a two-column foreign
key. SQL only: Django's model state does not describe composite foreign keys."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("events", "0007_names_for_people")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE events_zone ADD CONSTRAINT zone_event_and_id_unique UNIQUE (event_id, id)",
            "ALTER TABLE events_zone DROP CONSTRAINT IF EXISTS zone_event_and_id_unique",
        )
    ]
