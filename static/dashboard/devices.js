// The devices card: each phone's gate, status, last contact (on the event's clock) and clock
// offset, with a revoke that asks first, naming the phone and its gate.
import { gettext, interpolate, ngettext, pgettext } from "../i18n/gettext.js";
import { revokeDevice } from "./api.js";
import { $, h, setText, toast } from "./dom.js";
import { ago, fmt, signedMillis, time } from "./format.js";
import * as state from "./state.js";

const PILLS = { online: "pill-ok", offline: "pill-wait", revoked: "pill-bad", unpaired: "pill-muted" };
const STATUS = {
  online: pgettext("device", "online"), offline: pgettext("device", "offline"),
  revoked: pgettext("device", "revoked"), unpaired: pgettext("device", "not paired"),
};
// devices.vocabulary.DeviceRole, in words.
const ROLES = { steward: gettext("Steward"), supervisor: gettext("Supervisor"), office: gettext("Box office terminal") };

let confirming = null; // the device whose revoke is waiting for "Yes, revoke"

function lastSeen(d) {
  const iso = d.last_seen_at;
  return h("td", { class: "small", "data-last-seen": iso || "" },
    h("div", { "data-ago": iso || "" }, ago(iso)),
    iso ? h("div", { class: "muted when" }, time(iso)) : null);
}

function revokeCell(d) {
  if (d.revoked) return h("td", { class: "num" });
  if (confirming === d.device_id) {
    const question = d.checkpoint_name
      ? interpolate(gettext("Revoke %(device)s at %(gate)s? It stops scanning at once."), { device: d.name, gate: d.checkpoint_name }, true)
      : interpolate(gettext("Revoke %(device)s? It stops working at once."), { device: d.name }, true);
    return h("td", { class: "num confirm" },
      h("div", { class: "confirm-q" }, question),
      h("button", { class: "btn btn-small btn-danger", type: "button", "data-action": "confirm-revoke",
        onclick: (ev) => revoke(d, ev.currentTarget) }, gettext("Yes, revoke")),
      " ",
      h("button", { class: "btn btn-small", type: "button", "data-action": "cancel-revoke",
        onclick: () => { confirming = null; renderDevices(); } }, gettext("Cancel")));
  }
  return h("td", { class: "num" }, h("button", {
    class: "btn btn-small btn-danger", type: "button", "data-action": "revoke",
    onclick: () => { confirming = d.device_id; renderDevices(); },
  }, gettext("Revoke")));
}

function role(d) {
  const words = ROLES[d.role] || d.role;
  return d.app_version ? interpolate(gettext("%(role)s · version %(version)s"), { role: words, version: d.app_version }, true) : words;
}

export function renderDevices() {
  const tbody = $("devices").querySelector("tbody");
  const devices = state.snapshot().devices || [];
  const online = devices.filter((d) => d.status === "online").length;
  const active = devices.filter((d) => !d.revoked).length;
  setText("devices-note", interpolate(ngettext("%(online)s of %(n)s online", "%(online)s of %(n)s online", active),
    { online: fmt(online), n: fmt(active) }, true));
  tbody.textContent = "";
  if (!devices.length) {
    tbody.appendChild(h("tr", null, h("td", { colspan: "6", class: "empty" }, gettext("No devices paired yet."))));
    return;
  }
  for (const d of devices) {
    const offset = d.clock_offset_ms;
    tbody.appendChild(h("tr", { "data-device-id": d.device_id, "data-status": d.status },
      // A box office terminal goes by its office's name ("Taquilla Norte").
      h("td", null, h("div", null, d.office_name || d.name), h("div", { class: "dev-role" }, role(d))),
      h("td", null, d.checkpoint_name || "–"),
      h("td", null, h("span", { class: `pill ${PILLS[d.status] || "pill-muted"}`, "data-field": "status" }, STATUS[d.status] || d.status)),
      lastSeen(d),
      h("td", { class: `num small${offset !== null && Math.abs(offset) > 2000 ? " offset-warn" : ""}` }, signedMillis(offset)),
      revokeCell(d)));
  }
}

async function revoke(device, button) {
  button.disabled = true;
  try {
    await revokeDevice(device.device_id);
  } catch (e) {
    button.disabled = false;
    toast(interpolate(gettext("Could not revoke: %(error)s"), { error: e.message }, true), true);
    return;
  }
  confirming = null;
  state.markDeviceRevoked(device.device_id);
  renderDevices();
  toast(interpolate(gettext("Revoked %(device)s: its token stops working at once."), { device: device.name }, true));
}

/** Relative times ("12 s ago") keep moving between messages. */
export function refreshAges() {
  for (const el of document.querySelectorAll("[data-ago]")) el.textContent = ago(el.dataset.ago || null);
}
