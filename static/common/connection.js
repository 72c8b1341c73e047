// Online or offline, decided within a few seconds either way, for the device apps (the door
// scanner, static/scanner/connection.js; the box office, static/office/connection.js). While
// online, a server that has said nothing for `quietMs` is asked whether it is there (GET of the
// health URL, no database); no answer within `probeTimeoutMs`, or a request of the app without
// one, puts the device offline (state.setMode). While offline a heartbeat every `retryMs`, which
// needs the database too, finds out when working online is possible again. The heartbeat also
// tells the server the device is alive, measures its clock and learns at once of a revocation.
// One timer (`tickMs`) drives the app's background work (`whileOnline`), so nothing runs twice.
import { NetworkError, lastAnswerAt } from "./http.js";

/**
 * state: the app's state module (mode, setMode, stopped, subscribe, setClockOffsetMs).
 * api(path, options), reachable(timeout), handleAuthError(error): the app's device API.
 * whileOnline(now): the app's periodic work on each tick while online.
 * onOnline(): what to do when the connection returns (upload the queue, then refresh).
 * Returns {startTicker, stopTicker, heartbeat}.
 */
export function createConnection({ state, api, reachable, handleAuthError, appVersion, whileOnline, onOnline,
  heartbeatMs, quietMs, probeTimeoutMs, retryMs, tickMs = 250 }) {
  let lastBeat = 0;
  let beating = false;
  let probing = false;
  let ticker = null;

  // Gone offline (here or after a failed request of the app): the first retry waits retryMs.
  state.subscribe((key, value) => {
    if (key === "mode" && value === "offline") lastBeat = Date.now();
  });

  function tick() {
    if (state.stopped()) return;
    const now = Date.now();
    if (state.mode() === "offline") {
      if (!beating && now - lastBeat >= retryMs) heartbeat({ timeout: probeTimeoutMs });
      return;
    }
    if (now - lastBeat >= heartbeatMs) heartbeat();
    else if (performance.now() - lastAnswerAt() >= quietMs) probe();
    whileOnline(now);
  }

  async function probe() {
    if (probing) return;
    probing = true;
    try {
      if (!(await reachable(probeTimeoutMs)) && !state.stopped()) state.setMode("offline");
    } finally {
      probing = false;
    }
  }

  function goOnline() {
    if (state.mode() === "online") return;
    state.setMode("online");
    onOnline();
  }

  async function heartbeat({ timeout } = {}) {
    if (beating) return;
    beating = true;
    lastBeat = Date.now();
    try {
      const body = await api("/devices/heartbeat", {
        method: "POST", timeout, body: { device_time: new Date().toISOString(), app_version: appVersion },
      });
      if (typeof body.clock_offset_ms === "number") state.setClockOffsetMs(body.clock_offset_ms);
      goOnline();
    } catch (error) {
      if (!handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
    } finally {
      beating = false;
    }
  }

  return {
    startTicker() {
      if (!ticker) ticker = setInterval(tick, tickMs);
    },
    stopTicker() {
      if (ticker) clearInterval(ticker);
      ticker = null;
    },
    heartbeat,
  };
}
