"""The sales desk's pages (staff session): the event list and one event's desk.

The desk page carries only what the script needs to start (ids, the event's clock and currency,
where the API and the live feed are); the seats, zones, prices and sales figures come from the
public API and the live feed, as they would for an organiser's web shop (docs/adr/0032)."""
from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.localtime import format_local, local
from events.models import Event
from tickets.holds import HOLD_SECONDS_DEFAULT


def when(event: Event) -> str:
    """`2026-12-05 21:30 (UTC+01:00) – 01:30` on the event's clock (the end's date only if another day)."""
    start, end = local(event.date_start, event.timezone), local(event.date_end, event.timezone)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{format_local(event.date_start, event.timezone)} – {end_text}"


@never_cache
@staff_member_required
def event_list(request):
    now = timezone.now()
    events = Event.objects.order_by("-date_start")[:100]
    rows = [{"event": e, "when": when(e), "over": e.date_end < now} for e in events]
    return render(request, "desk/index.html", {"rows": rows})


@never_cache
@staff_member_required
def event_desk(request, event_id: str):
    event = get_object_or_404(Event, pk=event_id)
    return render(request, "desk/event.html", {
        "event": event,
        "when": when(event),
        "generated": event.generated_at is not None,
        "hold_seconds": HOLD_SECONDS_DEFAULT,
        "hold_minutes": HOLD_SECONDS_DEFAULT // 60,
        "ws_path": f"/ws/events/{event.event_id}/sales/",
    })
