// The HTTP client of the device API (shared/API.md "Scanning", "Devices"). An answer that is not
// about the ticket (no network, a timeout, a 5xx, a 429, a 408) is a NetworkError: go offline.
import { CONFIG } from "./page.js";
import * as state from "./state.js";

const ONLINE_TIMEOUT_MS = 2000; // a scan slower than this is decided on the phone instead

let lastAnswer = 0;

/** When the server last answered anything (performance.now()); connection.js probes only when
 * this is old, so a busy door costs no extra requests. */
export const lastAnswerAt = () => lastAnswer;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error && body.error.code) || null;
  }
}

export class NetworkError extends Error {}

export async function api(path, { method = "GET", body, timeout = ONLINE_TIMEOUT_MS, auth = true } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Accept: "application/json" };
  const device = state.device();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && device) headers.Authorization = `Device ${device.token}`;
  try {
    let response;
    try {
      response = await fetch(CONFIG.api + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal, credentials: "omit", cache: "no-store",
      });
    } catch {
      throw new NetworkError(controller.signal.aborted ? "timeout" : "network");
    }
    if (response.status < 500 || response.status === 503) lastAnswer = performance.now();
    let data = null;
    try {
      data = await response.json();
    } catch {
      if (controller.signal.aborted) throw new NetworkError("timeout");
    }
    // A proxy error, an outage (503 unavailable), a crash, a throttle or a body the server gave up
    // waiting for (408) is not an answer about the ticket: go offline.
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new NetworkError(`HTTP ${response.status}`);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the server answers at all, within `timeout` ms: GET of the health URL (no database,
 * no token), so it is cheap enough to ask every second while the door is quiet. */
export async function reachable(timeout) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(CONFIG.health, { signal: controller.signal, credentials: "omit", cache: "no-store" });
    await response.arrayBuffer();
    if (!response.ok) return false;
    lastAnswer = performance.now();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

let pairingLost = () => {};

/** What to do when the server says this phone may not scan any more (app.js: a screen). */
export function onPairingLost(handler) {
  pairingLost = handler;
}

/** 401 means this phone may not scan any more: revoked, or its pairing was replaced. */
export function handleAuthError(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return false;
  pairingLost(error.code === "device_revoked" ? "revoked" : "unpaired");
  return true;
}
