"""What the drain last wrote to each Firestore document (docs/adr/0034): the target, the
mirror_version and Firestore's update_time (nanoseconds since the epoch) of that write.

With it the drain guards an update by `last_update_time` without reading the document from
Firestore first. It is a cache of Firestore's state, never a source of truth: a row that is
stale (a zombie's late write, a restarted emulator, a write from elsewhere) makes the guarded
write fail its precondition, and the drain falls back to reading Firestore. Internal to the
drain (raw SQL only), so no Django model."""
from django.db import migrations

FORWARD = """
CREATE TABLE ticketcore_mirror_doc (
    path varchar(200) PRIMARY KEY,
    target varchar(300) NOT NULL,
    mirror_version bigint NOT NULL,
    update_ns bigint NOT NULL CHECK (update_ns > 0)
);
"""
BACKWARD = "DROP TABLE ticketcore_mirror_doc;"


class Migration(migrations.Migration):

    dependencies = [
        ('mirror', '0006_names_for_people'),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
