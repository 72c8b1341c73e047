// The devices card: each phone's gate, status, last contact and clock, with one-click revoke.
import { revokeDevice } from "./api.js";
import { $, h, setText, toast } from "./dom.js";
import { ago } from "./format.js";
import * as state from "./state.js";

const PILLS = { online: "pill-ok", offline: "pill-wait", revoked: "pill-bad", unpaired: "pill-muted" };

function offsetText(offset) {
  if (offset === null || offset === undefined) return "–";
  return (offset > 0 ? "+" : "") + (Math.abs(offset) >= 1000 ? `${(offset / 1000).toFixed(1)} s` : `${offset} ms`);
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
      h("td", null, h("span", { class: `pill ${PILLS[d.status] || "pill-muted"}`, "data-field": "status" }, d.status)),
      h("td", { class: "small", "data-last-seen": d.last_seen_at || "" }, ago(d.last_seen_at)),
      h("td", { class: `num small${offset !== null && Math.abs(offset) > 2000 ? " offset-warn" : ""}` }, offsetText(offset)),
      h("td", { class: "num" }, d.revoked ? null : h("button", {
        class: "btn btn-small btn-danger", type: "button", "data-action": "revoke",
        onclick: (ev) => revoke(d, ev.currentTarget),
      }, "Revoke"))));
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
  state.markDeviceRevoked(device.device_id);
  renderDevices();
  toast(`Revoked ${device.name}: its token stops working at once.`);
}

/** Relative times ("12 s ago") keep moving between messages. */
export function refreshAges() {
  for (const td of document.querySelectorAll("[data-last-seen]")) td.textContent = ago(td.dataset.lastSeen || null);
}
