// The tiles, the gates table, the zone bars, the latest scans and the mirror tile, each drawn
// from the state (the sales and revenue: sales.js).
import { gettext, interpolate, ngettext, pgettext } from "../i18n/gettext.js";
import { renderRateChart } from "./charts.js";
import { $, flash, h, setText } from "./dom.js";
import { GATE_COLORS, alpha, clockName, clockParts, fmt, pct, pctText, seconds, time } from "./format.js";
import * as state from "./state.js";

// Why a scan was refused, in words (every reason code: tests/test_vocabulary.py).
export const REASONS = {
  invalid_signature: gettext("invalid signature"), unknown_ticket: gettext("unknown ticket"),
  wrong_event: gettext("ticket for another event"), not_sold: gettext("not sold"),
  already_inside: gettext("already inside"), already_used: gettext("already used, no re-entry"),
  not_inside: gettext("not inside"), zone_not_allowed: gettext("zone not allowed at this gate"),
  direction_not_allowed: gettext("wrong direction for this gate"), credential_revoked: gettext("credential revoked"),
  event_closed: gettext("doors closed"), device_revoked: gettext("device revoked"),
};
const DIRECTIONS = { in: gettext("entry only"), out: gettext("exit only"), both: gettext("entry and exit") };

export function renderCounts() {
  const snap = state.snapshot();
  const t = snap.totals || {};
  const before = $("v-accepted").textContent;
  setText("v-inside", fmt(t.inside));
  setText("v-inside-sub", [
    interpolate(ngettext("%(share)s of %(n)s seat", "%(share)s of %(n)s seats", t.seats || 0),
      { share: pctText(t.occupancy_pct || 0), n: fmt(t.seats || 0) }, true),
    interpolate(gettext("%(n)s staff and VIP"), { n: fmt(t.credentials_inside || 0) }, true),
  ].join(" · "));
  $("m-occupancy").style.width = `${Math.min(100, t.occupancy_pct || 0)}%`;
  setText("v-accepted", fmt(t.accepted));
  setText("v-accepted-sub", [
    interpolate(ngettext("%(n)s in", "%(n)s in", t.entries || 0), { n: fmt(t.entries || 0) }, true),
    interpolate(ngettext("%(n)s out", "%(n)s out", t.exits || 0), { n: fmt(t.exits || 0) }, true),
  ].join(" · "));
  setText("v-rejected", fmt(t.rejected));
  const all = (t.accepted || 0) + (t.rejected || 0);
  setText("v-rejected-sub", interpolate(gettext("%(share)s of all scans"), { share: pctText(all ? pct(t.rejected, all) : 0) }, true));
  setText("v-per-minute", fmt(t.per_minute));
  const busiest = (snap.checkpoints || []).slice().sort((a, b) => b.per_minute - a.per_minute)[0];
  setText("v-busiest", busiest && busiest.per_minute
    ? interpolate(gettext("busiest: %(gate)s"), { gate: busiest.name }, true) : gettext("no scans in the last minute"));
  if (before !== $("v-accepted").textContent && before !== "–") flash("tile-accepted");
  renderGates();
  renderZones();
  renderRateChart();
}

function renderGates() {
  const tbody = $("gates").querySelector("tbody");
  const rows = state.snapshot().checkpoints || [];
  const max = Math.max(1, ...rows.map((c) => c.per_minute), 0);
  tbody.textContent = "";
  if (!rows.length) {
    tbody.appendChild(h("tr", null, h("td", { colspan: "6", class: "empty" }, gettext("No gates yet: create them in the admin."))));
    return;
  }
  rows.forEach((c, i) => {
    const color = GATE_COLORS[i % GATE_COLORS.length];
    const rejectShare = pct(c.rejected, c.accepted + c.rejected);
    tbody.appendChild(h("tr", { "data-checkpoint": c.checkpoint },
      h("td", null, h("div", { class: "gate-name" }, h("span", { class: "dot", style: `background:${color};margin-right:8px` }), c.name),
        h("div", { class: "gate-sub" }, DIRECTIONS[c.directions] || "")),
      h("td", { class: "num", "data-field": "accepted" }, fmt(c.accepted)),
      h("td", { class: `num${rejectShare >= 10 ? " rej" : ""}`, "data-field": "rejected" }, fmt(c.rejected)),
      h("td", { class: "num", "data-field": "inside" }, fmt(c.inside)),
      h("td", { class: "num", "data-field": "per_minute" }, fmt(c.per_minute)),
      h("td", null, h("div", { class: "spark" }, h("div", { style: `width:${(100 * c.per_minute) / max}%;background:${color}` })))));
  });
}

