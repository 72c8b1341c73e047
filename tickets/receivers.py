"""The tickets app's answers to lower apps' signals (connected in TicketsConfig.ready()).

Tickets copy their zone's display name and colour (the TMT ticket anatomy: `zone`, `color`,
mirrored to Firestore), so a zone renamed or recoloured after generation rewrites the copies, in
the transaction of `events.services.update_zone`."""
from django.db import connection
from django.dispatch import receiver

from events.signals import zone_changed

# Tickets are locked in id order, like every other multi-ticket writer (holds, sales, office
# assignment), so a rename and a hold of several seats of the zone cannot deadlock each other.
_COPY_ZONE_TO_TICKETS_SQL = """
UPDATE tickets_ticket t SET zone = %(name)s, color = %(color)s, updated_at = clock_timestamp()
FROM (SELECT id FROM tickets_ticket WHERE zone_ref_id = %(zone_pk)s ORDER BY id FOR NO KEY UPDATE) locked
WHERE t.id = locked.id
"""


@receiver(zone_changed, dispatch_uid="tickets.copy_zone_name_and_colour")
def copy_zone_name_and_colour(sender, *, zone, changes, **kwargs) -> int:
    if not {"name", "color"} & set(changes):
        return 0
    with connection.cursor() as cur:
        cur.execute(_COPY_ZONE_TO_TICKETS_SQL, {"name": zone.name, "color": zone.color, "zone_pk": zone.pk})
        return cur.rowcount
