// The HTTP client of TicketCore's device apps (the door scanner, the box-office terminal): JSON in
// and out with a timeout, `Authorization: Device <token>` when given one. An answer that is not
// about the request (no network, a timeout, a 5xx, a 429, a 408) is a NetworkError: the app goes
// offline. A 4xx is an ApiError with the contract's reason code (shared/API.md "Conventions").
// Leaf module: imports nothing (each app's api.js adds its settings and its device).

let lastAnswer = 0;

/** When the server last answered anything (performance.now()): an app probes only when this is
 * old, so a busy device costs no extra requests. */
export const lastAnswerAt = () => lastAnswer;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error && body.error.code) || null;
    this.body = body;
  }
}

export class NetworkError extends Error {}

export async function request(url, { method = "GET", body, timeout, token = null } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Device ${token}`;
  try {
    let response;
    try {
      response = await fetch(url, {
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
    // waiting for (408) is not an answer about the request: go offline.
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
 * no token), so it is cheap enough to ask every second while the device is quiet. */
export async function reachable(url, timeout) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(url, { signal: controller.signal, credentials: "omit", cache: "no-store" });
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
