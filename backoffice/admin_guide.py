"""The numbered set-up guide at the top of an event's admin page: the eight steps from event
details to the report, which are done, and the links and buttons for each. Pure reading: the
buttons post to EventAdmin's own views (backoffice/admin_views.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

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
        "dashboard": f"/dashboard/events/{event_id}/", "report": f"{page}/report/",
        "tickets_pdf": f"{api}/tickets.pdf?layout=a4", "tickets_thermal": f"{api}/tickets.pdf?layout=thermal",
        "zone_pdf": f"{api}/tickets.pdf?layout=a4&zone=", "badges_pdf": f"{api}/badges.pdf",
        "pairing_pdf": f"{api}/pairing-sheet.pdf", "tickets_csv": f"{api}/exports/tickets.csv",
    }


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def steps(event: Event) -> list[Step]:
    u = urls(event.event_id)
    zones = list(event.zones.all())
    seats = sum(z.seats for z in zones)
    got = selectors.progress(event.event_id)
    generated = event.generated_at is not None
    when = f"{format_local(event.date_start, event.timezone)} to {format_local(event.date_end, event.timezone)}"
    language = Language(event.language).label
    result = [
        Step(1, "Event details", True,
             f"{event.venue or 'No venue yet'}, {when}, on the clock of {event.timezone}. "
             f"Prices in {event.currency}; tickets print in {language}. Edit them in the form below."),
        Step(2, "Zones", bool(zones),
             (f"{_n(len(zones), 'zone', 'zones')}, {_n(seats, 'seat', 'seats')}. " if zones else
              "Add at least one zone in the Zones table below: a short code (A), a name, a colour, "
              "the number of seats, whether people may go out and back in, and the price. ")
             + ("Zone codes and seat counts are now fixed (the tickets are named after them); names, colours, "
                "re-entry and prices can still change, and a new price applies to sales from then on."
                if generated else "")),
    ]
    if event.setup_status:
        activate = Step(3, "Activate", True, "Active: the zones are final and tickets can be generated."
                        + ("" if generated else " Deactivate to change zone codes or seat counts."))
        if not generated:
            activate.links.append(Link("Deactivate", u["activate"], "post", "off"))
    else:
        activate = Step(3, "Activate", False,
                        "Activating says the zones are final, so that tickets can be generated. Until tickets "
                        "exist you can deactivate again and change them." + ("" if zones else " Add zones first."))
        if zones:
            activate.links.append(Link("Activate", u["activate"], "post", "on"))
    result.append(activate)
    if generated:
        result.append(Step(4, "Generate tickets", True,
                           f"{_n(seats, 'ticket', 'tickets')} generated on "
                           f"{format_local(event.generated_at, event.timezone)}.", [Link("See the tickets", u["tickets"])]))
    else:
        result.append(Step(4, "Generate tickets", False,
                           f"Creates one ticket per seat, each with its own QR code and reference: "
                           f"{_n(seats, 'ticket', 'tickets')}." + ("" if event.setup_status else " Activate first."),
                           [Link(f"Generate {seats:,} tickets…", u["generate"], "button")] if event.setup_status else []))
    result.append(Step(
        5, "Gates, door phones, credentials, box offices", bool(got.gates and got.devices),
        f"{_n(got.gates, 'gate', 'gates')} · {_n(got.devices, 'door phone', 'door phones')} · "
        f"{_n(got.credentials, 'credential', 'credentials')} · {_n(got.offices, 'box office', 'box offices')}. "
        "Each door phone belongs to a gate; pair it by scanning its QR code.",
        [Link("Gates", u["gates"]), Link("+ gate", u["add_gate"]), Link("Door phones", u["devices"]),
         Link("+ door phone", u["add_device"]), Link("Credentials", u["credentials"]),
         Link("+ credential", u["add_credential"]), Link("Box offices", u["offices"]),
         Link("+ box office", u["add_office"]), Link("Pairing sheet (PDF)", u["pairing_pdf"], "file"),
         Link("Badges (PDF)", u["badges_pdf"], "file")]))
    result.append(Step(
        6, "Sell and print", got.sold_or_assigned > 0,
        "Sell seats to a buyer, hand seats to a box office, print tickets. The stock table below shows "
        "what is left." if generated else "Generate tickets first (step 4).",
        [Link("Sell seats…", u["sell"], "button"), Link("Give seats to a box office…", u["assign"], "button"),
         Link("Tickets", u["tickets"]), Link("Print tickets (A4 PDF)", u["tickets_pdf"], "file"),
         Link("Print tickets (80 mm printer)", u["tickets_thermal"], "file"),
         Link("Tickets (CSV)", u["tickets_csv"], "file")] if generated else []))
    result.append(Step(
        7, "Doors and live dashboard", got.scanned,
        f"Doors open {format_local(event.doors_open_at, event.timezone)} and close "
        f"{format_local(event.doors_close_at, event.timezone)}. The dashboard shows entries, gates, "
        "door phones and alerts as they happen.", [Link("Live dashboard", u["dashboard"])]))
    result.append(Step(
        8, "Report", timezone.now() > event.date_end,
        "After the night: attendance by gate and zone, peaks, queues, no-shows, rejections and sales.",
        [Link("Report", u["report"]), Link("Tickets (CSV)", u["tickets_csv"], "file")]))
    for step in result:
        if not step.done:
            step.next = True
            break
    return result
