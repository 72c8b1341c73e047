// Handing the tickets over after a checkout: each ticket's QR code on screen (an SVG the server
// draws, GET /tickets/{id}/qr), the printed tickets as PDF (A4 or an 80 mm receipt printer,
// GET /tickets.pdf?tickets=...) and an email to the buyer (POST /emails, PDF attached).
import { gettext, ngettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import * as api from "./api.js";
import { cents, clock, money } from "./format.js";
import { labelOf } from "./seats.js";

let sale = null; // {tickets: [the checkout's tickets], buyer, at}

export const current = () => sale;

/** The few fields of a sold ticket the hand-over shows (kept in sessionStorage across a reload). */
const keep = (t) => ({ ticket_id: t.ticket_id, zone: t.zone, color: t.color, seat_number: t.seat_number,
                       seat_row: t.seat_row, reference: t.reference, price: t.price });

export function show(tickets, buyer, at = Date.now()) {
  sale = { tickets: tickets.map(keep), buyer, at };
  const ids = sale.tickets.map((t) => t.ticket_id);
  const sum = sale.tickets.reduce((s, t) => s + cents(t.price), 0);
  $("sold-summary").textContent = interpolate(
    ngettext("%(count)s ticket sold to %(name)s · %(total)s", "%(count)s tickets sold to %(name)s · %(total)s", ids.length),
    { count: ids.length, name: buyer.name || "–", total: money(sum) }, true);
  $("sold-at").textContent = interpolate(ngettext(
    "Sold at %(time)s. Show the code to the buyer, print it or email it.",
    "Sold at %(time)s. Show the codes to the buyer, print them or email them.", ids.length), { time: clock(new Date(at)) }, true);
  $("sold-tickets").replaceChildren(...sale.tickets.map((t) => {
    const label = labelOf(t.zone, t.seat_row, t.seat_number);
    return h("figure", { class: "ticket", "data-ticket": t.ticket_id, style: `--zone:${t.color}` },
      h("img", { class: "qr", src: api.qrUrl(t.ticket_id), width: "168", height: "168",
                 alt: interpolate(gettext("QR code of %(seat)s"), { seat: label }, true) }),
      h("figcaption", null,
        h("strong", null, label),
        h("span", { class: "ref" }, gettext("Reference"), " ", h("code", null, t.reference)),
        h("span", { class: "price" }, money(cents(t.price)))));
  }));
  $("pdf-a4").href = api.pdfUrl(ids, "a4");
  $("pdf-thermal").href = api.pdfUrl(ids, "thermal");
  $("email-to").value = buyer.email || "";
  $("email-result").textContent = "";
}

export function clear() {
  sale = null;
  $("sold-tickets").replaceChildren();
  $("email-result").textContent = "";
}

/** Whether a hold that is gone was sold by its own checkout (whose answer never arrived): every
 * one of its tickets has a `sold` ledger entry naming the hold. The tickets, or null. */
export async function recover(hold) {
  try {
    const tickets = await Promise.all(hold.tickets.map((id) => api.ticket(id)));
    const soldByHold = (t) => (t.ledger || []).some((e) => e.action === "sold" && e.metadata && e.metadata.hold_id === hold.hold_id);
    return tickets.every(soldByHold) ? { tickets } : null;
  } catch {
    return null;
  }
}

async function send(ev) {
  ev.preventDefault();
  if (!sale) return;
  const to = $("email-to").value.trim();
  const result = $("email-result");
  const button = $("email-send");
  button.disabled = true;
  result.className = "small";
  result.textContent = gettext("Sending…");
  try {
    await api.email({ to, tickets: sale.tickets.map((t) => t.ticket_id), name: sale.buyer.name || "" });
    result.className = "small ok";
    result.textContent = interpolate(gettext("Sent to %(to)s at %(time)s."), { to, time: clock(new Date()) }, true);
  } catch (error) {
    result.className = "small bad";
    result.textContent = error.status === 0
      ? gettext("No answer from the server: the email may not have gone. Send it again.")
      : error.message;
  } finally {
    button.disabled = false;
  }
}

export function start() {
  $("email-form").addEventListener("submit", send);
}
