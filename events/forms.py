"""Admin forms shared by the apps whose models belong to one event: zones and gates picked by
name with checkboxes, and seats typed as ranges ("B-1..B-40")."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _

from events.models import Checkpoint, Event, Zone

MAX_SEATS_AT_ONCE = 5000  # as offices.services.MAX_TICKETS_PER_CALL: one batch, one transaction


def zone_choices(event_id: str | None) -> list[tuple[str, str]]:
    """The event's zones as (zone_id, "Ringside (A)"), in the event's order."""
    if not event_id:
        return []
    return [(z, f"{name} ({z})") for z, name in Zone.objects.filter(event_id=event_id).values_list("zone_id", "name")]


def checkpoint_choices(event_id: str | None) -> list[tuple[str, str]]:
    if not event_id:
        return []
    return list(Checkpoint.objects.filter(event_id=event_id).values_list("checkpoint_id", "name"))


def event_time_zone_name(event_id: str | None) -> str | None:
    """The event's IANA time zone (its clock for times typed and shown), None if unknown."""
    if not event_id:
        return None
    return Event.objects.filter(pk=event_id).values_list("timezone", flat=True).first()


class CheckboxesField(forms.MultipleChoiceField):
    """Ticked names stored as a list of ids (the models' ArrayFields). An empty value (a form
    that posts `zones=""`) means nothing ticked."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, unknown: str, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(error_messages={"invalid_choice": unknown}, **kwargs)

    def to_python(self, value):
        return [v for v in super().to_python(value) if v]


class EventScopedForm(forms.ModelForm):
    """A model of one event (gate, credential) whose zones and gates are ticked by name from the
    event's own: a subclass declares `zones = CheckboxesField(...)` and/or `checkpoints`. The
    event is the instance's, else the one chosen in the posted form, else the one in the add
    page's address (`?event=<id>`, as the event page links). Until an event is known there is
    nothing to tick; the services check every id again."""

    scoped_choices = {"zones": zone_choices, "checkpoints": checkpoint_choices}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event_id = self.event_id()
        for name, choices in self.scoped_choices.items():
            field = self.fields.get(name)
            if isinstance(field, CheckboxesField):
                field.choices = choices(event_id)
                if not event_id:
                    field.help_text = _("Choose the event first: its names appear here.") + " " + field.help_text

    def event_id(self) -> str | None:
        if getattr(self.instance, "event_id", None):
            return self.instance.event_id
        prefix = self.add_prefix("event")
        if self.is_bound and self.data.get(prefix):
            return self.data.get(prefix)
        initial = self.initial.get("event")
        return getattr(initial, "pk", initial) or None

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("Must be after valid_from."))
        return data


# --------------------------------------------------------------------------- seat ranges

_ITEM = re.compile(r"^(?P<zone>[A-Za-z0-9_]{1,16})(?:-(?P<first>\d{1,7})(?:\.\.(?:(?P<zone2>[A-Za-z0-9_]{1,16})-)?"
                   r"(?P<last>\d{1,7}))?)?$")


def parse_seats(text: str, zones: dict[str, int]) -> list[str]:
    """Seat ids from what a person types: `B-1..B-40`, `B-1..40`, `A-3`, `A` (a whole zone),
    several separated by commas, spaces or new lines, in the order typed, each once. `zones` maps
    each zone code of the event to its number of seats. Raises forms.ValidationError naming
    every part that is not a seat of the event."""
    normalised = re.sub(r"\s*(\.\.\.?|…|–|—)\s*", "..", text or "")
    parts = [p for p in re.split(r"[,;\s]+", normalised) if p]
    by_lower = {z.lower(): z for z in zones}
    seats: dict[str, None] = {}
    problems: list[str] = []
    for part in parts:
        m = _ITEM.match(part)
        zone = m and (m["zone"] if m["zone"] in zones else by_lower.get(m["zone"].lower()))
        if not m:
            problems.append(_("“%(part)s” is not a seat or a range (write B-7, B-1..B-40 or a zone code).")
                            % {"part": part})
            continue
        if zone is None:
            problems.append(_("“%(part)s”: this event has no zone %(zone)s.") % {"part": part, "zone": m["zone"]})
            continue
        if m["zone2"] and by_lower.get(m["zone2"].lower()) != zone:
            problems.append(_("“%(part)s”: a range stays within one zone.") % {"part": part})
            continue
        first = int(m["first"]) if m["first"] else 1
        last = int(m["last"]) if m["last"] else (first if m["first"] else zones[zone])
        if last < first:
            problems.append(_("“%(part)s”: the range runs backwards.") % {"part": part})
        elif first < 1 or last > zones[zone]:
            problems.append(_("“%(part)s”: zone %(zone)s has seats %(zone)s-1 to %(zone)s-%(seats)d.")
                            % {"part": part, "zone": zone, "seats": zones[zone]})
        elif len(seats) + last - first + 1 > MAX_SEATS_AT_ONCE:
            problems.append(_("At most %(count)d seats at once.") % {"count": MAX_SEATS_AT_ONCE})
            break
        else:
            seats.update(dict.fromkeys(f"{zone}-{n}" for n in range(first, last + 1)))
    if problems:
        raise forms.ValidationError(problems)
    if not seats:
        raise forms.ValidationError(_("Type the seats, for example B-1..B-40 or A-3, A-7."))
    return list(seats)


def compress_seats(seat_ids: list[str]) -> str:
    """`A-1..A-5, B-3`: seat ids written back as the ranges people type (for showing a selection)."""
    parsed = sorted({(s.rsplit("-", 1)[0], int(s.rsplit("-", 1)[1])) for s in seat_ids})
    runs: list[list] = []
    for zone, n in parsed:
        if runs and runs[-1][0] == zone and runs[-1][2] == n - 1:
            runs[-1][2] = n
        else:
            runs.append([zone, n, n])
    return ", ".join(f"{z}-{a}" if a == b else f"{z}-{a}..{z}-{b}" for z, a, b in runs)


class SeatsField(forms.CharField):
    """Seats of one event typed as ranges; cleaned to a list of seat ids. The form sets `zones`
    ({zone code: seats}) before validating."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 60, "placeholder": "B-1..B-40, A-3, A-7"})

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Seats or ranges, separated by commas: B-1..B-40, A-3, A-7. "
                                       "A zone code alone (A) means all its seats.")
        super().__init__(**kwargs)
        self.zones: dict[str, int] = {}

    def clean(self, value):
        return parse_seats(super().clean(value), self.zones)


def event_seat_counts(event_id: str) -> dict[str, int]:
    return dict(Zone.objects.filter(event_id=event_id).values_list("zone_id", "seats"))
