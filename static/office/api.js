// The device API as the box office calls it (shared/API.md "Offline office", "Devices"): the
// shared client (static/common/http.js) with this app's address and the office's token.
import { ApiError, NetworkError, lastAnswerAt, reachable as reachableAt, request } from "../common/http.js";
import { CONFIG } from "./page.js";
import * as state from "./state.js";

export { ApiError, NetworkError, lastAnswerAt };

const TIMEOUT_MS = 4000;

export async function api(path, { method = "GET", body, timeout = TIMEOUT_MS, auth = true } = {}) {
  const device = state.device();
  return request(CONFIG.api + path, { method, body, timeout, token: auth && device ? device.token : null });
}

/** The office's own paths: office("/stock") -> /offices/<id>/stock. */
export const officePath = (rest = "") => `/offices/${encodeURIComponent(state.officeId())}${rest}`;

export const reachable = (timeout) => reachableAt(CONFIG.health, timeout);

let pairingLost = () => {};

/** What to do when the server says this office may not sell any more (app.js: a screen). */
export function onPairingLost(handler) {
  pairingLost = handler;
}

/** 401: revoked (stop selling at once), or the pairing was replaced. */
export function handleAuthError(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return false;
  pairingLost(error.code === "device_revoked" ? "revoked" : "unpaired");
  return true;
}
