// The seat map: every seat of the zones looked at, with its state, kept current by the live
// feed's `sales` changes (held, sold, released, offline, unassign, unsold) and re-read from the
// seats API on every (re)connect. Changes that arrive while a zone is being read wait and are
// applied after it, in order, so a read that started before a change cannot undo it.
//
// A big zone (more than BIG_ZONE seats: an arena's floor of thousands) is shown a section at a
// time (sections.js); only the section shown has buttons. "Best available" finds N free seats
// side by side; the search finds a seat or a row (docs/adr/0032). The seats and their states are
// kept in seatstate.js; this module re-exports what the desk's other modules read of them.
import { gettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import * as api from "./api.js";
import { cents, count, money } from "./format.js";
import { SOLD_STATES, UNASSIGNED_ROW, applyNow, fromRow, loaded, rowsAssigned, seatLabel, seats, set, zoneSeats,
         zones } from "./seatstate.js";
import { chooseSectionOf, choose, currentSection, drawSections, forget, isBig } from "./sections.js";

export { allZones, get, isFree, isLoaded, labelOf, seatLabel, setZones, zone } from "./seatstate.js";
export { BIG_ZONE, sections } from "./sections.js";

const buttons = new Map(); // ticket_id -> its button on the map (shown zone only)
let loading = 0;
let waiting = [];
let shown = null;
// The seat the finder pointed at, while its highlight runs (.seat.found: 2 x 1.6 s): a redraw in
// that time (its zone read again, another section shown and back) points at it again.
const POINTED_MS = 3200;
let pointed = null;
let hooks = { pick: () => {}, changed: () => {}, isSelected: () => false, isMine: () => false, shown: () => {} };

export const shownZone = () => shown;

/** pick(seat), changed(ticketIds), isSelected(ticketId), isMine(ticketId), shown(zoneId): the order's side. */
export function connect(orderHooks) {
  hooks = { ...hooks, ...orderHooks };
}

// --------------------------------------------------------------------------- state

async function load(zoneId) {
  loading += 1;
  const changed = [];
  try {
    const rows = await api.seats(zoneId, (read) => progress(zoneId, read));
    for (const row of rows) {
      const previous = seats.get(row.ticket_id);
      const seat = fromRow(row, previous);
      if (!previous || previous.state !== seat.state) changed.push(row.ticket_id);
      seats.set(row.ticket_id, seat);
    }
    loaded.add(zoneId);
    forget(zoneId);
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

/** What a seat is now, in words ("free", "sold"...). */
export const lookWords = (seat) => LOOK_WORDS[look(seat)]();

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
  recountSoon();
}

function progress(zoneId, read) {
  if (zoneId !== shown || loaded.has(zoneId)) return;
  const z = zones.get(zoneId);
  const note = document.getElementById("seats-loading");
  if (note && z && z.seats > 500) {
    note.textContent = interpolate(gettext("Loading seats… %(read)s of %(seats)s"),
                                   { read: count(read), seats: count(z.seats) }, true);
  }
}

/** Show one section of the shown zone (a big zone's row or block). */
export function showSection(key) {
  if (!shown) return;
  choose(shown, key);
  hooks.shown(shown);
  render();
}

let recountPending = false;
function recountSoon() {
  if (recountPending || !shown || !isBig(shown)) return;
  recountPending = true;
  requestAnimationFrame(() => {
    recountPending = false;
    drawSections(shown, showSection);
  });
}

function seatButton(seat) {
  const button = h("button", { type: "button", "data-ticket": seat.ticket_id, "data-seat": seat.seat_id,
                              onclick: () => hooks.pick(seats.get(seat.ticket_id)) }, String(seat.number));
  paint(button, seat);
  if (pointed && pointed.id === seat.ticket_id && performance.now() < pointed.until) button.classList.add("found");
  buttons.set(seat.ticket_id, button);
  return button;
}

const rowLabel = (row) => (row === UNASSIGNED_ROW ? gettext("Row not assigned") : interpolate(gettext("Row %(row)s"), { row }, true));

function render() {
  const box = $("seats");
  buttons.clear();
  box.replaceChildren();
  drawSections(shown, showSection);
  if (!shown || !loaded.has(shown)) {
    box.append(h("p", { class: "muted", id: "seats-loading" }, gettext("Loading seats…")));
    return;
  }
  const color = (zones.get(shown) || {}).color || "#64748b";
  box.style.setProperty("--zone", color);
  $("find").hidden = !isBig(shown); // a small zone is all on the map: nothing to look for
  if (isBig(shown)) {
    const section = currentSection(shown);
    if (!section) {
      box.append(h("p", { class: "muted" }, gettext("This zone has no seats.")));
      return;
    }
    const grid = h("div", { class: "seat-grid" }, ...section.seats.map(seatButton));
    const label = section.row === UNASSIGNED_ROW ? null : h("span", { class: "row-label" }, rowLabel(section.row));
    box.append(h("div", { class: "seat-row" }, label, grid));
    return;
  }
  const list = zoneSeats(shown);
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
  for (const [row, items] of rows) {
    const grid = h("div", { class: "seat-grid" }, ...items.map(seatButton));
    box.append(h("div", { class: "seat-row" }, labelled ? h("span", { class: "row-label" }, rowLabel(row)) : null, grid));
  }
}

// --------------------------------------------------------------------------- finding seats

/** N free seats side by side (consecutive numbers in one row) in a zone, not already in the
 * order: in the first row that has them (rows in the order of their first seat), as near the
 * row's middle as they fit when rows are assigned, else the lowest numbers. [] if none. */
export function together(zoneId, n) {
  const list = zoneSeats(zoneId);
  const byRow = new Map();
  for (const seat of list) {
    if (!byRow.has(seat.row)) byRow.set(seat.row, []);
    byRow.get(seat.row).push(seat);
  }
  const labelled = rowsAssigned(list);
  for (const [row, items] of byRow) {
    const runs = [];
    let run = [];
    for (const seat of items) {
      const ok = seat.state === "available" && !hooks.isSelected(seat.ticket_id);
      if (ok && run.length && seat.number === run[run.length - 1].number + 1) run.push(seat);
      else if (ok) { if (run.length >= n) runs.push(run); run = [seat]; }
      else { if (run.length >= n) runs.push(run); run = []; }
    }
    if (run.length >= n) runs.push(run);
    if (!runs.length) continue;
    if (!labelled || row === UNASSIGNED_ROW) return runs[0].slice(0, n);
    const middle = (items[0].number + items[items.length - 1].number) / 2;
    let best = null;
    let bestDistance = Infinity;
    for (const r of runs) {
      for (let i = 0; i + n <= r.length; i += 1) {
        const centre = (r[i].number + r[i + n - 1].number) / 2;
        const distance = Math.abs(centre - middle);
        if (distance < bestDistance) { best = r.slice(i, i + n); bestDistance = distance; }
      }
    }
    return best;
  }
  return [];
}

/** Bring a seat into view (its section first, in a big zone) and point at it. */
export function reveal(seat) {
  if (!seat) return;
  pointed = { id: seat.ticket_id, until: performance.now() + POINTED_MS };
  if (chooseSectionOf(seat)) render(); // a big zone: the seat's section first
  const button = buttons.get(seat.ticket_id);
  if (!button) return;
  button.scrollIntoView({ block: "nearest" });
  button.classList.remove("found");
  void button.offsetWidth; // restart the highlight
  button.classList.add("found");
}

/** A seat or row typed by the clerk, in the shown zone: a seat id ("B-1234"), a row ("row 12",
 * "fila 12"), a seat number ("1234"), or a row's name alone ("F"). {seat} | {row: its first seat}
 * | null. */
export function find(text) {
  const q = String(text || "").trim().toLowerCase();
  if (!q || !shown) return null;
  const list = zoneSeats(shown);
  const byId = list.find((s) => s.seat_id.toLowerCase() === q);
  if (byId) return { seat: byId };
  const rowWord = q.replace(/^(row|fila)\s+/, "");
  const inRow = (word) => list.find((s) => s.row !== UNASSIGNED_ROW && s.row.toLowerCase() === word);
  if (rowWord !== q && inRow(rowWord)) return { row: inRow(rowWord) };
  if (/^\d+$/.test(q)) {
    const seat = list.find((s) => s.number === Number(q));
    if (seat) return { seat };
  }
  if (inRow(q)) return { row: inRow(q) };
  return null;
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
      $("sections").hidden = $("sections-head").hidden = true;
      $("seats").replaceChildren(h("p", { class: "muted" },
        gettext("The seats could not be read. They are read again as soon as the connection is back.")));
    }
  }
}
