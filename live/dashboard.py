"""The manager dashboard (staff session).

The page is server-rendered with the database snapshot embedded, so it shows trustworthy numbers
before the WebSocket connects and while it is down (the script then polls `snapshot.json`); the
socket brings the live updates. Static files only: the page works on a venue network with no
internet (Chart.js is vendored in static/vendor/chartjs)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from events.models import Event
from live import selectors

# --------------------------------------------------------------------------- pages (staff session)

@never_cache
@staff_member_required
def event_list(request):
    now = timezone.now()
    events = Event.objects.order_by("-date_start")[:100]
    rows = [{"event": e, "live": e.doors_are_open(now)} for e in events]
    return render(request, "dashboard/index.html", {"rows": rows})


@never_cache
@staff_member_required
def event_dashboard(request, event_id: str):
    event = get_object_or_404(Event, pk=event_id)
    return render(request, "dashboard/event.html", {
        "event": event,
        "snapshot": selectors.snapshot(event.event_id),
        "ws_path": f"/ws/events/{event.event_id}/live/",
        "snapshot_url": f"/dashboard/events/{event.event_id}/snapshot.json",
        "device_online_seconds": settings.DEVICE_ONLINE_SECONDS,
    })


@never_cache
@staff_member_required
def event_snapshot(request, event_id: str):
    """The socket's snapshot over plain HTTP: the page's fallback while the socket is down."""
    body = selectors.snapshot(event_id)
    if body is None:
        raise Http404("No such event.")
    return JsonResponse(body)
