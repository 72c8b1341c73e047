// Online or offline. A heartbeat tells the server this phone is alive and measures its clock;
// a scan, a sync or a heartbeat that gets no answer puts the phone offline (state.setMode), and
// while offline a heartbeat every few seconds finds out when the server is back.
import { NetworkError, api, handleAuthError } from "./api.js";
import { refreshManifest, refreshManifestIfDue } from "./manifest.js";
import { CONFIG } from "./page.js";
import { syncIfDue, syncQueue } from "./queue.js";
import * as state from "./state.js";

const HEARTBEAT_MS = 20000;
const PROBE_MS = 3000; // while offline: how often to check whether the server is back

let lastBeat = 0;
let ticker = null;

// Gone offline: the first probe waits a full PROBE_MS.
state.subscribe((key, value) => {
  if (key === "mode" && value === "offline") lastBeat = Date.now();
});

/** One timer drives the background work, so nothing runs twice and nothing is forgotten. */
function tick() {
  if (state.stopped()) return;
  const now = Date.now();
  if (state.mode() === "offline") {
    if (now - lastBeat >= PROBE_MS) heartbeat();
    return;
  }
  if (now - lastBeat >= HEARTBEAT_MS) heartbeat();
  refreshManifestIfDue(now);
  syncIfDue(now);
}

export function startTicker() {
  if (!ticker) ticker = setInterval(tick, 1000);
}

export function stopTicker() {
  if (ticker) clearInterval(ticker);
  ticker = null;
}

function goOnline() {
  if (state.mode() === "online") return;
  state.setMode("online");
  syncQueue().then(() => refreshManifest());
}

export async function heartbeat() {
  lastBeat = Date.now();
  try {
    const body = await api("/devices/heartbeat", {
      method: "POST", body: { device_time: new Date().toISOString(), app_version: CONFIG.app_version },
    });
    if (typeof body.clock_offset_ms === "number") state.setClockOffsetMs(body.clock_offset_ms);
    goOnline();
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  }
}