function renderZones() {
  const snap = state.snapshot();
  const box = $("zones");
  const threshold = (snap.thresholds || {}).zone_capacity_pct || 95;
  setText("capacity-note", interpolate(gettext("alert at %(share)s"), { share: pctText(threshold) }, true));
  box.textContent = "";
  for (const z of snap.zones || []) {
    const p = pct(z.inside, z.seats);
    const near = p >= threshold;
    const badge = near ? h("span", { class: "badge badge-bad" }, gettext("near capacity"))
      : p >= 80 ? h("span", { class: "badge badge-warn" }, gettext("filling")) : null;
    box.appendChild(h("div", { class: `zone-row${near ? " near" : ""}`, "data-zone": z.zone_id },
      h("div", { class: "zone-top" },
        h("span", { class: "zone-name" }, h("span", { class: "dot", style: `background:${z.color}` }), z.name, badge),
        h("span", { class: "zone-figs" }, h("b", { "data-field": "inside" }, fmt(z.inside)), ` / ${fmt(z.seats)} · ${pctText(p)}`)),
      h("div", { class: "zone-bar" },
        h("div", { style: `width:${Math.min(100, p)}%;background:linear-gradient(90deg,${alpha(z.color, 0.75)},${z.color})` }),
        h("span", { class: "cap", style: `left:${threshold}%` }))));
  }
  const c = snap.credentials || {};
  box.appendChild(h("div", { class: "zone-extra" },
    h("span", null, gettext("Staff and VIP inside")),
    h("span", null, h("b", { id: "v-credentials-zone" }, fmt(c.inside)),
      " ", interpolate(gettext("(%(staff)s staff, %(vip)s VIP)"), { staff: fmt(c.staff), vip: fmt(c.vip) }, true))));
}

export function renderFeed() {
  if (!state.snapshot()) return;
  const list = $("feed");
  const feed = state.scans();
  const names = state.gateNames();
  const colors = state.zoneColors();
  const zoneNames = state.zoneNames();
  const devices = state.deviceNames();
  list.textContent = "";
  setText("feed-note", feed.length ? interpolate(gettext("newest first · %(clock)s"), { clock: clockName() }, true) : "");
  if (!feed.length) {
    list.appendChild(h("li", { class: "empty" }, gettext("No scans yet.")));
    return;
  }
  for (const s of feed.slice(0, 24)) {
    const ok = s.result === "accepted";
    const what = s.direction === "out" ? gettext("exit") : s.direction === "in" ? gettext("entry") : gettext("accepted");
    const where = [names[s.checkpoint] || gettext("unknown gate"), devices[s.device]].filter(Boolean).join(" · ");
    const why = ok ? `${what} · ${where}` : `${REASONS[s.reason] || gettext("refused")} · ${where}`;
    const { clock, offset } = clockParts(s.at);
    list.appendChild(h("li", { "data-result": s.result },
      h("span", { class: "t", title: time(s.at) }, clock, h("span", { class: "tz" }, ` ${offset}`)),
      h("span", { class: ok ? "r-ok" : "r-bad" }, ok ? "✓" : "✕"),
      h("span", { class: "why", title: why }, why),
      s.zone_id ? h("span", { class: "zone-chip", style: `background:${colors[s.zone_id] || "#475569"}` }, zoneNames[s.zone_id] || s.zone_id) : h("span")));
  }
}

export function renderMirror() {
  const m = state.snapshot().mirror;
  const tile = $("tile-mirror");
  if (!m) {
    tile.hidden = true;
    return;
  }
  tile.hidden = false;
  const pending = m.pending || 0;
  if (!m.enabled) {
    setText("v-mirror", pgettext("mirror", "Off"));
    setText("v-mirror-sub", interpolate(ngettext("%(n)s change waiting", "%(n)s changes waiting", pending), { n: fmt(pending) }, true));
    $("v-mirror").className = "tile-value";
    return;
  }
  const lag = m.oldest_age_s;
  setText("v-mirror", lag === null || lag === undefined ? gettext("In sync") : seconds(lag));
  $("v-mirror").className = `tile-value ${m.last_error || lag > 30 ? "warn" : "ok"}`;
  setText("v-mirror-sub", m.last_error ? interpolate(gettext("error: %(error)s"), { error: m.last_error }, true)
    : interpolate(ngettext("%(n)s change waiting to be copied", "%(n)s changes waiting to be copied", pending), { n: fmt(pending) }, true));
}
