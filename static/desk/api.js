// The public API calls of the sales desk, with the page's staff session and CSRF token: the same
// endpoints an organiser's web shop uses (shared/API.md "Virtual office"; docs/adr/0032).

const body = document.body;
const CSRF = body.dataset.csrfToken;
const EVENT = encodeURIComponent(body.dataset.eventId);

/** An API refusal: `code` is the contract's reason code ("seats_unavailable", "hold_expired"...),
 * `tickets` the ticket_ids an error names; status 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, data) {
    const error = (data && data.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status ? "http_error" : "network");
    this.tickets = error.tickets || [];
    this.signedOut = status === 401 || status === 403;
  }
}

async function call(method, url, payload) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = CSRF;
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.redirected && /\/login\//.test(response.url)) throw new ApiError(401, null);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A `next` link is absolute as the server saw the request; behind a proxy that may not be the
// address this page was loaded from, so only its path and query are followed.
const local = (url) => {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
};

export const event = () => call("GET", `/api/v1/events/${EVENT}`);
export const sales = () => call("GET", `/api/v1/events/${EVENT}/sales`);
export const ticket = (ticketId) => call("GET", `/api/v1/events/${EVENT}/tickets/${encodeURIComponent(ticketId)}`);

/** Every seat of a zone (all pages, 500 a page); `progress(read)` after each page. */
export async function seats(zoneId, progress = () => {}) {
  const rows = [];
  let url = `/api/v1/events/${EVENT}/seats?zone=${encodeURIComponent(zoneId)}&page_size=500`;
  while (url) {
    const page = await call("GET", url);
    rows.push(...page.results);
    progress(rows.length);
    url = page.next ? local(page.next) : null;
  }
  return rows;
}

export const hold = (tickets, holdSeconds) =>
  call("POST", `/api/v1/events/${EVENT}/holds`, { tickets, hold_seconds: holdSeconds });
export const release = (holdId) => call("DELETE", `/api/v1/holds/${encodeURIComponent(holdId)}`);
export const checkout = (holdId, buyer) => call("POST", `/api/v1/holds/${encodeURIComponent(holdId)}/checkout`, { buyer });
export const email = (payload) => call("POST", `/api/v1/events/${EVENT}/emails`, payload);

export const qrUrl = (ticketId) => `/api/v1/events/${EVENT}/tickets/${encodeURIComponent(ticketId)}/qr?format=svg`;
export const pdfUrl = (ticketIds, layout) =>
  `/api/v1/events/${EVENT}/tickets.pdf?layout=${layout}&tickets=${ticketIds.map(encodeURIComponent).join(",")}`;
