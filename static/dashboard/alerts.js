// The alerts card and tile: open alerts first, each with its Acknowledge button.
import { acknowledgeAlert } from "./api.js";
import { $, h, setText, toast } from "./dom.js";
import { ago, fmt, time } from "./format.js";
import * as state from "./state.js";

const KIND = {
  offline_conflict: ["Offline conflict", "bad"], rejected_burst: ["Rejected burst", "warn"],
  invalid_signature_burst: ["Forgery attempts", "bad"], revoked_device: ["Revoked device", "bad"],
  device_silent: ["Device silent", "warn"], zone_capacity: ["Zone capacity", "bad"],
  late_upload: ["Late upload", "info"], office_conflict: ["Office conflict", "warn"],
};

export function renderAlerts() {
  const list = $("alerts");
  const alerts = (state.snapshot().alerts || []).slice()
    .sort((a, b) => (a.acknowledged === b.acknowledged ? b.id - a.id : a.acknowledged ? 1 : -1))
    .slice(0, 60);
  const open = alerts.filter((a) => !a.acknowledged);
  setText("v-alerts", fmt(open.length));
  $("v-alerts").className = `tile-value${open.length ? " bad" : " ok"}`;
  setText("v-alerts-sub", open.length ? `${(KIND[open[0].kind] || ["Alert"])[0]} · ${ago(open[0].created_at)}` : "all clear");
  setText("alerts-note", open.length ? `${open.length} open` : "");
  list.textContent = "";
  if (!alerts.length) {
    list.appendChild(h("li", { class: "empty" }, "No alerts. Bursts of rejections, forgeries, silent devices and full zones show up here."));
    return;
  }
  for (const a of alerts) {
    const [label, level] = KIND[a.kind] || ["Alert", "info"];
    const action = a.acknowledged
      ? h("span", { class: "muted small" }, `✓ ${a.acknowledged_by || "acknowledged"}`)
      : h("button", { class: "btn btn-small", type: "button", "data-action": "ack", onclick: (ev) => acknowledge(a, ev.currentTarget) }, "Acknowledge");
    list.appendChild(h("li", { class: `alert ${level}${a.acknowledged ? " acked" : ""}`, "data-alert-id": String(a.id), "data-kind": a.kind },
      h("span", { class: `kind kind-${level}` }, label),
      h("div", { class: "msg" }, h("div", null, a.message), h("div", { class: "when" }, `${time(a.created_at)} · ${ago(a.created_at)}`)),
      action));
  }
}

async function acknowledge(alert, button) {
  button.disabled = true;
  try {
    state.acknowledgeAlert(await acknowledgeAlert(alert.id));
  } catch (e) {
    button.disabled = false;
    toast(`Could not acknowledge: ${e.message}`, true);
    return;
  }
  renderAlerts();
}
