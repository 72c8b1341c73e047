"""The manager dashboard (staff session) and the alerts API.

The page is server-rendered with the database snapshot embedded, so it shows trustworthy numbers
before the WebSocket connects and while it is down (the script then polls `snapshot.json`); the
socket brings the live updates. Static files only: the page works on a venue network with no
internet (Chart.js is vendored in static/vendor/chartjs)."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from access import anomalies, selectors
from access.models import Alert
from events.models import Event
from ticketcore.api import Pagination, parse_bool


# --------------------------------------------------------------------------- pages (staff session)

@never_cache
@staff_member_required
def event_list(request):
    now = timezone.now()
    events = Event.objects.order_by("-date_start")[:100]
    rows = [{"event": e, "live": e.date_start - timedelta(minutes=e.doors_open_minutes) <= now
             <= e.date_end + timedelta(minutes=e.doors_close_minutes)} for e in events]
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


# --------------------------------------------------------------------------- API (staff)

_ALERT = inline_serializer("Alert", {
    "id": serializers.IntegerField(), "kind": serializers.CharField(), "message": serializers.CharField(),
    "data": serializers.DictField(), "created_at": serializers.DateTimeField(),
    "acknowledged": serializers.BooleanField(), "acknowledged_at": serializers.DateTimeField(allow_null=True),
    "acknowledged_by": serializers.CharField(allow_null=True)})


def _alert_body(alert: Alert) -> dict:
    body = selectors.alert_payload(alert)
    body.pop("type")
    body["event_id"] = alert.event_id
    return body


class AlertAcknowledgeView(APIView):
    @extend_schema(request=None, responses={200: _ALERT}, summary="Acknowledge an anomaly alert (idempotent)")
    def post(self, request, alert_id: str):
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise Http404
        user = request.user.get_username() if request.user is not None else ""
        result = anomalies.acknowledge_alert(alert_id=int(alert_id), user=user)
        return Response(_alert_body(result.alert))


class _NewestFirst(Pagination):
    ordering = "-id"


class AlertListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("acknowledged", bool), OpenApiParameter("kind", str)],
                   responses={200: _ALERT}, summary="Anomaly alerts of an event, newest first")
    def get(self, request, event_id: str):
        get_object_or_404(Event, pk=event_id)
        qs = Alert.objects.filter(event_id=event_id)
        acknowledged = parse_bool(request.query_params.get("acknowledged"), "acknowledged")
        if acknowledged is not None:
            qs = qs.filter(acknowledged_at__isnull=not acknowledged)
        kind = request.query_params.get("kind")
        if kind:
            qs = qs.filter(kind=kind[:32])
        paginator = _NewestFirst()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_alert_body(a) for a in page])
