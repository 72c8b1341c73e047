// The live feed (ws /ws/events/{id}/live/, staff session): the desk listens for `snapshot` (on
// every (re)connect), the `sales` aggregate and the `sales` changes seat by seat. While the socket
// is down the page says so and retries (1, 2, 4, then every 5 s, jittered); a socket refused
// because the session ended (close code 4403) is "signed out", retried slowly. A server that lost
// Redis keeps the socket but cannot pass on seat changes (`feed` {redis: false}): said too, and
// the snapshot that follows Redis's return re-reads the map.
import { gettext, interpolate } from "../i18n/gettext.js";
import { $ } from "../dashboard/dom.js";

const WS_PATH = document.body.dataset.wsPath;
const RETRY_MAX_MS = 5000;
const SIGNED_OUT_RETRY_MS = 15000;
const PING_MS = 15000;
const SILENT_MAX_MS = 45000;
const CLOSE_FORBIDDEN = 4403;

let socket = null;
let attempt = 0;
let signedOut = false;
let paused = false; // connected, but the server lost Redis: seat changes do not arrive
let timer = null;
let handler = () => {};

export const isLive = () => !!socket && socket.readyState === WebSocket.OPEN && !signedOut;
// For the browser tests (and a curious operator's console): the socket in use.
globalThis.ticketcoreDesk = { socket: () => socket };

function show(kind, text) {
  const pill = $("conn");
  pill.className = `pill ${{ live: "pill-ok", wait: "pill-wait", down: "pill-bad" }[kind]}`;
  pill.dataset.state = kind;
  pill.textContent = text;
  const stale = kind !== "live" && (attempt > 0 || signedOut || paused);
  $("stale").hidden = !stale;
  $("stale-signin").hidden = !signedOut;
  document.body.dataset.live = kind === "live" ? "true" : "false";
}

/** Connect; `onMessage(msg)` gets every message (a `snapshot` first on each connect). */
export function startLive(onMessage) {
  handler = onMessage;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !socket) {
      attempt = 0;
      connect();
    }
  });
  connect();
}

function connect() {
  clearInterval(timer);
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  let ws;
  try {
    ws = new WebSocket(proto + location.host + WS_PATH);
  } catch {
    retry();
    return;
  }
  socket = ws;
  show("wait", attempt ? gettext("Reconnecting…") : gettext("Connecting…"));
  let heard = Date.now();
  let ping = null;
  ws.onopen = () => {
    ping = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - heard > SILENT_MAX_MS) { ws.close(); return; } // a dead link that never said so
      ws.send(JSON.stringify({ type: "ping" }));
    }, PING_MS);
  };
  ws.onmessage = (ev) => {
    heard = Date.now();
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.type === "snapshot" || msg.type === "feed") {
      attempt = 0;
      signedOut = false;
      paused = msg.type === "feed" ? msg.redis === false : !!(msg.live && msg.live.redis === false);
      if (paused) show("wait", gettext("Connected · seat changes paused"));
      else show("live", gettext("Live"));
    }
    handler(msg);
  };
  ws.onclose = (ev) => {
    clearInterval(ping);
    if (socket !== ws) return;
    socket = null;
    signedOut = ev.code === CLOSE_FORBIDDEN;
    retry();
  };
  ws.onerror = () => { /* onclose follows */ };
}

function retry() {
  attempt += 1;
  const cap = signedOut ? SIGNED_OUT_RETRY_MS : RETRY_MAX_MS;
  const at = Date.now() + Math.min(cap, 1000 * 2 ** (attempt - 1)) + Math.random() * 1000;
  const tick = () => {
    const left = Math.ceil((at - Date.now()) / 1000);
    if (left <= 0) { clearInterval(timer); connect(); return; }
    const text = signedOut
      ? gettext("Signed out · retry in %(seconds)s s")
      : gettext("Offline · retry in %(seconds)s s");
    show("down", interpolate(text, { seconds: left }, true));
  };
  clearInterval(timer);
  tick();
  timer = setInterval(tick, 250);
}
