// Online or offline, found out within a few seconds either way, as the door scanner does
// (static/scanner/connection.js): online, a heartbeat every HEARTBEAT_MS (it also tells the server
// the office is alive, measures its clock and finds out at once that it was revoked) and a cheap
// health probe when the server has said nothing for QUIET_MS; offline, a heartbeat every
// RETRY_MS until one answers, then the queued sales upload and the stock refreshes.
import { NetworkError, api, handleAuthError, lastAnswerAt, reachable } from "./api.js";
import { CONFIG } from "./page.js";
import { syncIfDue, syncQueue } from "./sales.js";
import * as state from "./state.js";
import { refreshStock, refreshStockIfDue } from "./stock.js";

const HEARTBEAT_MS = 5000;
const QUIET_MS = 1500;
const PROBE_TIMEOUT_MS = 1500;
const RETRY_MS = 1000;
const TICK_MS = 250;

let lastBeat = 0;
let beating = false;
let probing = false;
let ticker = null;

state.subscribe((key, value) => {
  if (key === "mode" && value === "offline") lastBeat = Date.now();
});

function tick() {
  if (state.stopped()) return;
  const now = Date.now();
  if (state.mode() === "offline") {
    if (!beating && now - lastBeat >= RETRY_MS) heartbeat({ timeout: PROBE_TIMEOUT_MS });
    return;
  }
  if (now - lastBeat >= HEARTBEAT_MS) heartbeat();
  else if (performance.now() - lastAnswerAt() >= QUIET_MS) probe();
  refreshStockIfDue(now);
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

export async function heartbeat({ timeout } = {}) {
  if (beating) return;
  beating = true;
  lastBeat = Date.now();
  try {
    const body = await api("/devices/heartbeat", {
      method: "POST", timeout, body: { device_time: new Date().toISOString(), app_version: CONFIG.app_version },
    });
    if (typeof body.clock_offset_ms === "number") state.setClockOffsetMs(body.clock_offset_ms);
    if (state.mode() !== "online") {
      state.setMode("online");
      syncQueue().then(() => refreshStock());
    }
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  } finally {
    beating = false;
  }
}
