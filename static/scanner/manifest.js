// The offline ticket list: read back from IndexedDB at start, then kept fresh from
// GET /api/v1/scan/manifest (full the first time, deltas after) while online.
import { api, handleAuthError } from "./api.js";
import { keys, localScans } from "./local.js";
import { Manifest } from "./offline.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { renderDirection, renderHeader, renderManifestState } from "./status.js";
import { loadManifest, pendingScans, saveDevice, saveManifest } from "./store.js";

const MANIFEST_REFRESH_MS = 30000;

let busy = false;
let lastRefresh = 0;

/** The stored list and queue of this phone, at start (or after pairing). */
export async function loadLocal() {
  const device = state.device();
  try {
    const stored = await loadManifest();
    if (stored && stored.meta.device_id === device.device_id) {
      state.setManifest(new Manifest(stored.meta, stored.tickets));
      keys.setKeys(state.manifest().meta.keys);
      warmKeys();
    }
    const pending = (await pendingScans()).filter((s) => s.device_id === device.device_id);
    localScans.replay(pending);
    state.setPending(pending.length);
  } catch (error) {
    console.error("could not read local data", error);
  }
  renderManifestState();
}

export function refreshManifestIfDue(now) {
  if (now - lastRefresh >= MANIFEST_REFRESH_MS) refreshManifest();
}

export async function refreshManifest() {
  if (busy || state.stopped() || state.mode() !== "online") return;
  busy = true;
  lastRefresh = Date.now();
  try {
    const current = state.manifest();
    const since = current ? current.version : null;
    const query = since != null ? `?since=${encodeURIComponent(since)}` : "";
    const data = await api(`/scan/manifest${query}`, { timeout: 60000 });
    const full = since == null || !state.manifest() || data.full === true;
    if (full) state.setManifest(new Manifest());
    const manifest = state.manifest();
    const changed = manifest.apply(data);
    // Our own unsynced admissions stay on top of whatever the server says (LocalScans).
    keys.setKeys(manifest.meta.keys);
    warmKeys();
    adoptCheckpoint(manifest.meta);
    await saveManifest({ ...manifest.meta, device_id: state.device().device_id },
      full ? [...manifest.tickets.values()] : changed, { replace: full });
  } catch (error) {
    if (!handleAuthError(error)) console.warn("manifest refresh failed", error.message);
  } finally {
    busy = false;
    renderManifestState();
  }
}

function warmKeys() {
  keys.warm().then((ok) => {
    // Offline checks would then refuse every ticket: say so now, not at the first outage.
    $("crypto-msg").hidden = ok;
    document.body.dataset.offlineCheck = ok ? "ready" : "unsupported";
  });
}

/** The admin may rename a gate or change its directions while the phone is paired. */
function adoptCheckpoint(meta) {
  const device = state.device();
  const checkpoint = meta.checkpoint;
  if (!device || !checkpoint || checkpoint.checkpoint_id !== (device.checkpoint || {}).checkpoint_id) return;
  const before = JSON.stringify([device.checkpoint, device.event && device.event.name]);
  const adopted = { ...device, checkpoint: { ...device.checkpoint, ...checkpoint } };
  if (meta.event && device.event) adopted.event = { ...device.event, name: meta.event.name };
  if (JSON.stringify([adopted.checkpoint, adopted.event && adopted.event.name]) === before) return;
  state.setDevice(adopted);
  saveDevice(adopted);
  renderHeader();
  renderDirection();
}
