// The seats under the map: every seat of the zones read, with its state, and the event's zones.
// How a `sales` change from the live feed moves a seat's state is here; when to read, what to
// repaint and whom to tell is the map's (seats.js), which re-exports what its importers read.
import { gettext, interpolate } from "../i18n/gettext.js";
import { seatNumber } from "./format.js";

export const UNASSIGNED_ROW = "por asignar"; // the seeds' row before one is assigned
export const SOLD_STATES = new Set(["sold", "inside", "out"]);

export const seats = new Map(); // ticket_id -> {ticket_id, seat_id, number, zone_id, row, state, holdId, until}
export const zones = new Map(); // zone_id -> the event's zone (name, color, price, seats)
export const loaded = new Set();

export const get = (ticketId) => seats.get(ticketId);
export const zone = (zoneId) => zones.get(zoneId);
export const isFree = (seat) => !!seat && seat.state === "available";
export const isLoaded = (zoneId) => loaded.has(zoneId);

export function setZones(list) {
  zones.clear();
  for (const z of list) zones.set(z.zone_id, z);
}

export const allZones = () => [...zones.values()];

/** A zone's seats, by number. */
export const zoneSeats = (zoneId) => [...seats.values()].filter((s) => s.zone_id === zoneId).sort((a, b) => a.number - b.number);
export const rowsAssigned = (list) => list.some((s) => s.row !== UNASSIGNED_ROW);

/** A seat as read from the seats API; a hold still running keeps what this desk knew of it. */
export function fromRow(row, previous) {
  const keep = previous && previous.state === "held" && row.state === "held";
  return {
    ticket_id: row.ticket_id, seat_id: row.seat_id, number: Number(seatNumber(row.seat_id)), zone_id: row.zone_id,
    row: row.seat_row, state: row.state || (row.available ? "available" : "sold"),
    holdId: keep ? previous.holdId : null, until: keep ? previous.until : null,
  };
}

/** Set a seat's state; true if that changed it. */
export function set(ticketId, state, holdId = null, until = null) {
  const seat = seats.get(ticketId);
  if (!seat) return false; // a zone nobody looked at: read fresh when it is shown
  const same = seat.state === state && seat.holdId === holdId;
  Object.assign(seat, { state, holdId, until });
  return !same;
}

/** A `sales` change applied to the seats read; the ticket ids it changed. */
export function applyNow(msg) {
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
