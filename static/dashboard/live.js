// The live feed: ws /ws/events/{id}/live/ (shared/API.md "Live"), and what the page says about it.
//
// A `snapshot` arrives on each (re)connect. While the socket is down the figures are marked
// stale in words, the page retries every few seconds (1, 2, 4, then 5 s, jittered) and polls the
// same snapshot over HTTP; the moment that poll answers again (the server is back) it reconnects
// at once. A poll that lands on the login page means the session is gone: the page says so and
// links to the login instead of retrying as if the network were down.
import { gettext, interpolate } from "../i18n/gettext.js";
import { $, setText } from "./dom.js";
import { ago, time } from "./format.js";
import * as state from "./state.js";

const body = document.body;
const WS_PATH = body.dataset.wsPath;
const SNAPSHOT_URL = body.dataset.snapshotUrl;
const RETRY_MAX_MS = 5000;
const SIGNED_OUT_RETRY_MS = 15000;
const POLL_MS = 5000;

let socket = null;
let attempt = 0;
let reconnectTimer = null;
let pollTimer = null;
let pingTimer = null;
let lastPong = 0;
let lastDataAt = Date.now(); // when the figures last came from the server (socket or poll)
let signedOut = false; // the last poll landed on the login page
let serverAnswers = true; // the last poll reached the server
let onMessage = () => {};
let onSnapshot = () => {};

/** Connects: `message(msg)` gets every socket message, `snapshot(snap)` every snapshot polled
 * while the socket is down. */
export function startLive({ message, snapshot }) {
  onMessage = message;
  onSnapshot = snapshot;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !socket) {
      attempt = 0;
      connect();
    }
  });
  connect();
}

export const currentSocket = () => socket;

export function reconnectNow() {
  attempt = 0;
  if (socket) socket.close();
  else connect();
}

export function markAsOf(iso) {
  setText("asof", interpolate(gettext("as of %(time)s"), { time: time(iso || new Date().toISOString()) }, true));
}

function setConn(kind, text) {
  const el = $("conn");
  el.className = `pill ${{ live: "pill-ok", wait: "pill-wait", down: "pill-bad" }[kind]}`;
  el.dataset.state = kind;
  el.textContent = text;
  renderStale();
}

const socketOpen = () => !!socket && socket.readyState === WebSocket.OPEN;

// Not live (after the first failure): the figures are the last ones received. A manager must
// not read them as current, so the page says it in words, with their age.
function renderStale() {
  const stale = !socketOpen() && (attempt > 0 || signedOut);
  body.classList.toggle("is-stale", stale);
  body.dataset.stale = stale ? "true" : "false";
  const banner = $("stale");
  if (!banner) return;
  banner.hidden = !stale;
  if (!stale) return;
  banner.classList.toggle("signed-out", signedOut);
  $("stale-signin").hidden = !signedOut;
  const age = ago(new Date(lastDataAt).toISOString());
  const asOf = time(new Date(lastDataAt).toISOString());
  const values = { time: asOf, age, every: POLL_MS / 1000 };
  if (signedOut) {
    setText("stale-title", gettext("Signed out: these figures are stale"));
    setText("stale-text", interpolate(gettext("This browser's session has ended, so the live feed refuses it. Figures as of %(time)s (%(age)s)."), values, true));
  } else if (serverAnswers) {
    setText("stale-title", gettext("Not live: figures may be out of date"));
    setText("stale-text", interpolate(gettext("The live feed is down; figures are re-read every %(every)s s, last at %(time)s (%(age)s). Reconnecting…"), values, true));
  } else {
    setText("stale-title", gettext("Not live: these figures are stale"));
    setText("stale-text", interpolate(gettext("The server cannot be reached. Last figures at %(time)s (%(age)s). Reconnecting…"), values, true));
  }
}

// Connected, but the server lost Redis: figures still come from the database every few
// seconds, only the scan stream pauses.
function showLive() {
  const live = state.snapshot() && state.snapshot().live;
  if (live && live.redis === false) setConn("wait", gettext("Live · database only"));
  else setConn("live", gettext("Live"));
}

function connect() {
  clearTimeout(reconnectTimer);
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  let ws;
  try {
    ws = new WebSocket(proto + location.host + WS_PATH);
  } catch {
    scheduleReconnect();
    return;
  }
  socket = ws;
  setConn("wait", attempt ? gettext("Reconnecting…") : gettext("Connecting…"));
  ws.onopen = () => {
    attempt = 0;
    signedOut = false;
    serverAnswers = true;
    lastPong = Date.now();
    stopPolling();
    showLive();
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - lastPong > 45000) { ws.close(); return; } // a dead link that never said so
      ws.send(JSON.stringify({ type: "ping" }));
    }, 15000);
  };
  ws.onmessage = (ev) => {
    lastPong = lastDataAt = Date.now();
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    onMessage(msg);
    if (msg.type === "feed" || (msg.type === "snapshot" && socketOpen())) showLive();
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    clearInterval(pingTimer);
    scheduleReconnect();
  };
  ws.onerror = () => { /* onclose follows */ };
}

function scheduleReconnect() {
  attempt += 1;
  // 1, 2, 4, then every 5 s (+ up to 1 s of jitter so a venue's dashboards do not reconnect in
  // lockstep): a restarted server is back within seconds, and while it is down an attempt is
  // one refused TCP connection. A signed-out page retries slowly (a sign-in in another tab
  // brings it back by itself).
  const cap = signedOut ? SIGNED_OUT_RETRY_MS : RETRY_MAX_MS;
  const delay = Math.min(cap, 1000 * 2 ** (attempt - 1)) + Math.random() * 1000;
  const at = Date.now() + delay;
  const label = (left) => interpolate(signedOut ? gettext("Signed out · retry in %(n)s s") : gettext("Offline · retry in %(n)s s"),
    { n: left }, true);
  setConn("down", label(Math.ceil(delay / 1000)));
  clearInterval(reconnectTimer);
  reconnectTimer = setInterval(() => {
    const left = Math.ceil((at - Date.now()) / 1000);
    if (left <= 0) { clearInterval(reconnectTimer); connect(); } else setConn("down", label(left));
  }, 250);
  startPolling();
}

// The server answers again after not answering (it restarted): reconnect now rather than at
// the end of the current wait.
function reconnectSoon() {
  if (socket) return; // an attempt is already under way
  clearInterval(reconnectTimer);
  connect();
}

async function poll() {
  let response;
  try {
    response = await fetch(SNAPSHOT_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    serverAnswers = false; // the server itself is unreachable: keep the last figures
    renderStale();
    return;
  }
  const wasDown = !serverAnswers;
  serverAnswers = true;
  // staff_member_required answers a 302 to the admin login, which fetch follows.
  const toLogin = response.redirected && /\/login\//.test(response.url);
  signedOut = toLogin || response.status === 401 || response.status === 403;
  if (wasDown && !signedOut) reconnectSoon();
  renderStale();
  if (!response.ok || toLogin) return;
  const snap = await response.json();
  if (snap && !socketOpen()) {
    lastDataAt = Date.now();
    onSnapshot(snap);
    renderStale();
  }
}

function startPolling() {
  if (pollTimer) return;
  const run = () => poll().catch(() => { /* a body that is not JSON: keep the last figures */ });
  run();
  pollTimer = setInterval(run, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}
