// Handing the buyer their tickets with no connection: each ticket drawn on the device (event,
// local date and time, zone and colour, seat, row, price, the QR of its signed code, the
// reference printed under it) and printed through the browser's print dialog, on an 80 mm
// thermal roll or A4 sheets (print.css: one named page per layout).
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import encodeQR from "../vendor/qr/index.js";
import { dateTime, money } from "./format.js";
import { $, el } from "./page.js";
import { paintSwatches } from "./picker.js";
import * as state from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const METHOD_WORDS = { cash: () => gettext("Cash"), card: () => gettext("Card") };
export const methodWord = (method) => (METHOD_WORDS[method] ? METHOD_WORDS[method]() : gettext("Not recorded"));

/** The QR of `code` as an SVG element: drawn here, from the signed code, with no network. */
export function qrSvg(code) {
  const markup = encodeQR(code, "svg", { ecc: "medium", border: 4 });
  const svg = new DOMParser().parseFromString(markup, "image/svg+xml").documentElement;
  const node = document.importNode(svg, true);
  node.setAttribute("shape-rendering", "crispEdges");
  node.setAttribute("role", "img");
  node.setAttribute("aria-label", gettext("Ticket QR code"));
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", "100%");
  background.setAttribute("height", "100%");
  background.setAttribute("fill", "#fff");
  node.prepend(background);
  return node;
}

/** "KD7HX3RF" -> "KD7H X3RF": easier to read out and type. */
const spaced = (reference) => String(reference || "").replace(/(.{4})(?=.)/g, "$1 ");

function ticketCard(sale, event) {
  const row = sale.seat_row && sale.seat_row !== "por asignar" ? sale.seat_row : "—";
  return el("article", { className: "ticket", dataset: { ticket: sale.ticket_id, code: sale.code } },
    el("header", { className: "ticket-head" },
      el("div", { className: "ticket-event", textContent: event.name }),
      el("div", { className: "ticket-when", textContent: dateTime(event.date_start) }),
      event.venue ? el("div", { className: "ticket-venue", textContent: event.venue }) : null),
    el("div", { className: "ticket-zone", dataset: { color: sale.color } },
      el("span", { className: "swatch", dataset: { color: sale.color } }), el("span", { textContent: sale.zone })),
    el("dl", { className: "ticket-seat" },
      el("div", {}, el("dt", { textContent: gettext("Seat") }), el("dd", { textContent: sale.seat_id })),
      el("div", {}, el("dt", { textContent: gettext("Row") }), el("dd", { textContent: row })),
      el("div", {}, el("dt", { textContent: gettext("Price") }), el("dd", { textContent: money(sale.price_cents, sale.currency) }))),
    el("div", { className: "ticket-qr" }, qrSvg(sale.code)),
    el("div", { className: "ticket-reference", textContent: spaced(sale.reference) }),
    el("footer", { className: "ticket-foot", textContent: interpolate(gettext("Sold at %(office)s, %(when)s · %(method)s"),
      { office: (state.device().office || {}).name || "", when: dateTime(sale.sold_at), method: methodWord(sale.payment_method) }, true) }));
}

/** Shows the tickets of one sale (a receipt's sales) ready to hand over and print. */
export function showHandover(sales) {
  const event = state.stock().meta.event;
  const total = sales.reduce((sum, s) => sum + s.price_cents, 0);
  $("handover-title").textContent = interpolate(ngettext("%(count)s ticket sold", "%(count)s tickets sold", sales.length), { count: sales.length }, true);
  $("handover-lead").textContent = interpolate(gettext("%(total)s · %(method)s. Show the QR codes or print them for the buyer."),
    { total: money(total, sales[0].currency), method: methodWord(sales[0].payment_method) }, true);
  $("print-area").replaceChildren(...sales.map((sale) => ticketCard(sale, event)));
  paintSwatches($("print-area"));
}

const MM = 96 / 25.4; // CSS pixels per millimetre
const THERMAL_MARGIN_MM = 3; // print.css's @page thermal margin

/** The tallest ticket's height in mm as the thermal layout prints it: the cards cloned into a
 * hidden box styled as print.css prints them (.print-measure: 74 mm wide, 10 pt). */
function thermalTicketMm() {
  const box = el("div", { className: "print-measure", "aria-hidden": "true" });
  box.append(...[...$("print-area").children].map((card) => card.cloneNode(true)));
  document.body.append(box);
  const tallest = Math.max(0, ...[...box.children].map((card) => card.getBoundingClientRect().height));
  box.remove();
  return tallest / MM;
}

/** A roll is cut where the page ends: the thermal page is as long as the tallest ticket (plus
 * its margins), not a fixed length with a third of it blank. Set through the CSSOM on print.css
 * (the terminal's CSP allows no inline style); its own @page thermal stays as the fallback. */
function fitThermalPage() {
  const sheet = [...document.styleSheets].find((s) => (s.href || "").includes("/office/print"));
  const height = thermalTicketMm();
  if (!sheet || !height) return;
  const before = [...sheet.cssRules].indexOf(fittedRule);
  if (before >= 0) sheet.deleteRule(before);
  const length = Math.ceil(height + 2 * THERMAL_MARGIN_MM + 2); // 2 mm so rounding never spills a line over
  const at = sheet.insertRule(`@page thermal { size: 80mm ${length}mm; margin: ${THERMAL_MARGIN_MM}mm; }`, sheet.cssRules.length);
  fittedRule = sheet.cssRules[at];
}
let fittedRule = null; // the @page rule fitThermalPage added last time

/** The browser's print dialog with one layout: "thermal" (80 mm roll) or "a4". */
export function printTickets(layout) {
  document.body.dataset.layout = layout;
  if (layout === "thermal") fitThermalPage();
  window.print();
}
