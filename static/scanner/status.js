// The scan screen's bars: online or offline and the upload queue, the event and checkpoint, the
// direction switch (with its warning when people who leave cannot come back), the offline list's
// size. The status follows the state by itself (subscribe).
import { gettext, interpolate, ngettext, pgettext } from "../i18n/gettext.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { noReentryHere } from "./venue.js";
import { number } from "./words.js";

export function renderStatus() {
  const mode = state.mode();
  const offline = mode === "offline";
  const syncing = state.syncing();
  const pending = state.pending();
  document.body.dataset.mode = mode;
  $("offline-banner").hidden = !offline;
  const net = $("net");
  net.className = `net ${offline ? "offline" : syncing ? "syncing" : "online"}`;
  net.textContent = offline ? pgettext("network", "Offline") : syncing ? pgettext("network", "Syncing") : pgettext("network", "Online");
  $("queue").textContent = interpolate(ngettext("%(count)s queued", "%(count)s queued", pending), { count: number(pending) }, true);
  $("queue").classList.toggle("has-queue", pending > 0);
  $("banner-queue").textContent = interpolate(ngettext("%(count)s scan waiting to upload", "%(count)s scans waiting to upload", pending),
    { count: number(pending) }, true);
  document.body.dataset.pending = String(pending);
}

state.subscribe((key, value) => {
  if (key === "mode" || key === "pending" || key === "syncing") renderStatus();
  if (key === "paused") {
    if (value) document.body.dataset.paused = value;
    else delete document.body.dataset.paused;
  }
});

export function renderHeader() {
  const device = state.device();
  $("event-name").textContent = (device.event && device.event.name) || "";
  $("checkpoint-name").textContent = (device.checkpoint && device.checkpoint.name) || gettext("Gate");
  const supervisor = device.role === "supervisor";
  $("role").textContent = supervisor ? gettext("Supervisor") : gettext("Steward");
  $("manual-open").hidden = !supervisor;
  $("call-open").hidden = supervisor;
}

export function renderManifestState() {
  renderReentry(); // the list names the zones and their re-entry
  const m = state.manifest();
  const el = $("manifest-state");
  if (!m) {
    el.textContent = gettext("No offline list yet");
    document.body.dataset.manifest = "none";
    return;
  }
  el.textContent = interpolate(ngettext("%(count)s ticket offline", "%(count)s tickets offline", m.tickets.size),
    { count: number(m.tickets.size) }, true);
  document.body.dataset.manifest = "ready";
  document.body.dataset.manifestVersion = String(m.version);
}

export function renderDirection() {
  const allowed = state.allowedDirections();
  if (!allowed.includes(state.direction())) state.setDirection(allowed[0]);
  const both = allowed.length === 2;
  $("direction").hidden = !both;
  $("direction-fixed").hidden = both;
  $("direction-fixed").textContent = allowed[0] === "in" ? gettext("Entry only") : gettext("Exit only");
  for (const button of document.querySelectorAll("#direction button")) {
    const active = button.dataset.dir === state.direction();
    button.classList.toggle("active", active);
    button.setAttribute("aria-checked", String(active));
  }
  document.body.dataset.direction = state.direction();
  renderReentry();
}

/** Before anyone goes out: say so when a zone of this gate has no re-entry. */
function renderReentry() {
  const el = $("reentry-warning");
  const zones = state.direction() === "out" ? noReentryHere() : [];
  el.hidden = zones.length === 0;
  document.body.dataset.reentryWarning = zones.length ? "shown" : "";
  if (!zones.length) return;
  const names = zones.map((z) => z.name).join(", ");
  $("reentry-text").textContent = interpolate(gettext("%(zones)s: whoever goes out cannot come back in."), { zones: names }, true);
}
