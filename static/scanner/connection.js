// Online or offline, decided within a few seconds either way (issue 16 item 3). While online, a
// server that has said nothing for QUIET_MS is asked whether it is there (GET of the health URL,
// no database); no answer within PROBE_TIMEOUT_MS, or a scan, sync or heartbeat without one, puts
// the phone offline (state.setMode). While offline a heartbeat every RETRY_MS, which needs the
// database too, finds out when scanning online works again. The heartbeat also tells the server
// this phone is alive and measures its clock.
import { NetworkError, api, handleAuthError, lastAnswerAt, reachable } from "./api.js";
import { refreshManifest, refreshManifestIfDue } from "./manifest.js";
import { CONFIG } from "./page.js";
import { syncIfDue, syncQueue } from "./queue.js";
import * as state from "./state.js";

const HEARTBEAT_MS = 20000;
const QUIET_MS = 700;
const PROBE_TIMEOUT_MS = 1200;
const RETRY_MS = 1000;
const TICK_MS = 250;
// Worst cases: a server that stops answering is noticed QUIET_MS + TICK_MS + PROBE_TIMEOUT_MS
// after its last answer; one that is back, RETRY_MS + TICK_MS + PROBE_TIMEOUT_MS after it
// returns. Both under 3 s (tests/scanner/test_connection.py measures them).

let lastBeat = 0;
let beating = false;
let probing = false;
let ticker = null;

// Gone offline (here or after a failed scan or sync): the first retry waits RETRY_MS.
state.subscribe((key, value) => {
  if (key === "mode" && value === "offline") lastBeat = Date.now();
});

/** One timer drives the background work, so nothing runs twice and nothing is forgotten. */
function tick() {
  if (state.stopped()) return;
  const now = Date.now();
  if (state.mode() === "offline") {
    if (!beating && now - lastBeat >= RETRY_MS) heartbeat({ timeout: PROBE_TIMEOUT_MS });
    return;
  }
  if (now - lastBeat >= HEARTBEAT_MS) heartbeat();
  else if (performance.now() - lastAnswerAt() >= QUIET_MS) probe();
  refreshManifestIfDue(now);
  syncIfDue(now);
}

async function probe() {
  if (probing) return;
  probing = true;
  try {
    if (!(await reachable(PROBE_TIMEOUT_MS)) && !state.stopped()) state.setMode("offline");
  } finally {
    probing = false;
  }
}

export function startTicker() {
  if (!ticker) ticker = setInterval(tick, TICK_MS);
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

export async function heartbeat({ timeout } = {}) {
  if (beating) return;
  beating = true;
  lastBeat = Date.now();
  try {
    const body = await api("/devices/heartbeat", {
      method: "POST", timeout, body: { device_time: new Date().toISOString(), app_version: CONFIG.app_version },
    });
    if (typeof body.clock_offset_ms === "number") state.setClockOffsetMs(body.clock_offset_ms);
    goOnline();
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  } finally {
    beating = false;
  }
}
