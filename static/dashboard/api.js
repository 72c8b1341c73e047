// The staff API calls of the dashboard's buttons, with the page's session and CSRF token.

const CSRF = document.body.dataset.csrfToken;

/** POSTs `{}`; resolves to the JSON answer, rejects with the API's error message. */
export async function post(url) {
  const r = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "X-CSRFToken": CSRF, "Content-Type": "application/json", Accept: "application/json" },
    body: "{}",
  });
  const b = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((b.error && b.error.message) || `HTTP ${r.status}`);
  return b;
}

export const acknowledgeAlert = (id) => post(`/api/v1/alerts/${encodeURIComponent(id)}/acknowledge`);
export const revokeDevice = (id) => post(`/api/v1/devices/${encodeURIComponent(id)}/revoke`);

/** GETs JSON with the page's session; rejects on an HTTP error or a login page. */
export async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  if (!r.ok || (r.redirected && /\/login\//.test(r.url))) throw new Error(`HTTP ${r.status}`);
  return r.json();
}

export const nightSeries = () => getJSON(`${document.body.dataset.seriesUrl}?range=night`);
