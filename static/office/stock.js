// The office's stock on this device: read back from IndexedDB at start, then kept fresh from
// GET /api/v1/offices/{id}/stock (whole the first time, deltas by `since` after, like the door
// scanner's manifest) while online. A seat is for sale here while the server says `box_office`
// and this device has not sold it (its own sales, uploaded or not, count at once).
import { api, handleAuthError, officePath } from "./api.js";
import * as state from "./state.js";
import { clearStock, loadStock, saveStock } from "./store.js";

const REFRESH_MS = 15000;

export class Stock {
  constructor(meta = {}, tickets = []) {
    this.meta = meta;
    this.tickets = new Map(tickets.map((t) => [t.ticket_id, t]));
    this.localSold = new Set(); // ticket_ids this device sold (pending or accepted)
  }

  get version() {
    return this.meta.version;
  }

  /** Applies a stock answer; returns [changed tickets, removed ticket_ids]. */
  apply(data) {
    const { tickets = [], returned = [], ...meta } = data;
    this.meta = meta;
    for (const ticket of tickets) this.tickets.set(ticket.ticket_id, ticket);
    for (const ticketId of returned) this.tickets.delete(ticketId);
    return [tickets, returned];
  }

  zones() {
    return this.meta.zones || [];
  }

  zoneOf(ticket) {
    return this.zones().find((z) => z.zone_id === ticket.zone_id) || { zone_id: ticket.zone_id, name: ticket.zone_id, color: "#64748b", price: "0.00" };
  }

  available(ticket) {
    return ticket.state === "box_office" && !this.localSold.has(ticket.ticket_id);
  }

  /** This zone's tickets, in seat order. */
  inZone(zoneId) {
    return [...this.tickets.values()].filter((t) => t.zone_id === zoneId)
      .sort((a, b) => (a.seat_number || 0) - (b.seat_number || 0));
  }

  counts(zoneId) {
    const tickets = this.inZone(zoneId);
    return { total: tickets.length, available: tickets.filter((t) => this.available(t)).length };
  }

  summary() {
    const available = [...this.tickets.values()].filter((t) => this.available(t)).length;
    return { version: this.version, tickets: this.tickets.size, available, zones: this.zones().length };
  }
}

/** The stored stock of this office, at start (or after pairing). */
export async function loadLocalStock() {
  const device = state.device();
  try {
    const stored = await loadStock();
    if (stored && stored.meta.office && stored.meta.office.office_id === state.officeId()) {
      state.setStock(new Stock(stored.meta, stored.tickets));
    } else if (stored) {
      await clearStock();
    }
  } catch (error) {
    console.error("could not read the stock on this device", error);
  }
  document.body.dataset.stock = state.stock() ? "ready" : "none";
  return device;
}

let busy = false;
let lastRefresh = 0;
let onChange = () => {};

/** Called after every refresh that changed something (app.js: redraw). */
export function onStockChange(handler) {
  onChange = handler;
}

export function refreshStockIfDue(now) {
  if (now - lastRefresh >= REFRESH_MS) refreshStock();
}

export async function refreshStock() {
  if (busy || state.stopped() || state.mode() !== "online" || !state.officeId()) return;
  busy = true;
  lastRefresh = Date.now();
  try {
    const current = state.stock();
    const since = current && current.version != null ? current.version : null;
    const data = await api(officePath(`/stock${since != null ? `?since=${encodeURIComponent(since)}` : ""}`), { timeout: 30000 });
    const full = since == null || data.full === true;
    const stock = full ? new Stock() : current;
    if (full && current) stock.localSold = current.localSold;
    const [changed, removed] = stock.apply(data);
    await saveStock(stock.meta, full ? [...stock.tickets.values()] : changed, removed, { replace: full });
    state.setStock(stock);
    document.body.dataset.stock = "ready";
    document.body.dataset.stockVersion = String(stock.version);
    if (full || changed.length || removed.length) onChange();
  } catch (error) {
    if (!handleAuthError(error)) console.warn("stock refresh failed", error.message);
  } finally {
    busy = false;
  }
}
