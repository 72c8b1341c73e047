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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from backoffice.admin_guide import urls
from backoffice.forms import AssignForm, SellForm
from core.adminutils import money
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
    SetupInactive: gettext_lazy("The event is not active yet: activate it (step 3) before generating tickets."),
    AlreadyGenerated: gettext_lazy("Tickets were already generated for this event."),
    ZonesLocked: gettext_lazy("Tickets exist, so zone codes and seat counts can no longer change."),
}


def plain(exc: DomainError) -> str:
    """What a person reads about a refused change."""
    if isinstance(exc, SeatsUnavailable):
        return not_for_sale(exc.extra.get("tickets", []))
    return str(PLAIN.get(type(exc), exc.message))


def _seat_list(listed: list[str], more: int) -> str:
    """`A-1 (sold), A-2 (inside)` and, past the first twenty, how many more."""
    if more > 0:
        return ngettext("%(seats)s and %(more)s more", "%(seats)s and %(more)s more", more) % {
            "seats": ", ".join(listed), "more": more}
    return ", ".join(listed)


def _with_state(seat: str, state: str) -> str:
    return f"{seat} ({TicketState(state).label.lower()})"


def not_for_sale(ticket_ids: list[str]) -> str:
    rows = with_state(Ticket.objects.filter(ticket_id__in=ticket_ids)).values_list("seat_id", "state")
    listed = [_with_state(seat, state) for seat, state in rows[:20]]
    return _("These seats cannot be taken now: %(seats)s.") % {
        "seats": _seat_list(listed, len(ticket_ids) - len(listed))}


def _event(model_admin, request, object_id: str, *, change: bool = True) -> Event:
    event = model_admin.get_object(request, object_id)
    if event is None:
        raise Http404(_("No such event."))
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
        model_admin.message_user(request, _("Activated: tickets can now be generated (step 4).") if status else
                                 _("Deactivated: zone codes and seat counts can change again."), messages.SUCCESS)
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
            model_admin.message_user(request, _("Generated %(count)s tickets. Next: gates, door phones and box "
                                                "offices (step 5).") % {"count": f"{result.generated:,}"},
                                     messages.SUCCESS)
        return _back(event)
    return _page(model_admin, request, "generate_confirm.html", event, zones=zones,
                 seats=sum(z.seats for z in zones), title=_("Generate tickets for %(event)s?") % {"event": event.name})


def _seat_rows(event: Event, seat_ids: list[str]) -> list[dict]:
    return list(with_state(Ticket.objects.filter(event_id=event.event_id, seat_id__in=seat_ids))
                .values("ticket_id", "seat_id", "state", "zone_ref__name", "zone_ref__price"))


def _refused(rows: list[dict], allowed: str = TicketState.AVAILABLE) -> str | None:
    bad = [_with_state(r["seat_id"], r["state"]) for r in rows if r["state"] != allowed]
    if not bad:
        return None
    return _("Not available: %(seats)s. Nothing was changed.") % {"seats": _seat_list(bad[:20], len(bad) - 20)}


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
    return _page(model_admin, request, "sell.html", event, form=form,
                 title=_("Sell seats: %(event)s") % {"event": event.name}, **context)


def sell(model_admin, request, object_id: str):
    """A staff sale of typed seats to one buyer, shown with its total first, then confirmed."""
    event = _event(model_admin, request, object_id)
    if event.generated_at is None:
        model_admin.message_user(request, _("Generate the tickets first (step 4)."), messages.WARNING)
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
        form.add_error("seats", _("%(why)s Nothing was sold.") % {"why": plain(exc)})
        return sell_page(model_admin, request, event, form)
    taken = sum(result.prices.values(), Decimal("0.00"))
    model_admin.message_user(request, ngettext(
        "Sold %(count)s seat (%(seats)s) to %(buyer)s for %(amount)s.",
        "Sold %(count)s seats (%(seats)s) to %(buyer)s for %(amount)s.", len(result.sold)) % {
        "count": len(result.sold), "seats": compress_seats(seat_ids), "buyer": form.cleaned_data["name"],
        "amount": money(taken, event.currency)}, messages.SUCCESS)
    return _back(event, "#stock")


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


def assign_page(model_admin, request, event: Event, form: AssignForm, **context):
    return _page(model_admin, request, "assign.html", event, form=form, next=_next_url(request) or "",
                 title=_("Give seats to a box office: %(event)s") % {"event": event.name}, **context)


def assign(model_admin, request, object_id: str):
    """Hand typed seats to one of the event's box offices (offices.services.assign_tickets)."""
    event = _event(model_admin, request, object_id)
    if event.generated_at is None:
        model_admin.message_user(request, _("Generate the tickets first (step 4)."), messages.WARNING)
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
        form.add_error("seats", _("%(why)s Nothing was given to the office.") % {"why": plain(exc)})
        return assign_page(model_admin, request, event, form)
    model_admin.message_user(request, ngettext(
        "%(office)s now has %(count)s more seat to sell (%(seats)s).",
        "%(office)s now has %(count)s more seats to sell (%(seats)s).", len(result.assigned)) % {
        "office": office.name, "count": f"{len(result.assigned):,}", "seats": compress_seats(seat_ids)},
        messages.SUCCESS)
    return HttpResponseRedirect(_next_url(request) or urls(event.event_id)["page"] + "#stock")
