"""Upward notifications from the events app (docs/adr/0023): a lower app never imports a higher one.

`zone_changed` is sent by `events.services.update_zone` inside its transaction, after the zone
row is saved, with `zone` (the saved Zone) and `changes` ({field: [before, after]}). The tickets
app keeps its copies of the zone's name and colour in step (tickets/receivers.py); a receiver
returns how many rows it rewrote. Receivers run in the sender's transaction: if one fails, the
zone change is rolled back with it."""
from django.dispatch import Signal

zone_changed = Signal()
