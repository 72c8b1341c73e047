"""The post-event report as an admin page: /admin/events/event/<event_id>/report/ (staff).

Served through `admin.site.admin_view` (the admin's login, staff check and no-cache) with the
admin's chrome, from backoffice/report_urls.py, so backoffice/admin.py needs no change. Tables are
rendered here (they print, and read without JavaScript); the charts are drawn by
static/backoffice/report.js from the same report JSON, embedded in the page. Every time is on the
event's clock with its UTC offset."""
from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backoffice import report, report_phones
from backoffice.exports import DATASETS
from backoffice.report_api import target_wait
from backoffice.report_timeline import MINUTE, State
from core.errors import InvalidInput
from core.localtime import utc_offset_label


# A phone's state over the night in words (the legend of the timeline says the same).
PHONE_STATE_WORDS = {
    State.ONLINE: pgettext_lazy("network", "online"),
    State.OFFLINE: gettext_lazy("offline (scans uploaded later)"),
    State.SILENT: gettext_lazy("silent (no scan for over 5 minutes)"),
}


def _at(iso: str | None, fmt: str = "%H:%M") -> str:
    """`21:30 (UTC+01:00)` from the report's ISO time (already on the event's clock)."""
    if not iso:
        return ""
    value = datetime.fromisoformat(iso)
    return f"{value.strftime(fmt)} ({utc_offset_label(value)})"


def _duration(seconds) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(d)d days %(h)d h") % {"d": hours // 24, "h": hours % 24}


def _saturation(episode: dict) -> str:
    """`20:41 (UTC+01:00) for 18 min, longest wait 4 min 10 s`."""
    return _("%(start)s for %(minutes)d min, longest wait %(wait)s") % {
        "start": _at(episode["from"]), "minutes": episode["minutes"], "wait": _duration(episode["max_wait_s"])}


def _timeline(body: dict) -> dict:
    """Each phone's segments placed on the night's width (percentages), for a bar per phone."""
    minutes = body["series"]["minutes"]
    if not minutes:
        return {"rows": [], "start": "", "end": ""}
    start = datetime.fromisoformat(minutes[0])
    end = datetime.fromisoformat(minutes[-1]) + MINUTE
    span = (end - start).total_seconds()
    rows = []
    for phone in body["devices"]:
        bars = []
        for seg in phone["timeline"]:
            a, b = datetime.fromisoformat(seg["from"]), datetime.fromisoformat(seg["to"])
            left = max(0.0, (a - start).total_seconds() / span * 100)
            width = max(0.3, min(100.0 - left, (b - a).total_seconds() / span * 100))
            bars.append({"state": seg["state"], "left": f"{left:.3f}", "width": f"{width:.3f}",
                         "title": f"{PHONE_STATE_WORDS.get(seg['state'], seg['state'])}: "
                                  f"{_at(seg['from'])} – {_at(seg['to'])}"})
        rows.append({**phone, "bars": bars})
    return {"rows": rows, "start": _at(minutes[0]), "end": _at(end.isoformat())}


def _offsets(body: dict) -> list[str]:
    minutes = body["series"]["minutes"]
    seen = []
    for iso in [minutes[0], minutes[-1]] if minutes else [body["event"]["date_start"]]:
        label = utc_offset_label(datetime.fromisoformat(iso))
        if label not in seen:
            seen.append(label)
    return seen


def report_page(request, event_id: str):
    try:
        target = target_wait(request.GET.get("target_wait_s"))
    except InvalidInput:
        target = report.DEFAULT_TARGET_WAIT_S
    body = report.event_report(event_id, target_wait_s=target)
    detail = report.report_devices(event_id) if body is not None else None
    if body is None or detail is None:
        raise Http404("No such event.")
    body = report_phones.merge(body, detail)  # the page shows the phones' timelines too
    event = body["event"]
    gates = [{**g, "peak_at": _at(g["peak_minute"]), "max_wait": _duration(g["max_wait_s"]),
              "saturation_text": [_saturation(s) for s in g["saturation"]]}
             for g in body["gates"]]
    zones = [{**z, "peak_at": _at(z["peak_inside_minute"])} for z in body["zones"]]
    late = [{**d, "delay": _duration(d["max_delay_s"])} for d in body["late_uploads"]["devices"]]
    conflicts = [{**c, "raised": _at(c["raised_at"], "%Y-%m-%d %H:%M"), "accepted_at": _at(c["accepted"].get("at"), "%H:%M:%S"),
                  "rejected_at": _at(c["rejected"].get("at"), "%H:%M:%S")} for c in body["offline_conflicts"]["items"]]
    totals = body["totals"]
    zone_totals = {k: sum(z[k] for z in body["zones"]) for k in ("capacity", "sold", "admitted", "no_shows")}
    context = {
        **admin.site.each_context(request),
        "title": _("Post-event report"),
        "subtitle": event["name"],
        "report": body,
        "event": event,
        "event_pk": event_id,
        "starts": _at(event["date_start"], "%Y-%m-%d %H:%M"),
        "ends": _at(event["date_end"], "%Y-%m-%d %H:%M"),
        "generated": _at(body["generated_at"], "%Y-%m-%d %H:%M"),
        "offsets": _offsets(body),
        "night_from": _at(body["series"]["minutes"][0]) if body["series"]["minutes"] else "",
        "night_to": _at(body["series"]["minutes"][-1]) if body["series"]["minutes"] else "",
        "peak_inside_at": _at(totals["peak_inside_minute"]),
        "gates": gates,
        "zones": zones,
        "zone_totals": zone_totals,
        "conflicts": conflicts,
        "late": late,
        "timeline": _timeline(body),
        "target_wait_s": target,
        "target_wait": _duration(target),
        "exports": [{"dataset": name, "title": str(title)} for name, (title, _columns, _rows) in DATASETS.items()],
        "api_url": f"/api/v1/events/{event_id}/report?target_wait_s={target}",
        "rejected_distinct": sum(r["distinct_codes"] for r in body["rejections"]),
    }
    return TemplateResponse(request, "backoffice/report.html", context)


def report_view():
    """The page behind the admin's login and staff check."""
    return admin.site.admin_view(report_page)
