// The seat picker: a tab per zone (its colour, price and what is still for sale here), the zone's
// seats by row, and the basket of seats picked for the sale in progress.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { cents, money } from "./format.js";
import { $, el } from "./page.js";
import * as state from "./state.js";

const UNASSIGNED_ROW = "por asignar"; // tickets' seat_row until staff set it (shared/API.md)

export function renderPicker() {
  const stock = state.stock();
  const zones = stock ? stock.zones().filter((z) => stock.counts(z.zone_id).total > 0) : [];
  if (zones.length && !zones.some((z) => z.zone_id === state.zone())) state.setZone(zones[0].zone_id);
  $("zones").replaceChildren(...zones.map((zone) => {
    const { available } = stock.counts(zone.zone_id);
    const tab = el("button", { type: "button", className: "zone-tab", dataset: { zone: zone.zone_id, color: zone.color },
      "aria-pressed": String(zone.zone_id === state.zone()) },
    el("span", { className: "swatch", dataset: { color: zone.color } }),
    el("span", { className: "zone-name", textContent: zone.name }),
    el("span", { className: "zone-price", textContent: money(cents(zone.price)) }),
    el("span", { className: "zone-left", textContent: interpolate(ngettext("%s left", "%s left", available), [available]) }));
    tab.addEventListener("click", () => { state.setZone(zone.zone_id); renderPicker(); });
    return tab;
  }));
  paintSwatches($("zones"));
  renderSeats();
  renderBasket();
  $("stock-state").textContent = !stock ? gettext("No stock on this device yet: it downloads as soon as the server answers.")
    : zones.length ? "" : gettext("No seats are assigned to this box office.");
}

/** Zone colours come from data: set as properties (the page's CSP forbids inline styles). */
export function paintSwatches(root) {
  for (const node of root.querySelectorAll("[data-color]")) node.style.setProperty("--zone", node.dataset.color);
}

function renderSeats() {
  const stock = state.stock();
  const zoneId = state.zone();
  if (!stock || !zoneId) {
    $("seats").replaceChildren();
    return;
  }
  const zone = stock.zones().find((z) => z.zone_id === zoneId);
  const rows = new Map();
  for (const ticket of stock.inZone(zoneId)) {
    const row = ticket.seat_row || UNASSIGNED_ROW;
    if (!rows.has(row)) rows.set(row, []);
    rows.get(row).push(ticket);
  }
  const picked = new Set(state.picked());
  $("seats").replaceChildren(...[...rows].map(([row, tickets]) => el("div", { className: "seat-row" },
    el("span", { className: "row-label", textContent: row === UNASSIGNED_ROW ? gettext("Row not assigned yet") : interpolate(gettext("Row %s"), [row]) }),
    el("div", { className: "row-seats" }, ...tickets.map((ticket) => seatButton(ticket, stock, picked))))));
  $("seats").dataset.color = zone ? zone.color : "#64748b";
  paintSwatches($("seats").parentElement);
}

function seatButton(ticket, stock, picked) {
  const free = stock.available(ticket);
  const label = free ? interpolate(gettext("Seat %s, free"), [ticket.seat_id]) : interpolate(gettext("Seat %s, sold"), [ticket.seat_id]);
  const button = el("button", {
    type: "button", className: "seat", textContent: String(ticket.seat_number || ticket.seat_id),
    disabled: !free, title: label, "aria-label": label, "aria-pressed": String(picked.has(ticket.ticket_id)),
    dataset: { ticket: ticket.ticket_id, seat: ticket.seat_id, state: free ? "free" : "sold" },
  });
  button.addEventListener("click", () => toggle(ticket.ticket_id));
  return button;
}

function toggle(ticketId) {
  const picked = state.picked();
  state.setPicked(picked.includes(ticketId) ? picked.filter((t) => t !== ticketId) : [...picked, ticketId]);
  renderSeats();
  renderBasket();
}

export function renderBasket() {
  const stock = state.stock();
  // A seat sold meanwhile (another sale, a refresh) leaves the basket.
  const picked = state.picked().filter((id) => stock && stock.tickets.has(id) && stock.available(stock.tickets.get(id)));
  if (picked.length !== state.picked().length) state.setPicked(picked);
  let total = 0;
  $("basket-list").replaceChildren(...picked.map((id) => {
    const ticket = stock.tickets.get(id);
    const zone = stock.zoneOf(ticket);
    total += cents(zone.price);
    const remove = el("button", { type: "button", className: "btn btn-small btn-ghost", textContent: "×",
      "aria-label": interpolate(gettext("Remove seat %s"), [ticket.seat_id]) });
    remove.addEventListener("click", () => toggle(id));
    return el("li", { dataset: { color: zone.color } }, el("span", { className: "swatch", dataset: { color: zone.color } }),
      el("span", { className: "basket-seat", textContent: `${zone.name} · ${ticket.seat_id}` }),
      el("span", { className: "basket-price", textContent: money(cents(zone.price)) }), remove);
  }));
  paintSwatches($("basket-list"));
  $("basket-empty").hidden = picked.length > 0;
  $("basket-total").textContent = money(total);
  $("sell-button").disabled = !picked.length || state.stopped();
  $("sell-button").textContent = picked.length
    ? interpolate(ngettext("Sell %(count)s seat · %(total)s", "Sell %(count)s seats · %(total)s", picked.length), { count: picked.length, total: money(total) }, true)
    : gettext("Sell");
}
