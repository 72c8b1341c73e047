// The seat map: every seat of the zones looked at, with its state, kept current by the live
// feed's `sales` changes (held, sold, released, offline, unassign, unsold) and re-read from the
// seats API on every (re)connect. Changes that arrive while a zone is being read wait and are
// applied after it, in order, so a read that started before a change cannot undo it.
//
// A big zone (more than BIG_ZONE seats: an arena's floor of thousands) is shown a section at a
// time: its rows, or blocks of SECTION_SIZE seats while rows are not assigned, each with its free
// seats counted live; only the section shown has buttons. "Best available" finds N free seats
// side by side; the search finds a seat or a row (docs/adr/0032).
import { gettext, ngettext, pgettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import * as api from "./api.js";
import { cents, count, money, seatNumber } from "./format.js";

const UNASSIGNED_ROW = "por asignar"; // the seeds' row before one is assigned
const SOLD_STATES = new Set(["sold", "inside", "out"]);

export const BIG_ZONE = 240; // more seats than this: shown a section at a time
const SECTION_SIZE = 100; // seats per section where rows are not assigned (and per part of a long row)

const seats = new Map(); // ticket_id -> {ticket_id, seat_id, number, zone_id, row, state, holdId, until}
const sectionsOf = new Map(); // zone_id -> [{key, label, row, seats: [seat...]}] (big zones, built on each read)
const sectionShown = new Map(); // zone_id -> the key of the section on the map
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
export const isLoaded = (zoneId) => loaded.has(zoneId);

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
    const rows = await api.seats(zoneId, (read) => progress(zoneId, read));
    for (const row of rows) {
      const previous = seats.get(row.ticket_id);
      const seat = fromRow(row, previous);
      if (!previous || previous.state !== seat.state) changed.push(row.ticket_id);
      seats.set(row.ticket_id, seat);
    }
    loaded.add(zoneId);
    sectionsOf.delete(zoneId);
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

/** What a seat is now, in words ("free", "sold"...). */
export const lookWords = (seat) => LOOK_WORDS[look(seat)]();

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

const zoneSeats = (zoneId) => [...seats.values()].filter((s) => s.zone_id === zoneId).sort((a, b) => a.number - b.number);
const rowsAssigned = (list) => list.some((s) => s.row !== UNASSIGNED_ROW);

/** A big zone's sections: each row in the order of its first seat (split in parts of
 * SECTION_SIZE if longer), or blocks of SECTION_SIZE seats while rows are not assigned. */
export function sections(zoneId) {
  if (sectionsOf.has(zoneId)) return sectionsOf.get(zoneId);
  const list = zoneSeats(zoneId);
  const byRow = new Map();
  for (const seat of list) {
    if (!byRow.has(seat.row)) byRow.set(seat.row, []);
    byRow.get(seat.row).push(seat);
  }
  const labelled = rowsAssigned(list);
  const result = [];
  for (const [row, items] of byRow) {
    for (let i = 0; i < items.length; i += SECTION_SIZE) {
      const part = items.slice(i, i + SECTION_SIZE);
      const range = `${part[0].number}–${part[part.length - 1].number}`;
      // `label` in sentences and tooltips; `short` on the section's button.
      let label;
      let short;
      if (!labelled || row === UNASSIGNED_ROW) {
        label = interpolate(gettext("Seats %(range)s"), { range }, true);
        short = range;
      } else if (items.length > SECTION_SIZE) {
        label = short = interpolate(gettext("Row %(row)s · %(range)s"), { row, range }, true);
      } else {
        label = short = interpolate(gettext("Row %(row)s"), { row }, true);
      }
      result.push({ key: `${row}|${part[0].number}`, label, short, row, seats: part });
    }
  }
  sectionsOf.set(zoneId, result);
  return result;
}

const isBig = (zoneId) => {
  const z = zones.get(zoneId);
  return loaded.has(zoneId) && ((z && z.seats > BIG_ZONE) || zoneSeats(zoneId).length > BIG_ZONE);
};
const freeIn = (section) => section.seats.reduce((n, s) => n + (s.state === "available" ? 1 : 0), 0);

function currentSection(zoneId) {
  const list = sections(zoneId);
  const key = sectionShown.get(zoneId);
  const found = list.find((x) => x.key === key);
  if (found) return found;
  const first = list.find((x) => freeIn(x) > 0) || list[0];
  if (first) sectionShown.set(zoneId, first.key);
  return first;
}

/** Show one section of the shown zone (a big zone's row or block). */
export function showSection(key) {
  if (!shown) return;
  sectionShown.set(shown, key);
  hooks.shown(shown);
  render();
}

let recountPending = false;
function recountSoon() {
  if (recountPending || !shown || !isBig(shown)) return;
  recountPending = true;
  requestAnimationFrame(() => {
    recountPending = false;
    drawSections();
  });
}

/** The section strip of a big zone: a button per section with its free seats, kept current. */
function drawSections() {
  const strip = $("sections");
  if (!shown || !isBig(shown)) {
    strip.hidden = true;
    strip.replaceChildren();
    $("sections-head").hidden = true;
    return;
  }
  const list = sections(shown);
  const current = currentSection(shown);
  strip.style.setProperty("--zone", (zones.get(shown) || {}).color || "#64748b");
  strip.hidden = false;
  $("sections-head").hidden = false;
  const byRow = list.some((x) => x.row !== UNASSIGNED_ROW);
  for (const span of $("sections-head").children) span.hidden = (span.dataset.kind === "rows") !== byRow;
  const existing = new Map([...strip.children].map((b) => [b.dataset.section, b]));
  const wanted = list.map((x) => {
    const free = freeIn(x);
    const button = existing.get(x.key) || h("button", { type: "button", class: "section", "data-section": x.key,
                                                       onclick: () => showSection(x.key) },
                                            h("span", { class: "section-name" }), h("span", { class: "section-free" }),
                                            h("span", { class: "section-bar" }, h("i")));
    button.classList.toggle("on", x === current);
    button.classList.toggle("full", free === 0);
    button.setAttribute("aria-pressed", x === current ? "true" : "false");
    button.children[0].textContent = x.short;
    button.children[1].textContent = free ? interpolate(ngettext("%(count)s free", "%(count)s free", free),
                                                       { count: count(free) }, true) : pgettext("section of seats", "full");
    button.children[2].firstChild.style.width = `${Math.round((100 * free) / x.seats.length)}%`;
    button.title = interpolate(gettext("%(section)s: %(free)s of %(seats)s seats free"),
                               { section: x.label, free: count(free), seats: count(x.seats.length) }, true);
    return button;
  });
  if (wanted.length !== strip.children.length || wanted.some((b, i) => strip.children[i] !== b)) strip.replaceChildren(...wanted);
  // The section on the map stays in sight in the strip (a search may have picked one far down).
  const on = wanted[list.indexOf(current)];
  if (on && (on.offsetTop < strip.scrollTop || on.offsetTop + on.offsetHeight > strip.scrollTop + strip.clientHeight)) {
    strip.scrollTop = on.offsetTop - (strip.clientHeight - on.offsetHeight) / 2;
  }
}

function seatButton(seat) {
  const button = h("button", { type: "button", "data-ticket": seat.ticket_id, "data-seat": seat.seat_id,
                              onclick: () => hooks.pick(seats.get(seat.ticket_id)) }, String(seat.number));
  paint(button, seat);
  buttons.set(seat.ticket_id, button);
  return button;
}

const rowLabel = (row) => (row === UNASSIGNED_ROW ? gettext("Row not assigned") : interpolate(gettext("Row %(row)s"), { row }, true));

function render() {
  const box = $("seats");
  buttons.clear();
  box.replaceChildren();
  drawSections();
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
  if (isBig(seat.zone_id)) {
    const section = sections(seat.zone_id).find((x) => x.seats.includes(seat));
    if (section && sectionShown.get(seat.zone_id) !== section.key) {
      sectionShown.set(seat.zone_id, section.key);
      render();
    }
  }
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
