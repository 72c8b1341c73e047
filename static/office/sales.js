// Sales made at this box office: each seat sold is one sale with its own sale_id, stored on the
// device first (the till and the upload queue), then uploaded to POST /api/v1/offices/{id}/sync,
// at once when online and automatically when the connection returns (idempotent by sale_id, so
// a retry never sells twice). A sale the server refuses (already_sold, not_assigned) is money
// taken for a seat this office could not sell: a refund, shown until the clerk marks it done.
import { NetworkError, api, handleAuthError, officePath } from "./api.js";
import { cents } from "./format.js";
import * as state from "./state.js";
import { allSales, pendingSales, putSales, saveStock } from "./store.js";

const SYNC_BATCH = 200;
const SYNC_RETRY_MS = 3000;
export const PAYMENT_METHODS = ["cash", "card"];

let lastSync = 0;
let onSynced = () => {};

/** Called after every upload that got answers (app.js: redraw the refunds and the seats). */
export function onSalesSynced(handler) {
  onSynced = handler;
}

/** A random (version 4) UUID; crypto.randomUUID exists only on secure (HTTPS) pages. */
export function uuid4() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The buyer as the API takes it (tickets/holds.py check_buyer), or null when nothing was typed. */
function cleanBuyer(buyer) {
  const out = {};
  for (const [key, value] of Object.entries(buyer || {})) {
    const text = String(value || "").trim();
    if (text) out[key] = text;
  }
  return Object.keys(out).length ? out : null;
}

/** Sells the picked seats: stored on this device at once (works offline); resolves to the sales. */
export async function sell({ ticketIds, buyer, paymentMethod }) {
  const stock = state.stock();
  if (state.stopped() || !stock) throw new Error("not selling");
  if (!PAYMENT_METHODS.includes(paymentMethod)) throw new Error("payment method");
  const tickets = ticketIds.map((id) => stock.tickets.get(id));
  if (!tickets.length || tickets.some((t) => !t || !stock.available(t))) throw new Error("seat not available");
  const soldAt = new Date(Date.now() + state.clockOffsetMs()).toISOString();
  const receipt = uuid4();
  const device = state.device();
  const sales = tickets.map((ticket) => {
    const zone = stock.zoneOf(ticket);
    return {
      sale_id: uuid4(), receipt_id: receipt, office_id: state.officeId(), device_id: device.device_id,
      ticket_id: ticket.ticket_id, seat_id: ticket.seat_id, seat_row: ticket.seat_row, zone_id: ticket.zone_id,
      zone: zone.name, color: zone.color, code: ticket.code, reference: ticket.reference,
      price: zone.price, price_cents: cents(zone.price), currency: stock.meta.event.currency,
      payment_method: paymentMethod, buyer: cleanBuyer(buyer), sold_at: soldAt,
      pending: 1, result: null, reason: null, conflict: false, acknowledged_at: null,
    };
  });
  await putSales(sales);
  for (const sale of sales) stock.localSold.add(sale.ticket_id);
  state.setPending(state.pending() + sales.length);
  if (state.mode() === "online") syncQueue();
  return sales;
}

/** The sales of this device, at start: the seats they took stay taken, and the queue its size. */
export async function loadLocalSales() {
  const stock = state.stock();
  const sales = await allSales(state.officeId());
  if (stock) {
    for (const sale of sales) if (sale.result !== "rejected") stock.localSold.add(sale.ticket_id);
  }
  state.setPending(sales.filter((s) => s.pending === 1).length);
  return sales;
}

export function syncIfDue(now) {
  if (state.pending() > 0 && now - lastSync >= SYNC_RETRY_MS) syncQueue();
}

/** Uploads every pending sale; resolves to how many the server answered. */
export async function syncQueue() {
  if (state.syncing() || state.stopped() || !state.officeId()) return 0;
  state.setSyncing(true);
  lastSync = Date.now();
  let answered = 0;
  try {
    let pending = await pendingSales(state.officeId());
    while (pending.length) {
      const batch = pending.slice(0, SYNC_BATCH);
      const body = await api(officePath("/sync"), {
        method: "POST", timeout: 20000,
        body: { sales: batch.map((s) => ({ sale_id: s.sale_id, ticket_id: s.ticket_id, sold_at: s.sold_at,
          ...(s.buyer ? { buyer: s.buyer } : {}), payment_method: s.payment_method })) },
      });
      const answers = new Map((body.results || []).map((r) => [r.sale_id, r]));
      const updated = batch.filter((s) => answers.has(s.sale_id)).map((sale) => learn(sale, answers.get(sale.sale_id)));
      await putSales(updated);
      answered += updated.length;
      pending = pending.slice(batch.length);
    }
    state.setPending((await pendingSales(state.officeId())).length);
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  } finally {
    state.setSyncing(false);
  }
  if (answered) onSynced();
  return answered;
}

/** The server's answer to one sale, kept on the sale and taught to the stock. */
function learn(sale, answer) {
  const stock = state.stock();
  const updated = { ...sale, pending: 0, result: answer.result, reason: answer.reason,
    conflict: answer.result === "rejected", synced_at: new Date().toISOString() };
  const ticket = stock && stock.tickets.get(sale.ticket_id);
  if (answer.result === "accepted" && ticket) {
    ticket.state = "sold";
    ticket.price = sale.price;
    saveStock(stock.meta, [ticket], []).catch(() => {});
  } else if (answer.result === "rejected" && ticket) {
    // Not this office's to sell any more: off the picker now; the next refresh says what it is.
    ticket.state = "unavailable";
    saveStock(stock.meta, [ticket], []).catch(() => {});
  }
  return updated;
}

/** Refused sales the clerk has not yet refunded (marked done), oldest first. */
export async function openRefunds() {
  return (await allSales(state.officeId())).filter((s) => s.conflict && !s.acknowledged_at);
}

export async function acknowledgeRefund(saleId) {
  const sale = (await allSales(state.officeId())).find((s) => s.sale_id === saleId);
  if (!sale) return;
  await putSales([{ ...sale, acknowledged_at: new Date().toISOString() }]);
}
