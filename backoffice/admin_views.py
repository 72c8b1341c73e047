"""The event page's own views (EventAdmin.get_urls): activate, generate, sell seats, give seats to
a box office. Each calls one service; what goes wrong is said in plain words, never a code."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from backoffice.admin_guide import urls
from backoffice.forms import AssignForm, SellForm
from core.errors import (
    AlreadyGenerated,
    DomainError,
    SeatsUnavailable,
    SetupInactive,
    ZonesLocked,
)
from events import services as event_services
from events.forms import compress_seats
from events.models import Event
from offices import services as office_services
from tickets import services as ticket_services
from tickets.models import Ticket, TicketState
from tickets.selectors import with_state

PLAIN = {
    SetupInactive: "The event is not active yet: activate it (step 3) before generating tickets.",
    AlreadyGenerated: "Tickets were already generated for this event.",
    ZonesLocked: "Tickets exist, so zone codes and seat counts can no longer change.",
}


def plain(exc: DomainError) -> str:
    """What a person reads about a refused change."""
    if isinstance(exc, SeatsUnavailable):
        return not_for_sale(exc.extra.get("tickets", []))
    return PLAIN.get(type(exc), exc.message)


def not_for_sale(ticket_ids: list[str]) -> str:
    rows = with_state(Ticket.objects.filter(ticket_id__in=ticket_ids)).values_list("seat_id", "state")
    listed = [f"{seat} ({TicketState(state).label.lower()})" for seat, state in rows[:20]]
    more = len(ticket_ids) - len(listed)
    return "These seats cannot be taken now: " + ", ".join(listed) + (f" and {more} more." if more > 0 else ".")


def _event(model_admin, request, object_id: str, *, change: bool = True) -> Event:
    event = model_admin.get_object(request, object_id)
    if event is None:
        raise Http404("No such event.")
    if change and not model_admin.has_change_permission(request, event):
        raise PermissionDenied
    return event


def _page(model_admin, request, template: str, event: Event, **context):
    return TemplateResponse(request, f"admin/backoffice/{template}", {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "event": event,
        "original": event, "urls": urls(event.event_id), "title": context.pop("title", event.name), **context})


def _back(event: Event, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(urls(event.event_id)["page"] + anchor)


def activate(model_admin, request, object_id: str):
    """POST status=on|off: the activation gate (Event.setup_status)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    event = _event(model_admin, request, object_id)
    status = request.POST.get("status") == "on"
    try:
        event_services.setup_zones(event_id=event.pk, status=status, zones=None)
    except DomainError as exc:
        model_admin.message_user(request, plain(exc), messages.ERROR)
    else:
        model_admin.message_user(request, "Activated: tickets can now be generated (step 4)." if status else
                                 "Deactivated: zone codes and seat counts can change again.", messages.SUCCESS)
    return _back(event)


def generate(model_admin, request, object_id: str):
    """GET: what generation will create, and a button. POST: generate."""
    event = _event(model_admin, request, object_id)
    zones = list(event.zones.all())
    if request.method == "POST":
        try:
            result = ticket_services.generate_tickets(event_id=event.pk)
        except DomainError as exc:
            model_admin.message_user(request, plain(exc), messages.ERROR)
        else:
            model_admin.message_user(request, f"Generated {result.generated:,} tickets. Next: gates, door phones "
                                              "and box offices (step 5).", messages.SUCCESS)
        return _back(event)
    return _page(model_admin, request, "generate_confirm.html", event, zones=zones,
                 seats=sum(z.seats for z in zones), title=f"Generate tickets for {event.name}?")


def _seat_rows(event: Event, seat_ids: list[str]) -> list[dict]:
    return list(with_state(Ticket.objects.filter(event_id=event.event_id, seat_id__in=seat_ids))
                .values("ticket_id", "seat_id", "state", "zone_ref__name", "zone_ref__price"))


def _refused(rows: list[dict], allowed: str = TicketState.AVAILABLE) -> str | None:
    bad = [f"{r['seat_id']} ({TicketState(r['state']).label.lower()})" for r in rows if r["state"] != allowed]
    if not bad:
        return None
    return ("Not available: " + ", ".join(bad[:20]) + (f" and {len(bad) - 20} more" if len(bad) > 20 else "")
            + ". Nothing was changed.")


