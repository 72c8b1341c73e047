// The devices card: each phone's gate, status, last contact (on the event's clock) and clock
// offset, with a revoke that asks first, naming the phone and its gate.
import { revokeDevice } from "./api.js";
import { $, h, setText, toast } from "./dom.js";
import { ago, time } from "./format.js";
import * as state from "./state.js";

const PILLS = { online: "pill-ok", offline: "pill-wait", revoked: "pill-bad", unpaired: "pill-muted" };
const STATUS = { online: "online", offline: "offline", revoked: "revoked", unpaired: "not paired" };

let confirming = null; // the device whose revoke is waiting for "Yes, revoke"

function offsetText(offset) {
  if (offset === null || offset === undefined) return "–";
  return (offset > 0 ? "+" : "") + (Math.abs(offset) >= 1000 ? `${(offset / 1000).toFixed(1)} s` : `${offset} ms`);
}

function lastSeen(d) {
  const iso = d.last_seen_at;
  return h("td", { class: "small", "data-last-seen": iso || "" },
    h("div", { "data-ago": iso || "" }, ago(iso)),
    iso ? h("div", { class: "muted when" }, time(iso)) : null);
}

function revokeCell(d) {
  if (d.revoked) return h("td", { class: "num" });
  if (confirming === d.device_id) {
    const where = d.checkpoint_name ? ` at ${d.checkpoint_name}` : "";
    return h("td", { class: "num confirm" },
      h("div", { class: "confirm-q" }, `Revoke ${d.name}${where}? It stops scanning at once.`),
      h("button", { class: "btn btn-small btn-danger", type: "button", "data-action": "confirm-revoke",
        onclick: (ev) => revoke(d, ev.currentTarget) }, "Yes, revoke"),
      " ",
      h("button", { class: "btn btn-small", type: "button", "data-action": "cancel-revoke",
        onclick: () => { confirming = null; renderDevices(); } }, "Cancel"));
  }
  return h("td", { class: "num" }, h("button", {
    class: "btn btn-small btn-danger", type: "button", "data-action": "revoke",
    onclick: () => { confirming = d.device_id; renderDevices(); },
  }, "Revoke"));
}

export function renderDevices() {
  const tbody = $("devices").querySelector("tbody");
  const devices = state.snapshot().devices || [];
  const online = devices.filter((d) => d.status === "online").length;
  setText("devices-note", `${online} of ${devices.filter((d) => !d.revoked).length} online`);
  tbody.textContent = "";
  if (!devices.length) {
    tbody.appendChild(h("tr", null, h("td", { colspan: "6", class: "empty" }, "No devices paired yet.")));
    return;
  }
  for (const d of devices) {
    const offset = d.clock_offset_ms;
    tbody.appendChild(h("tr", { "data-device-id": d.device_id, "data-status": d.status },
      h("td", null, h("div", null, d.name), h("div", { class: "dev-role" }, d.role + (d.app_version ? ` · v${d.app_version}` : ""))),
      h("td", null, d.checkpoint_name || "–"),
      h("td", null, h("span", { class: `pill ${PILLS[d.status] || "pill-muted"}`, "data-field": "status" }, STATUS[d.status] || d.status)),
      lastSeen(d),
      h("td", { class: `num small${offset !== null && Math.abs(offset) > 2000 ? " offset-warn" : ""}` }, offsetText(offset)),
      revokeCell(d)));
  }
}

async function revoke(device, button) {
  button.disabled = true;
  try {
    await revokeDevice(device.device_id);
  } catch (e) {
    button.disabled = false;
    toast(`Could not revoke: ${e.message}`, true);
    return;
  }
  confirming = null;
  state.markDeviceRevoked(device.device_id);
  renderDevices();
  toast(`Revoked ${device.name}: its token stops working at once.`);
}

/** Relative times ("12 s ago") keep moving between messages. */
export function refreshAges() {
  for (const el of document.querySelectorAll("[data-ago]")) el.textContent = ago(el.dataset.ago || null);
}
