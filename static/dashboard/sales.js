// Sales and revenue: the "Tickets sold" and "Revenue" tiles, the sales-by-zone chart and the
// revenue table (per zone and in total, split by channel), all from the `sales` figures: the
// body of GET /api/v1/events/{id}/sales, in the snapshot and again after every change.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { renderSalesChart } from "./charts.js";
import { $, flash, h, setText } from "./dom.js";
import { fmt, money, pct, pctText } from "./format.js";
import * as state from "./state.js";

// The channels of `channels` (tickets.models.SaleChannel), in the order the table shows them.
export const CHANNELS = [
  ["online", gettext("Online")],
  ["box_office", gettext("Box office")],
  ["manual", gettext("Sold by staff")],
];

export function renderSales() {
  const s = state.snapshot().sales;
  if (!s || !s.totals) return;
  const t = s.totals;
  setText("v-sold", fmt(t.sold));
  setText("v-sold-sub", [
    pctText(pct(t.sold, t.seats)),
    interpolate(ngettext("%(n)s held", "%(n)s held", t.held || 0), { n: fmt(t.held || 0) }, true),
    interpolate(ngettext("%(n)s available", "%(n)s available", t.available || 0), { n: fmt(t.available || 0) }, true),
  ].join(" · "));
  setText("sales-note", `${fmt(t.sold)} / ${fmt(t.seats)}`);
  renderSalesChart(s);
  renderRevenue(s);
}

function channel(row, key) {
  return (row.channels || {})[key] || { sold: 0, revenue: "0.00" };
}

function soldCount(n) {
  return interpolate(ngettext("%(n)s ticket", "%(n)s tickets", n || 0), { n: fmt(n || 0) }, true);
}

function moneyCell(amount, sold, currency, attrs) {
  return h("td", { class: "num", ...attrs },
    h("div", { class: "money" }, money(amount, currency)),
    h("div", { class: "muted small" }, soldCount(sold)));
}

function revenueRow(row, currency, { total = false } = {}) {
  const name = total ? gettext("Total") : row.zone || row.zone_id;
  return h("tr", { class: total ? "total" : null, "data-zone": total ? null : row.zone_id, "data-row": total ? "total" : null },
    h("td", null, total ? name : h("span", { class: "zone-name" }, h("span", { class: "dot", style: `background:${row.color || "#475569"}` }), name)),
    ...CHANNELS.map(([key]) => moneyCell(channel(row, key).revenue, channel(row, key).sold, currency, { "data-channel": key })),
    moneyCell(row.revenue, row.sold, currency, { "data-field": "revenue" }));
}

function renderRevenue(s) {
  const t = s.totals;
  const currency = s.currency;
  const before = $("v-revenue").textContent;
  setText("v-revenue", money(t.revenue, currency));
  setText("v-revenue-sub", interpolate(ngettext("from %(n)s ticket sold", "from %(n)s tickets sold", t.sold || 0),
    { n: fmt(t.sold || 0) }, true));
  if (before !== $("v-revenue").textContent && before !== "–") flash("tile-revenue");
  setText("revenue-note", currency ? interpolate(gettext("in %(currency)s, at the price each ticket was sold for"), { currency }, true) : "");
  const tbody = $("revenue").querySelector("tbody");
  tbody.textContent = "";
  const zones = s.zones || [];
  if (!zones.length) {
    tbody.appendChild(h("tr", null, h("td", { colspan: String(CHANNELS.length + 2), class: "empty" }, gettext("No zones yet."))));
    return;
  }
  for (const z of zones) tbody.appendChild(revenueRow(z, currency));
  tbody.appendChild(revenueRow(t, currency, { total: true }));
}
