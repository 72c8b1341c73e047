"""Admin forms shared by the apps whose models belong to one event."""
from django import forms

from events.models import Checkpoint, Zone


class EventScopedForm(forms.ModelForm):
    """Friendly admin validation of zones/checkpoints against the event (the services check again)."""

    def clean(self):
        data = super().clean()
        event_id = data["event"].pk if data.get("event") else getattr(self.instance, "event_id", None)
        if event_id:
            known_zones = set(Zone.objects.filter(event_id=event_id).values_list("zone_id", flat=True))
            bad = sorted(set(data.get("zones") or []) - known_zones)
            if bad:
                self.add_error("zones", f"Unknown zone(s) in this event: {', '.join(bad)}.")
            if "checkpoints" in self.fields:
                known_cps = set(Checkpoint.objects.filter(event_id=event_id).values_list("checkpoint_id", flat=True))
                bad = sorted(set(data.get("checkpoints") or []) - known_cps)
                if bad:
                    self.add_error("checkpoints", f"Unknown checkpoint(s) in this event: {', '.join(bad)}.")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", "Must be after valid_from.")
        return data
