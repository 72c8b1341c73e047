// The HTTP client of the device API (shared/API.md "Scanning", "Devices"): the shared client
// (static/common/http.js) with this app's address and device. An answer that is not about the
// ticket (no network, a timeout, a 5xx, a 429, a 408) is a NetworkError: go offline.
import { ApiError, NetworkError, lastAnswerAt, reachable as reachableAt, request } from "../common/http.js";
import { CONFIG } from "./page.js";
import * as state from "./state.js";

export { ApiError, NetworkError, lastAnswerAt };

const ONLINE_TIMEOUT_MS = 2000; // a scan slower than this is decided on the phone instead

export async function api(path, { method = "GET", body, timeout = ONLINE_TIMEOUT_MS, auth = true } = {}) {
  const device = state.device();
  return request(CONFIG.api + path, { method, body, timeout, token: auth && device ? device.token : null });
}

/** Whether the server answers at all, within `timeout` ms (the health URL: no database, no token). */
export const reachable = (timeout) => reachableAt(CONFIG.health, timeout);

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
