// The live sales status: sold, held, at box offices and free per zone, and the revenue, from the
// sales aggregate (GET /sales on start, then the live feed's `sales` messages and snapshots).
import { gettext, ngettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import { cents, clock, count, money } from "./format.js";
import * as map from "./seats.js";
import * as zones from "./zones.js";

const FIELDS = ["available", "held", "offline", "sold"];
const CHANNELS = { online: () => gettext("online"), box_office: () => gettext("box offices"), manual: () => gettext("staff") };

function cells(row) {
  return FIELDS.map((f) => h("td", { class: "num", "data-field": f }, count(row[f])))
    .concat(h("td", { class: "num", "data-field": "revenue" }, money(cents(row.revenue))));
}

export function render(aggregate) {
  if (!aggregate || !aggregate.zones) return;
  zones.setCounts(aggregate);
  $("status").querySelector("tbody").replaceChildren(...aggregate.zones.map((row) => {
    const z = map.zone(row.zone_id);
    return h("tr", { "data-zone": row.zone_id },
      h("td", null, h("i", { class: "swatch", style: `--zone:${z ? z.color : row.color || "#64748b"}` }), row.zone),
      h("td", { class: "num" }, z ? money(cents(z.price)) : ""), ...cells(row));
  }));
  const totals = aggregate.totals || {};
  for (const td of $("status").querySelectorAll("tfoot [data-field]")) {
    const f = td.dataset.field;
    td.textContent = f === "revenue" ? money(cents(totals.revenue)) : count(totals[f]);
  }
  const channels = totals.channels || {};
  const parts = Object.keys(CHANNELS).filter((c) => channels[c] && channels[c].sold).map((c) =>
    interpolate(ngettext("%(channel)s: %(sold)s sold, %(revenue)s", "%(channel)s: %(sold)s sold, %(revenue)s", channels[c].sold),
                { channel: CHANNELS[c](), sold: count(channels[c].sold), revenue: money(cents(channels[c].revenue)) }, true));
  $("channels").textContent = parts.join(" · ");
  $("status-note").textContent = interpolate(gettext("as of %(time)s"), { time: clock(new Date()) }, true);
}
