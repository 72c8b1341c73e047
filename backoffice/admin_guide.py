"""The numbered set-up guide at the top of an event's admin page: the eight steps from event
details to the report, which are done, and the links and buttons for each. Pure reading: the
buttons post to EventAdmin's own views (backoffice/admin_views.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice import selectors
from core.localtime import format_local
from events.models import Event, Language


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    kind: str = "link"  # "link", "button" (a GET to a page that asks first), "post" (a form button), "file"
    status: str = ""  # what a "post" button sends as `status`


@dataclass
class Step:
    number: int
    title: str
    done: bool
    text: str
    links: list[Link] = field(default_factory=list)
    next: bool = False  # the first step not done yet: highlighted


def urls(event_id: str) -> dict[str, str]:
    """Every address the event page links to, by name (tests walk them)."""
    admin, api, scoped = "/admin", f"/api/v1/events/{event_id}", f"?event__event_id__exact={event_id}"
    page = f"{admin}/events/event/{event_id}"
    return {
        "page": f"{page}/change/", "activate": f"{page}/activate/", "generate": f"{page}/generate/",
        "sell": f"{page}/sell/", "assign": f"{page}/assign/",
        "tickets": f"{admin}/tickets/ticket/{scoped}",
        "gates": f"{admin}/events/checkpoint/{scoped}", "add_gate": f"{admin}/events/checkpoint/add/?event={event_id}",
        "devices": f"{admin}/devices/device/{scoped}", "add_device": f"{admin}/devices/device/add/?event={event_id}",
        "credentials": f"{admin}/access/credential/{scoped}",
        "add_credential": f"{admin}/access/credential/add/?event={event_id}",
        "offices": f"{admin}/offices/office/{scoped}", "add_office": f"{admin}/offices/office/add/?event={event_id}",
        "dashboard": f"/dashboard/events/{event_id}/", "desk": f"/desk/events/{event_id}/", "report": f"{page}/report/",
        "tickets_pdf": f"{api}/tickets.pdf?layout=a4", "tickets_thermal": f"{api}/tickets.pdf?layout=thermal",
        "zone_pdf": f"{api}/tickets.pdf?layout=a4&zone=", "badges_pdf": f"{api}/badges.pdf",
        "pairing_pdf": f"{api}/pairing-sheet.pdf", "tickets_csv": f"{api}/exports/tickets.csv",
    }


def _n(count: int, words: str) -> str:
    """`1 seat`, `1,200 seats`: `words` is ngettext's choice for `count`, with %(n)s for the number
    (the calls stay literal so that makemessages finds them)."""
    return words % {"n": f"{count:,}"}


def steps(event: Event) -> list[Step]:
    u = urls(event.event_id)
    zones = list(event.zones.all())
    seats = sum(z.seats for z in zones)
    got = selectors.progress(event.event_id)
    generated = event.generated_at is not None
    when = {"start": format_local(event.date_start, event.timezone), "end": format_local(event.date_end, event.timezone),
            "zone": event.timezone, "currency": event.currency, "language": Language(event.language).label}
    details = (_("%(venue)s, %(start)s to %(end)s, on the clock of %(zone)s. Prices in %(currency)s; tickets print "
                 "in %(language)s. Edit them in the form below.") % {**when, "venue": event.venue} if event.venue
               else _("No venue yet; %(start)s to %(end)s, on the clock of %(zone)s. Prices in %(currency)s; tickets "
                      "print in %(language)s. Edit them in the form below.") % when)
    result = [
        Step(1, _("Event details"), True, details),
        Step(2, _("Zones"), bool(zones),
             (_n(len(zones), ngettext("%(n)s zone", "%(n)s zones", len(zones))) + ", "
              + _n(seats, ngettext("%(n)s seat", "%(n)s seats", seats)) + ". " if zones else
              _("Add at least one zone in the Zones table below: a short code (A), a name, a colour, the number of "
                "seats, whether people may go out and back in, and the price.") + " ")
             + (_("Zone codes and seat counts are now fixed (the tickets are named after them); names, colours, "
                  "re-entry and prices can still change, and a new price applies to sales from then on.")
                if generated else "")),
    ]
    if event.setup_status:
        activate = Step(3, _("Activate"), True, _("Active: the zones are final and tickets can be generated.")
                        + ("" if generated else " " + _("Deactivate to change zone codes or seat counts.")))
        if not generated:
            activate.links.append(Link(_("Deactivate"), u["activate"], "post", "off"))
    else:
        activate = Step(3, _("Activate"), False,
                        _("Activating says the zones are final, so that tickets can be generated. Until tickets "
                          "exist you can deactivate again and change them.") + ("" if zones else " " + _("Add zones first.")))
        if zones:
            activate.links.append(Link(_("Activate"), u["activate"], "post", "on"))
    result.append(activate)
    tickets = _n(seats, ngettext("%(n)s ticket", "%(n)s tickets", seats))
    if generated:
        result.append(Step(4, _("Generate tickets"), True,
                           _("%(tickets)s generated on %(when)s.") % {
                               "tickets": tickets, "when": format_local(event.generated_at, event.timezone)},
                           [Link(_("See the tickets"), u["tickets"])]))
    else:
        result.append(Step(4, _("Generate tickets"), False,
                           _("Creates one ticket per seat, each with its own QR code and reference: %(tickets)s.") % {
                               "tickets": tickets} + ("" if event.setup_status else " " + _("Activate first.")),
                           [Link(_n(seats, ngettext("Generate %(n)s ticket…", "Generate %(n)s tickets…", seats)),
                                 u["generate"], "button")] if event.setup_status else []))
    result.append(Step(
        5, _("Gates, door phones, credentials, box offices"), bool(got.gates and got.devices),
        " · ".join([_n(got.gates, ngettext("%(n)s gate", "%(n)s gates", got.gates)),
                    _n(got.devices, ngettext("%(n)s door phone", "%(n)s door phones", got.devices)),
                    _n(got.credentials, ngettext("%(n)s credential", "%(n)s credentials", got.credentials)),
                    _n(got.offices, ngettext("%(n)s box office", "%(n)s box offices", got.offices))]) + ". "
        + _("Each door phone belongs to a gate; pair it by scanning its QR code."),
        [Link(_("Gates"), u["gates"]), Link(_("+ gate"), u["add_gate"]), Link(_("Door phones"), u["devices"]),
         Link(_("+ door phone"), u["add_device"]), Link(_("Credentials"), u["credentials"]),
         Link(_("+ credential"), u["add_credential"]), Link(_("Box offices"), u["offices"]),
         Link(_("+ box office"), u["add_office"]), Link(_("Pairing sheet (PDF)"), u["pairing_pdf"], "file"),
         Link(_("Badges (PDF)"), u["badges_pdf"], "file")]))
    result.append(Step(
        6, _("Sell and print"), got.sold_or_assigned > 0,
        _("Sell seats to a buyer, hand seats to a box office, print tickets. The stock table below shows what is "
          "left.") if generated else _("Generate tickets first (step 4)."),
        [Link(_("Sell seats…"), u["sell"], "button"), Link(_("Give seats to a box office…"), u["assign"], "button"),
         Link(_("Sales desk"), u["desk"]), Link(_("Tickets"), u["tickets"]), Link(_("Print tickets (A4 PDF)"), u["tickets_pdf"], "file"),
         Link(_("Print tickets (80 mm printer)"), u["tickets_thermal"], "file"),
         Link(_("Tickets (CSV)"), u["tickets_csv"], "file")] if generated else []))
    result.append(Step(
        7, _("Doors and live dashboard"), got.scanned,
        _("Doors open %(open)s and close %(close)s. The dashboard shows entries, gates, door phones and alerts as "
          "they happen.") % {"open": format_local(event.doors_open_at, event.timezone),
                             "close": format_local(event.doors_close_at, event.timezone)},
        [Link(_("Live dashboard"), u["dashboard"])]))
    result.append(Step(
        8, _("Report"), timezone.now() > event.date_end,
        _("After the night: attendance by gate and zone, peaks, queues, no-shows, rejections and sales."),
        [Link(_("Report"), u["report"]), Link(_("Tickets (CSV)"), u["tickets_csv"], "file")]))
    for step in result:
        if not step.done:
            step.next = True
            break
    return result
