"""The manager dashboard (staff session).

The page is server-rendered with the database snapshot embedded, so it shows trustworthy numbers
before the WebSocket connects and while it is down (the script then polls `snapshot.json`); the
socket brings the live updates. Static files only: the page works on a venue network with no
internet (Chart.js is vendored in static/vendor/chartjs). Every time on it is on the event's
clock with its offset (the page's `data-time-zone`, the snapshot's `event.timezone`)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache

from core.localtime import local, utc_offset_label
from events.models import Event
from live import selectors, series

EVENTS_LISTED = 100

# --------------------------------------------------------------------------- pages (staff session)


def _day_and_time(value) -> str:
    """`Sat 5 Dec 2026, 21:30` / `sáb 5 dic 2026, 21:30`: day and month names in the request's
    language (Django's own catalogue names them), in the order that language writes them."""
    # Translators: a Django date format (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date):
    # D weekday, j day, M month (capitalised), b month (lower case), Y year, H:i hour and minute.
    return date_format(value, pgettext("dashboard date", "D j M Y, H:i"))


def _when(event: Event) -> str:
    """`Sat 5 Dec 2026, 21:30 – 01:30 (UTC+01:00)` on the event's clock, in the request's language."""
    start, end = local(event.date_start, event.timezone), local(event.date_end, event.timezone)
    end_text = date_format(end, "H:i") if end.date() == start.date() else _day_and_time(end)
    return f"{_day_and_time(start)} – {end_text} ({utc_offset_label(start)})"


def _starts(event: Event) -> str:
    start = local(event.date_start, event.timezone)
    return f"{_day_and_time(start)} ({utc_offset_label(start)})"


def _row(event: Event, now) -> dict:
    """An event of the list and its doors: open now, opening later (when, on its clock), or closed."""
    doors = "open" if event.doors_are_open(now) else "later" if now < event.doors_open_at else "closed"
    return {"event": event, "doors": doors, "starts": _starts(event),
            "opens": _day_and_time(local(event.doors_open_at, event.timezone))}


@never_cache
@staff_member_required
def event_list(request):
    """Tonight's and the coming events first (soonest first), then past ones (latest first)."""
    now = timezone.now()
    coming = list(Event.objects.filter(date_end__gte=now).order_by("date_start", "event_id")[:EVENTS_LISTED])
    past = list(Event.objects.filter(date_end__lt=now).order_by("-date_start")[:EVENTS_LISTED - len(coming)])
    return render(request, "dashboard/index.html", {"rows": [_row(e, now) for e in coming + past]})


@never_cache
@staff_member_required
def event_dashboard(request, event_id: str):
    event = get_object_or_404(Event, pk=event_id)
    return render(request, "dashboard/event.html", {
        "event": event,
        "when": _when(event),
        "snapshot": selectors.snapshot(event.event_id, mirror_state=selectors.can_see_mirror(request.user)),
        "ws_path": f"/ws/events/{event.event_id}/live/",
        "snapshot_url": f"/dashboard/events/{event.event_id}/snapshot.json",
        "series_url": f"/dashboard/events/{event.event_id}/series.json",
        "device_online_seconds": settings.DEVICE_ONLINE_SECONDS,
    })


@never_cache
@staff_member_required
def event_snapshot(request, event_id: str):
    """The socket's snapshot over plain HTTP: the page's fallback while the socket is down."""
    body = selectors.snapshot(event_id, mirror_state=selectors.can_see_mirror(request.user))
    if body is None:
        raise Http404("No such event.")
    return JsonResponse(body)


@never_cache
@staff_member_required
def event_series(request, event_id: str):
    """The chart's history: `?range=night` the whole doors window so far (live/series.py), else
    the last 30 minutes."""
    event = get_object_or_404(Event, pk=event_id)
    if request.GET.get("range") == "night":
        return JsonResponse(series.scans_per_minute_night(event))
    return JsonResponse({"range": "recent", **series.scans_per_minute(event.event_id)})
