// The running till and the end-of-shift reconciliation: what this device took, by payment method,
// what it must refund, what is still waiting to upload, and (once synced) the server's own
// figures for the office (GET /api/v1/offices/{id}: sold, returned, outstanding, refunds due,
// money by payment method), side by side, with whether they match.
import { gettext, interpolate } from "../i18n/gettext.js";
import { NetworkError, api, handleAuthError, officePath } from "./api.js";
import { cents, money } from "./format.js";
import { $, el } from "./page.js";
import { PAYMENT_METHODS, syncQueue } from "./sales.js";
import * as state from "./state.js";
import { allSales } from "./store.js";
import { methodWord } from "./tickets.js";

let server = null; // the office as the server last reported it

/** This device's figures from its own sales. */
export async function localFigures() {
  const sales = await allSales(state.officeId());
  const methods = Object.fromEntries(PAYMENT_METHODS.map((m) => [m, { taken: 0, taken_cents: 0, refunds: 0, refunds_cents: 0, pending: 0 }]));
  for (const sale of sales) {
    const row = methods[sale.payment_method];
    if (!row) continue;
    row.taken += 1;
    row.taken_cents += sale.price_cents;
    if (sale.result === "rejected") {
      row.refunds += 1;
      row.refunds_cents += sale.price_cents;
    }
    if (sale.pending === 1) row.pending += 1;
  }
  for (const row of Object.values(methods)) row.expected_cents = row.taken_cents - row.refunds_cents;
  const stock = state.stock();
  const outstanding = stock ? stock.summary().available : 0;
  return {
    methods, outstanding,
    sold: sales.filter((s) => s.result === "accepted").length,
    pending: sales.filter((s) => s.pending === 1).length,
    refunds: sales.filter((s) => s.result === "rejected").length,
    refunds_open: sales.filter((s) => s.result === "rejected" && !s.acknowledged_at).length,
  };
}

/** Uploads what is waiting, then asks the server for the office's figures. */
export async function fetchServerFigures() {
  await syncQueue();
  try {
    server = await api(officePath(""), { timeout: 8000 });
    server.fetched_at = new Date().toISOString();
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  }
  return server;
}

function serverMethod(method) {
  const rows = (server && server.money && server.money.payment_methods) || [];
  return rows.find((r) => r.payment_method === method) || { sold: 0, sold_amount: "0.00", refunds_due: 0, refunds_due_amount: "0.00" };
}

export async function renderTill() {
  const local = await localFigures();
  const synced = server && local.pending === 0;
  const heads = [gettext("Payment"), gettext("Taken"), gettext("Refunds due"), gettext("Expected in the till"), gettext("Server")];
  // Each cell names its column too: on a phone the rows stack as cards (app.css).
  const cell = (text, column, attrs = {}) => el("td", { textContent: text, dataset: { label: heads[column] }, ...attrs });
  const table = el("table", { className: "till-table" },
    el("thead", {}, el("tr", {}, ...heads.map((text) => el("th", { textContent: text })))),
    el("tbody", {}, ...PAYMENT_METHODS.map((method) => {
      const row = local.methods[method];
      const theirs = serverMethod(method);
      const match = synced && cents(theirs.sold_amount) === row.expected_cents && cents(theirs.refunds_due_amount) === row.refunds_cents;
      return el("tr", { dataset: { method, expected: String(row.expected_cents), server: server ? String(cents(theirs.sold_amount)) : "" } },
        el("th", { textContent: methodWord(method) }),
        cell(`${money(row.taken_cents)} (${row.taken})`, 1), cell(`${money(row.refunds_cents)} (${row.refunds})`, 2),
        cell(money(row.expected_cents), 3, { className: "expected" }),
        cell(server ? `${money(cents(theirs.sold_amount))}${synced ? (match ? " ✓" : " ≠") : ""}` : "—", 4,
          { className: synced ? (match ? "match" : "mismatch") : "" }));
    })));
  const counts = el("dl", { className: "till-counts" }, ...[
    [gettext("Sold (confirmed by the server)"), local.sold, server && server.sold],
    [gettext("Waiting to upload"), local.pending, null],
    [gettext("Refunds due"), local.refunds, server && server.rejected_sales],
    [gettext("Still for sale here"), local.outstanding, server && server.outstanding],
    [gettext("Returned online"), null, server && server.returned],
  ].map(([label, mine, theirs]) => el("div", {}, el("dt", { textContent: label }),
    el("dd", { textContent: [mine ?? (theirs == null ? "—" : null),
      server && theirs != null ? interpolate(gettext("server: %s"), [theirs]) : null].filter((x) => x != null).join(" · ") }))));
  const ok = synced && PAYMENT_METHODS.every((m) => cents(serverMethod(m).sold_amount) === local.methods[m].expected_cents)
    && server.sold === local.sold;
  document.body.dataset.reconciled = !server ? "unknown" : !synced ? "pending" : ok ? "yes" : "no";
  $("till-body").replaceChildren(counts, el("div", { className: "till-scroll" }, table));
  $("till-server-state").textContent = !server ? gettext("Not compared with the server yet.")
    : local.pending ? gettext("Some sales are still waiting to upload: the server's figures will change.")
      : ok ? gettext("This device and the server agree.") : gettext("This device and the server disagree: call a supervisor.");
}
