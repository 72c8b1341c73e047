// The order on the right: pick seats, hold them (POST /holds) with a countdown, check out with the
// buyer's details (POST /holds/{id}/checkout) or release them (DELETE /holds/{id}), then hand the
// tickets over (handover.js). One order at a time; it survives a page reload (sessionStorage).
//
// Phases: pick -> holding (request out) -> held -> paying (request out) -> sold -> pick.
import { gettext, ngettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import * as api from "./api.js";
import { cents, clock, countdown, money } from "./format.js";
import * as handover from "./handover.js";
import { apiProblem, notice } from "./notice.js";
import * as map from "./seats.js";

const body = document.body;
const HOLD_SECONDS = Number(body.dataset.holdSeconds) || 600;
const STORE = `desk:${body.dataset.eventId}`;
const WARN_MS = 60000;

let phase = "pick";
const selection = new Set(); // ticket_ids, in the order they were picked
let hold = null; // {hold_id, tickets, deadline (this browser's clock), expires_at}
let ticker = null;
// What each seat of the order looks like (label, colour, price in cents), noted when it is picked
// and kept with the order, so a reload shows the order before its zones are read again.
let known = {};

export const isSelected = (ticketId) => selection.has(ticketId);
export const isMine = (ticketId) => !!hold && hold.tickets.includes(ticketId);

// --------------------------------------------------------------------------- words

/** {label, color, cents} of a seat: from the map when it is there, else as noted. */
function describe(id) {
  const seat = map.get(id);
  const z = seat && map.zone(seat.zone_id);
  if (seat && z) known[id] = { label: map.seatLabel(seat), color: z.color, cents: cents(z.price) };
  return known[id] || { label: id, color: "#64748b", cents: 0 };
}

const seatNames = (ids) => ids.map((id) => describe(id).label).join(", ");

// --------------------------------------------------------------------------- drawing

const total = (ids) => ids.reduce((sum, id) => sum + describe(id).cents, 0);

function line(id, removable) {
  const seat = describe(id);
  return h("li", { "data-ticket": id },
    h("i", { class: "swatch", style: `--zone:${seat.color}` }),
    h("span", { class: "what" }, seat.label),
    h("span", { class: "price" }, money(seat.cents)),
    removable ? h("button", { type: "button", class: "remove", "aria-label": gettext("Remove from the order"),
                              title: gettext("Remove from the order"), onclick: () => unpick(id) }, "×") : null);
}

const PHASE_WORDS = {
  pick: () => gettext("Picking seats"), holding: () => gettext("Holding…"), held: () => gettext("Seats held"),
  paying: () => gettext("Checking out…"), sold: () => gettext("Sold"),
};

function render() {
  $("order-phase").textContent = PHASE_WORDS[phase]();
  body.dataset.phase = phase;
  $("step-pick").hidden = !(phase === "pick" || phase === "holding");
  $("step-held").hidden = !(phase === "held" || phase === "paying");
  $("step-sold").hidden = phase !== "sold";
  const picked = [...selection];
  $("pick-list").replaceChildren(...picked.map((id) => line(id, phase === "pick")));
  $("pick-empty").hidden = picked.length > 0;
  $("pick-total").textContent = picked.length ? money(total(picked)) : "–";
  const button = $("hold");
  button.disabled = phase !== "pick" || !picked.length;
  button.textContent = picked.length
    ? interpolate(ngettext("Hold %(count)s seat", "Hold %(count)s seats", picked.length), { count: picked.length }, true)
    : gettext("Hold seats");
  if (hold) {
    $("held-list").replaceChildren(...hold.tickets.map((id) => line(id, false)));
    $("held-total").textContent = money(total(hold.tickets));
    $("held-until").textContent = interpolate(gettext("until %(time)s"), { time: clock(hold.expires_at) }, true);
    $("checkout").disabled = $("release").disabled = phase !== "held";
    $("checkout").textContent = interpolate(gettext("Check out · %(total)s"), { total: money(total(hold.tickets)) }, true);
  }
  tick();
}

function save() {
  try {
    const inOrder = [...selection, ...(hold ? hold.tickets : [])];
    known = Object.fromEntries(inOrder.map((id) => [id, describe(id)]));
    sessionStorage.setItem(STORE, JSON.stringify({ selection: [...selection], hold, sale: handover.current(),
                                                   zone: map.shownZone(), known }));
  } catch { /* private mode: the order lives as long as the page */ }
}

// --------------------------------------------------------------------------- picking

export function pick(seat) {
  if (!seat) return;
  if (phase !== "pick") {
    if (phase === "held") notice(gettext("Check out or release the seats held first; then pick more."), "info");
    return;
  }
  if (selection.has(seat.ticket_id)) unpick(seat.ticket_id);
  else if (map.isFree(seat)) {
    selection.add(seat.ticket_id);
    map.refresh([seat.ticket_id]);
    save();
    render();
  }
}

/** Several seats at once (best available): the free ones join the order. False while the
 * order is not picking. */
export function pickSeats(list) {
  if (phase !== "pick") {
    notice(gettext("Check out or release the seats held first; then pick more."), "info");
    return false;
  }
  const added = list.filter((seat) => map.isFree(seat) && !selection.has(seat.ticket_id)).map((seat) => seat.ticket_id);
  for (const id of added) selection.add(id);
  map.refresh(added);
  save();
  render();
  return true;
}

function unpick(id) {
  selection.delete(id);
  map.refresh([id]);
  save();
  render();
}

/** Seats changed on the map (live feed, a re-read, an expiry): a seat in the order that another
 * sale took leaves the order at once, and the clerk is told which. While this desk's own hold is
 * on its way, its seats turning "held" is that hold: judged when the answer comes. */
export function seatsChanged(ids) {
  if (phase !== "pick") {
    if (hold && ids.some(isMine)) render(); // its seats were (re)read: their words and prices
    return;
  }
  const lost = ids.filter((id) => selection.has(id) && !map.isFree(map.get(id)));
  if (!lost.length) return;
  for (const id of lost) selection.delete(id);
  map.refresh(lost);
  save();
  render();
  notice(interpolate(ngettext("Taken by another sale just now: %(seats)s. It is no longer in this order.",
                              "Taken by another sale just now: %(seats)s. They are no longer in this order.",
                              lost.length), { seats: seatNames(lost) }, true), "warn");
}

// --------------------------------------------------------------------------- holding

async function takeHold() {
  const ids = [...selection];
  if (!ids.length || phase !== "pick") return;
  phase = "holding";
  render();
  const sentAt = Date.now();
  try {
    const answer = await api.hold(ids, HOLD_SECONDS);
    // The server's clock started the hold after the request left, so this deadline is never late.
    hold = { hold_id: answer.hold_id, tickets: answer.tickets, deadline: sentAt + HOLD_SECONDS * 1000,
             expires_at: answer.expires_at };
    selection.clear();
    map.mark(hold.tickets, "held", hold.hold_id, Date.parse(answer.expires_at));
    phase = "held";
    notice("");
    save();
    render();
    $("buyer-name").focus();
  } catch (error) {
    phase = "pick";
    if (error.code === "seats_unavailable") {
      const taken = error.tickets.filter((id) => selection.has(id));
      for (const id of taken) selection.delete(id);
      notice(interpolate(gettext("Nothing was held: %(seats)s just went to another sale. The other seats are still in the order: hold them again."),
                         { seats: seatNames(taken) }, true), "warn");
      await map.reloadSeats(error.tickets);
    } else {
      notice(apiProblem(error, gettext("nothing was held.")), "bad");
    }
    save();
    render();
    map.refresh(ids);
  }
}

function tick() {
  if (!hold || (phase !== "held" && phase !== "paying")) {
    clearInterval(ticker);
    ticker = null;
    return;
  }
  if (!ticker) ticker = setInterval(tick, 250);
  const left = hold.deadline - Date.now();
  $("countdown").textContent = countdown(left);
  $("countdown-box").classList.toggle("warn", left < WARN_MS);
  if (left <= 0 && phase === "held") expired();
}

/** The hold is over (its time ran out, or the server said so): its seats are free for anyone;
 * they go back into the order so the clerk can hold them again. */
function expired() {
  const ids = hold.tickets;
  hold = null;
  map.mark(ids, "available");
  for (const id of ids) if (map.isFree(map.get(id))) selection.add(id);
  phase = "pick";
  notice(gettext("The hold ran out: the seats are free again, for anyone. They are still in this order: hold them again to go on."), "warn");
  save();
  render();
  map.refresh(ids);
}

async function release() {
  if (!hold || phase !== "held") return;
  const ids = hold.tickets;
  try {
    await api.release(hold.hold_id);
  } catch (error) {
    if (error.code !== "hold_expired") {
      notice(apiProblem(error, gettext("the seats are still held.")), "bad");
      return;
    }
  }
  hold = null;
  map.mark(ids, "available");
  phase = "pick";
  notice(gettext("Released: the seats are free again, for anyone."), "info");
  save();
  render();
}

// --------------------------------------------------------------------------- checkout

function buyer() {
  const value = (id) => $(id).value.trim();
  const details = { name: value("buyer-name") };
  if (value("buyer-email")) details.email = value("buyer-email");
  if (value("buyer-phone")) details.phone = value("buyer-phone");
  return details;
}

async function checkout(ev) {
  ev.preventDefault();
  if (!hold || phase !== "held") return;
  const details = buyer();
  phase = "paying";
  render();
  let answer = null;
  try {
    answer = await api.checkout(hold.hold_id, details);
  } catch (error) {
    // A checkout whose answer was lost, then retried, finds its hold gone: the tickets' ledger
    // says whether this very hold sold them.
    answer = error.code === "hold_expired" ? await handover.recover(hold) : null;
    if (!answer) {
      phase = "held";
      if (error.code === "hold_expired") expired();
      else {
        notice(apiProblem(error, gettext("the sale may not have gone through; check out again (a sale is never made twice).")), "bad");
        render();
      }
      return;
    }
  }
  const ids = hold.tickets;
  hold = null;
  map.mark(ids, "sold");
  phase = "sold";
  handover.show(answer.tickets, details);
  $("buyer").reset();
  notice("");
  save();
  render();
}

function nextSale() {
  handover.clear();
  phase = "pick";
  notice("");
  save();
  render();
}

// --------------------------------------------------------------------------- start

/** The order kept by this tab (a reload does not lose a hold or a sale being handed over);
 * returns the zone that was on the map. */
export function restore() {
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch { kept = null; }
  if (kept && kept.sale) {
    handover.show(kept.sale.tickets, kept.sale.buyer, kept.sale.at);
    phase = "sold";
  } else if (kept && kept.hold && kept.hold.deadline > Date.now()) {
    hold = kept.hold;
    phase = "held";
  } else if (kept && kept.hold) {
    notice(gettext("The hold of this order ran out while the page was closed: its seats are free again."), "warn");
  }
  for (const id of (kept && kept.selection) || []) selection.add(id);
  known = (kept && kept.known) || {};
  $("hold").addEventListener("click", takeHold);
  $("release").addEventListener("click", release);
  $("buyer").addEventListener("submit", checkout);
  $("next-sale").addEventListener("click", nextSale);
  handover.start();
  render();
  return (kept && kept.zone) || null;
}

/** A zone was shown: remember it with the order. */
export const zoneShown = save;
