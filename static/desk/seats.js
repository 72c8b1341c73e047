// The seat map: every seat of the zones looked at, with its state, kept current by the live
// feed's `sales` changes (held, sold, released, offline, unassign, unsold) and re-read from the
// seats API on every (re)connect. Changes that arrive while a zone is being read wait and are
// applied after it, in order, so a read that started before a change cannot undo it.
import { gettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import * as api from "./api.js";
import { cents, money, seatNumber } from "./format.js";

const UNASSIGNED_ROW = "por asignar"; // the seeds' row before one is assigned
const SOLD_STATES = new Set(["sold", "inside", "out"]);

const seats = new Map(); // ticket_id -> {ticket_id, seat_id, number, zone_id, row, state, holdId, until}
const zones = new Map(); // zone_id -> the event's zone (name, color, price, seats)
const loaded = new Set();
const buttons = new Map(); // ticket_id -> its button on the map (shown zone only)
let loading = 0;
let waiting = [];
let shown = null;
let hooks = { pick: () => {}, changed: () => {}, isSelected: () => false, isMine: () => false, shown: () => {} };

export const get = (ticketId) => seats.get(ticketId);
export const zone = (zoneId) => zones.get(zoneId);
export const shownZone = () => shown;
export const isFree = (seat) => !!seat && seat.state === "available";

/** pick(seat), changed(ticketIds), isSelected(ticketId), isMine(ticketId), shown(zoneId): the order's side. */
export function connect(orderHooks) {
  hooks = { ...hooks, ...orderHooks };
}

export function setZones(list) {
  zones.clear();
  for (const z of list) zones.set(z.zone_id, z);
}

export const allZones = () => [...zones.values()];

// --------------------------------------------------------------------------- state

function fromRow(row, previous) {
  const keep = previous && previous.state === "held" && row.state === "held";
  return {
    ticket_id: row.ticket_id, seat_id: row.seat_id, number: Number(seatNumber(row.seat_id)), zone_id: row.zone_id,
    row: row.seat_row, state: row.state || (row.available ? "available" : "sold"),
    holdId: keep ? previous.holdId : null, until: keep ? previous.until : null,
  };
}

async function load(zoneId) {
  loading += 1;
  const changed = [];
  try {
    const rows = await api.seats(zoneId);
    for (const row of rows) {
      const previous = seats.get(row.ticket_id);
      const seat = fromRow(row, previous);
      if (!previous || previous.state !== seat.state) changed.push(row.ticket_id);
      seats.set(row.ticket_id, seat);
    }
    loaded.add(zoneId);
    if (zoneId === shown) render();
  } finally {
    loading -= 1;
    settle(changed);
  }
}

// After the last read in flight: the changes that waited, then one notice to the order.
function settle(changed) {
  if (loading) {
    waiting.push({ changed });
    return;
  }
  const queued = waiting;
  waiting = [];
  for (const item of queued) changed.push(...(item.message ? applyNow(item.message) : item.changed));
  if (changed.length) {
    refresh(changed);
    hooks.changed([...new Set(changed)]);
  }
}

function set(ticketId, state, holdId = null, until = null) {
  const seat = seats.get(ticketId);
  if (!seat) return false; // a zone nobody looked at: read fresh when it is shown
  const same = seat.state === state && seat.holdId === holdId;
  Object.assign(seat, { state, holdId, until });
  return !same;
}

function applyNow(msg) {
  const ids = msg.tickets || [];
  const done = [];
  for (const id of ids) {
    const seat = seats.get(id);
    if (!seat) continue;
    let changed = false;
    switch (msg.action) {
      case "held":
        changed = set(id, "held", msg.hold_id, msg.expires_at ? Date.parse(msg.expires_at) : null);
        break;
      case "sold":
        changed = set(id, "sold");
        break;
      case "released": {
        // Only a held seat comes free, and only from its own hold: a sold ticket may still carry
        // an expired hold that the sweep releases later (docs/adr/0010).
        const holds = msg.hold_id ? [msg.hold_id] : msg.holds || [];
        if (seat.state === "held" && (!seat.holdId || holds.includes(seat.holdId))) changed = set(id, "available");
        break;
      }
      case "offline":
        changed = set(id, "box_office");
        break;
      case "unassign":
      case "unsold":
        if (seat.state === "box_office" || SOLD_STATES.has(seat.state)) changed = set(id, "available");
        break;
      default:
        break;
    }
    if (changed) done.push(id);
  }
  return done;
}

/** A `sales` change from the live feed. */
export function apply(msg) {
  if (loading) {
    waiting.push({ message: msg });
    return;
  }
  const changed = applyNow(msg);
  if (changed.length) {
    refresh(changed);
    hooks.changed(changed);
  }
}

/** What this desk learnt from its own requests (its hold, checkout, release). */
export function mark(ticketIds, state, holdId = null, until = null) {
  const changed = ticketIds.filter((id) => set(id, state, holdId, until));
  refresh(ticketIds);
  return changed;
}

/** Another sale's hold ran out: by the database's rule the seat is free at once, whether or not
 * the sweep has announced it yet. */
export function expireHolds(now = Date.now()) {
  const freed = [];
  for (const seat of seats.values()) {
    if (seat.state === "held" && seat.until && seat.until <= now && !hooks.isMine(seat.ticket_id)) {
      set(seat.ticket_id, "available");
      freed.push(seat.ticket_id);
    }
  }
  if (freed.length) {
    refresh(freed);
    hooks.changed(freed);
  }
}

/** Read again every zone already read (after a (re)connect: messages may have been missed). */
export function reloadAll() {
  const ids = new Set([...loaded, ...(shown ? [shown] : [])]);
  return Promise.all([...ids].map((z) => load(z).catch(() => {})));
}

/** Read again the zones of these seats (a hold was refused for them). */
export function reloadSeats(ticketIds) {
  const ids = new Set(ticketIds.map((t) => seats.get(t)).filter(Boolean).map((s) => s.zone_id));
  return Promise.all([...ids].map((z) => load(z).catch(() => {})));
}

// --------------------------------------------------------------------------- drawing

export function look(seat) {
  if (hooks.isMine(seat.ticket_id) && seat.state === "held") return "mine";
  if (seat.state === "available") return hooks.isSelected(seat.ticket_id) ? "selected" : "available";
  if (SOLD_STATES.has(seat.state)) return "sold";
  return seat.state; // held, box_office
}

const LOOK_WORDS = {
  available: () => gettext("free"),
  selected: () => gettext("in this order"),
  mine: () => gettext("held for this order"),
  held: () => gettext("held by another sale"),
  box_office: () => gettext("at a box office"),
  sold: () => gettext("sold"),
};

/** "Ringside · seat 12", or "Ringside · row 3 · seat 12" once rows are assigned. */
export function labelOf(zoneName, row, number) {
  if (row && row !== UNASSIGNED_ROW) {
    return interpolate(gettext("%(zone)s · row %(row)s · seat %(seat)s"), { zone: zoneName, row, seat: number }, true);
  }
  return interpolate(gettext("%(zone)s · seat %(seat)s"), { zone: zoneName, seat: number }, true);
}

export function seatLabel(seat) {
  const z = zones.get(seat.zone_id);
  return labelOf(z ? z.name : seat.zone_id, seat.row, seat.number);
}

function paint(button, seat) {
  const kind = look(seat);
  button.className = `seat seat-${kind}`;
  button.dataset.look = kind;
  button.setAttribute("aria-pressed", kind === "selected" ? "true" : "false");
  button.setAttribute("aria-disabled", kind === "available" || kind === "selected" ? "false" : "true");
  const z = zones.get(seat.zone_id);
  button.title = `${seatLabel(seat)} · ${z ? money(cents(z.price)) : ""} · ${LOOK_WORDS[kind]()}`;
}

/** Repaint these seats if they are on the map. */
export function refresh(ticketIds) {
  for (const id of ticketIds) {
    const button = buttons.get(id);
    const seat = seats.get(id);
    if (button && seat) paint(button, seat);
  }
}

function render() {
  const box = $("seats");
  buttons.clear();
  box.replaceChildren();
  if (!shown || !loaded.has(shown)) {
    box.append(h("p", { class: "muted" }, gettext("Loading seats…")));
    return;
  }
  const list = [...seats.values()].filter((s) => s.zone_id === shown).sort((a, b) => a.number - b.number);
  if (!list.length) {
    box.append(h("p", { class: "muted" }, gettext("This zone has no seats.")));
    return;
  }
  const rows = new Map();
  for (const seat of list) {
    if (!rows.has(seat.row)) rows.set(seat.row, []);
    rows.get(seat.row).push(seat);
  }
  const labelled = rows.size > 1 || !rows.has(UNASSIGNED_ROW);
  const color = (zones.get(shown) || {}).color || "#64748b";
  box.style.setProperty("--zone", color);
  for (const [row, items] of rows) {
    const grid = h("div", { class: "seat-grid" });
    for (const seat of items) {
      const button = h("button", { type: "button", "data-ticket": seat.ticket_id, "data-seat": seat.seat_id,
                                  onclick: () => hooks.pick(seats.get(seat.ticket_id)) }, String(seat.number));
      paint(button, seat);
      buttons.set(seat.ticket_id, button);
      grid.append(button);
    }
    const label = !labelled ? null : h("span", { class: "row-label" },
      row === UNASSIGNED_ROW ? gettext("Row not assigned") : interpolate(gettext("Row %(row)s"), { row }, true));
    box.append(h("div", { class: "seat-row" }, label, grid));
  }
}

/** Show a zone on the map (its seats are read if they never were). */
export async function showZone(zoneId) {
  shown = zoneId;
  hooks.shown(zoneId);
  const z = zones.get(zoneId);
  $("zone-title").textContent = z ? z.name : "";
  $("zone-price").textContent = z ? money(cents(z.price)) : "";
  render();
  if (loaded.has(zoneId)) return;
  try {
    await load(zoneId);
  } catch {
    if (shown === zoneId) {
      $("seats").replaceChildren(h("p", { class: "muted" },
        gettext("The seats could not be read. They are read again as soon as the connection is back.")));
    }
  }
}
