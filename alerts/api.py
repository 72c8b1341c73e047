"""Alerts API (staff): list an event's alerts, acknowledge one. Mounted under /api/v1/."""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import services
from alerts.models import Alert
from core.api import Pagination, parse_bool
from events.models import Event

_ALERT = inline_serializer("Alert", {
    "id": serializers.IntegerField(), "kind": serializers.CharField(), "message": serializers.CharField(),
    "data": serializers.DictField(), "created_at": serializers.DateTimeField(),
    "acknowledged": serializers.BooleanField(), "acknowledged_at": serializers.DateTimeField(allow_null=True),
    "acknowledged_by": serializers.CharField(allow_null=True)})


def _alert_body(alert: Alert) -> dict:
    body = services.alert_payload(alert)
    body.pop("type")
    body["event_id"] = alert.event_id
    return body


class AlertAcknowledgeView(APIView):
    @extend_schema(request=None, responses={200: _ALERT}, summary="Acknowledge an anomaly alert (idempotent)")
    def post(self, request, alert_id: str):
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise Http404
        user = request.user.get_username() if request.user is not None else ""
        result = services.acknowledge_alert(alert_id=int(alert_id), user=user)
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
