"""A ticket's zone is a zone of the ticket's event: one two-column foreign key, (event_id,
zone_ref_id) -> events_zone (event_id, id), replaces the two one-column keys (event_id ->
events_event, zone_ref_id -> events_zone). docs/adr/0036.

It guarantees everything the two did, and one thing more:
- the zone exists (the pair does), and the event exists: the zone's own key to events_event
  (events/migrations/0001, NO ACTION) keeps a zone from outliving its event, and this key keeps a
  zone with tickets from being deleted or moved to another event;
- new: the zone belongs to the ticket's event (before, a raw INSERT could pair any zone with any
  event).
Same timing as Django's keys (DEFERRABLE INITIALLY DEFERRED, checked at commit), but one check per
ticket instead of two: generation writes 100,000 tickets at once and pays 100,000 fewer checks.
The ORM keeps both fields as foreign keys (joins, PROTECT on delete); only the database constraint
moves. Added before the old keys are dropped, so the table is never unguarded."""
import django.db.models.deletion
from django.db import migrations, models

ADD = """
ALTER TABLE tickets_ticket ADD CONSTRAINT ticket_zone_of_its_event
    FOREIGN KEY (event_id, zone_ref_id) REFERENCES events_zone (event_id, id) DEFERRABLE INITIALLY DEFERRED
"""
DROP = "ALTER TABLE tickets_ticket DROP CONSTRAINT IF EXISTS ticket_zone_of_its_event"


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0008_zone_key_for_tickets"),
        ("tickets", "0011_names_for_people"),
    ]

    operations = [
        migrations.RunSQL(ADD, DROP),
        migrations.AlterField(
            model_name="ticket",
            name="event",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="tickets", to="events.event", verbose_name="event"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="zone_ref",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="tickets", to="events.zone", verbose_name="zone"),
        ),
    ]