def _summary(rows: list[dict]) -> tuple[list[dict], Decimal]:
    by_zone: dict[str, dict] = defaultdict(lambda: {"count": 0, "subtotal": Decimal("0.00")})
    for r in rows:
        line = by_zone[r["zone_ref__name"]]
        line.update(zone=r["zone_ref__name"], price=r["zone_ref__price"])
        line["count"] += 1
        line["subtotal"] += r["zone_ref__price"]
    lines = list(by_zone.values())
    return lines, sum((line["subtotal"] for line in lines), Decimal("0.00"))


def sell_page(model_admin, request, event: Event, form: SellForm, **context):
    return _page(model_admin, request, "sell.html", event, form=form, title=f"Sell seats: {event.name}", **context)


def sell(model_admin, request, object_id: str):
    """A staff sale of typed seats to one buyer, shown with its total first, then confirmed."""
    event = _event(model_admin, request, object_id)
    if event.generated_at is None:
        model_admin.message_user(request, "Generate the tickets first (step 4).", messages.WARNING)
        return _back(event)
    form = SellForm(request.POST if request.method == "POST" else None, event=event,
                    initial={"seats": request.GET.get("seats", "")})
    if request.method != "POST" or "edit" in request.POST or not form.is_valid():
        return sell_page(model_admin, request, event, form)
    seat_ids = form.cleaned_data["seats"]
    rows = _seat_rows(event, seat_ids)
    refused = _refused(rows)
    if refused:
        form.add_error("seats", refused)
        return sell_page(model_admin, request, event, form)
    lines, total = _summary(rows)
    if request.POST.get("confirm") != "yes":
        return sell_page(model_admin, request, event, form, lines=lines, total=total, count=len(rows),
                         confirming=True, seats_text=compress_seats(seat_ids))
    try:
        result = ticket_services.sell_tickets(
            event_id=event.event_id, ticket_ids=[r["ticket_id"] for r in rows], actor=request.user.get_username(),
            metadata={"buyer": form.buyer()})
    except DomainError as exc:
        form.add_error("seats", plain(exc) + " Nothing was sold.")
        return sell_page(model_admin, request, event, form)
    taken = sum(result.prices.values(), Decimal("0.00"))
    model_admin.message_user(request, f"Sold {len(result.sold):,} seats ({compress_seats(seat_ids)}) to "
                                      f"{form.cleaned_data['name']} for {taken:,.2f} {event.currency}.",
                             messages.SUCCESS)
    return _back(event, "#stock")


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


def assign_page(model_admin, request, event: Event, form: AssignForm, **context):
    return _page(model_admin, request, "assign.html", event, form=form, next=_next_url(request) or "",
                 title=f"Give seats to a box office: {event.name}", **context)


def assign(model_admin, request, object_id: str):
    """Hand typed seats to one of the event's box offices (offices.services.assign_tickets)."""
    event = _event(model_admin, request, object_id)
    if event.generated_at is None:
        model_admin.message_user(request, "Generate the tickets first (step 4).", messages.WARNING)
        return _back(event)
    form = AssignForm(request.POST if request.method == "POST" else None, event=event,
                      initial={"seats": request.GET.get("seats", ""), "office": request.GET.get("office")})
    if request.method != "POST" or not form.is_valid():
        return assign_page(model_admin, request, event, form)
    seat_ids, office = form.cleaned_data["seats"], form.cleaned_data["office"]
    rows = _seat_rows(event, seat_ids)
    refused = _refused(rows)
    if refused:
        form.add_error("seats", refused)
        return assign_page(model_admin, request, event, form)
    try:
        result = office_services.assign_tickets(office_id=office.office_id, ticket_ids=[r["ticket_id"] for r in rows],
                                                actor=request.user.get_username())
    except DomainError as exc:
        form.add_error("seats", plain(exc) + " Nothing was given to the office.")
        return assign_page(model_admin, request, event, form)
    model_admin.message_user(request, f"{office.name} now has {len(result.assigned):,} more seats to sell "
                                      f"({compress_seats(seat_ids)}).", messages.SUCCESS)
    return HttpResponseRedirect(_next_url(request) or urls(event.event_id)["page"] + "#stock")
