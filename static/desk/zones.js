// The zone tabs above the map (colour, name, price, seats free) and the shown zone's counts, from
// the sales aggregate (status.js passes it on).
import { gettext, ngettext, interpolate } from "../i18n/gettext.js";
import { $, h } from "../dashboard/dom.js";
import { cents, count, money } from "./format.js";
import * as map from "./seats.js";

let zoneCounts = new Map(); // zone_id -> the sales aggregate's row

export function setCounts(aggregate) {
  zoneCounts = new Map((aggregate.zones || []).map((z) => [z.zone_id, z]));
  render();
}

export function render() {
  const shown = map.shownZone();
  const box = $("zones");
  box.replaceChildren();
  for (const z of map.allZones()) {
    const c = zoneCounts.get(z.zone_id);
    const free = c ? interpolate(ngettext("%(count)s free", "%(count)s free", c.available), { count: count(c.available) }, true) : "";
    box.append(h("button", {
      type: "button", role: "tab", class: `zone-tab${z.zone_id === shown ? " on" : ""}`, "data-zone": z.zone_id,
      "aria-selected": z.zone_id === shown ? "true" : "false", style: `--zone:${z.color}`,
      onclick: () => map.showZone(z.zone_id),
    }, h("i", { class: "swatch" }), h("span", { class: "zone-name" }, z.name),
    h("span", { class: "zone-meta" }, `${money(cents(z.price))}${free ? " · " + free : ""}`)));
  }
  const c = zoneCounts.get(shown);
  $("zone-counts").textContent = c ? interpolate(
    gettext("Free: %(free)s · held: %(held)s · sold: %(sold)s · seats: %(seats)s"),
    { free: count(c.available), held: count(c.held), sold: count(c.sold), seats: count(c.seats) }, true) : "";
}
