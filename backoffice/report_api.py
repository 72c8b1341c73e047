"""The post-event report and the exports over HTTP (staff): thin views over backoffice/report.py
and backoffice/exports.py (API.md, "Additions for management, offices and the door")."""
from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice import exports, jobs_api, report
from backoffice.exports_http import AnyAccept, export_response
from backoffice.exports_writers import XLSX_CONTENT_TYPE
from core.errors import InvalidInput, NotFound
from events.models import Event


def target_wait(raw: str | None) -> int:
    """`target_wait_s` from a query string: whole seconds, 0 to a day; the default when absent."""
    if raw is None or raw == "":
        return report.DEFAULT_TARGET_WAIT_S
    if not re.fullmatch(r"\d{1,6}", raw) or int(raw) > report.MAX_TARGET_WAIT_S:
        raise InvalidInput("target_wait_s must be whole seconds from 0 to 86400.",
                           fields={"target_wait_s": ["Whole seconds from 0 to 86400."]})
    return int(raw)


_NUMBERS = {"entries": serializers.IntegerField(), "exits": serializers.IntegerField()}
ReportOut = inline_serializer("PostEventReport", {
    "attendance": inline_serializer("AttendanceMinute", {
        "minute": serializers.CharField(help_text="the minute's start, ISO 8601 on the event's clock"),
        **_NUMBERS, "inside": serializers.IntegerField(help_text="people inside at the minute's end")}, many=True),
    "gates": inline_serializer("GateFlow", {
        "checkpoint_id": serializers.CharField(), "name": serializers.CharField(),
        "entries": serializers.IntegerField(), "peak_minute": serializers.CharField(allow_null=True),
        "peak_entries": serializers.IntegerField(),
        "service_rate_per_min": serializers.FloatField(
            allow_null=True, help_text="people a minute the gate's lanes serve when people wait (lane rate x lanes)"),
        "saturated_minutes": serializers.IntegerField(
            help_text="minutes in which the lanes worked at 85% or more of their rate: a queue stood"),
        "lanes_for_target_wait": serializers.IntegerField(
            allow_null=True, help_text="fewest lanes keeping every wait under target_wait_s (a lower bound when "
                                       "the gate saturated: lanes_is_lower_bound)"),
    }, many=True),
    "zones": inline_serializer("ZoneAttendance", {
        "zone_id": serializers.CharField(), "capacity": serializers.IntegerField(), "sold": serializers.IntegerField(),
        "admitted": serializers.IntegerField(), "no_shows": serializers.IntegerField(),
        "peak_inside": serializers.IntegerField()}, many=True),
    "rejections": inline_serializer("RejectionsByReason", {
        "reason": serializers.CharField(), "label": serializers.CharField(help_text="the reason in words"),
        "count": serializers.IntegerField(),
        "distinct_codes": serializers.IntegerField(help_text="repeat reads of one code counted once")}, many=True),
    "offline_conflicts": serializers.DictField(help_text="count and items: tickets admitted offline by two phones"),
    "sales": serializers.DictField(help_text="the sales aggregate plus channels and box-office money"),
    "late_uploads": serializers.DictField(), "devices": serializers.ListField(child=serializers.DictField()),
    "series": serializers.DictField(help_text="per-minute series by gate (entries, arrivals, capacity, queue) "
                                              "and zone (entries, exits, inside)"),
})


class ReportView(APIView):
    @extend_schema(
        operation_id="event_report",
        parameters=[OpenApiParameter("target_wait_s", int, description="target wait for the lanes figure "
                                                                       "(seconds, default 300)")],
        responses={200: ReportOut}, summary="The post-event report: attendance, gates and entry flow, zones, "
                                            "rejections, offline conflicts, phones, sales (staff)",
        description=("Computed from the scan log in one database snapshot; times are ISO 8601 on the event's "
                     "clock. docs/adr/0028 defines every figure."))
    def get(self, request, event_id: str):
        body = report.event_report(event_id, target_wait_s=target_wait(request.query_params.get("target_wait_s")))
        if body is None:
            raise NotFound("No such event.")
        return Response(body)


class ReportDevicesView(APIView):
    @extend_schema(
        operation_id="event_report_devices",
        responses={200: inline_serializer("PostEventReportDevices", {
            "devices": serializers.ListField(child=serializers.DictField(), help_text=(
                "every phone of the report's `devices`, with `first_minute`, `last_minute` and `timeline` "
                "(segments from, to, state: online, offline, silent)"))})},
        summary="The post-event report's phones over the night, minute by minute (staff; loaded apart)",
        description=("The report's `devices` give each phone's totals; this section adds when each phone scanned "
                     "and its online / offline / silent timeline, whose cost follows the night's phones x "
                     "minutes. Same snapshot rules and clock as the report."))
    def get(self, request, event_id: str):
        body = report.report_devices(event_id)
        if body is None:
            raise NotFound("No such event.")
        return Response(body)


class ExportView(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="event_export",
        parameters=[OpenApiParameter("dataset", str, OpenApiParameter.PATH, enum=list(exports.DATASETS)),
                    OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "xlsx"],
                                     description="file format (the path's extension)")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY,
                   (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, 202: jobs_api.ACCEPTED},
        summary="Export tickets, scans, sales or box-office reconciliation as CSV or XLSX (staff, streamed)",
        description=("`tickets`: seat, row, zone, state, channel, price, buyer, reference, first entry time and "
                     "gate. `scans`: every attempt with its time, gate, phone, direction, result, reason in words "
                     "and code, seat or credential, mode, late, quarantined. `sales`: every ticket sold now with "
                     "channel, price, buyer, when and who. `offices`: per office assigned, sold, returned, "
                     "outstanding, revenue and refunds due, then money per sale channel. Times on the event's clock "
                     "with their UTC offset; money with two decimals and the event's currency."))
    def get(self, request, event_id: str, dataset: str, fmt: str):
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        # A large XLSX cannot be sent before it is complete: a background job (docs/adr/0030).
        big_xlsx = fmt == "xlsx" and jobs_api.needs_job(request, jobs_api.export_rows(event, dataset))
        if big_xlsx or jobs_api.asks_async(request):
            return jobs_api.start_export(request, event=event, dataset=dataset, fmt=fmt)
        return export_response(event, dataset, fmt)
