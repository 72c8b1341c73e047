// TicketCore door scanner: pairing, scanning (camera, keyboard wedge, manual), results, offline.
// Contract: shared/API.md ("Scanning", "Devices", "Door scanner app"); design: docs/adr/0015.
import {
  clearManifest, forgetDevice, loadDevice, loadManifest, openConflicts, pendingScans, putScan, putScans,
  putTickets, saveDevice, saveManifest,
} from "./store.js";
import { KeyRing, LocalScans, Manifest, decide, parseCode } from "./offline.js";
import { QrCamera, prepareReader } from "./camera.js";
import { signal, unlockAudio } from "./feedback.js";

const CONFIG = JSON.parse(document.getElementById("scanner-config").textContent);

const ONLINE_TIMEOUT_MS = 2000; // a scan slower than this is decided on the phone instead
const HEARTBEAT_MS = 20000;
const PROBE_MS = 3000; // while offline: how often to check whether the server is back
const MANIFEST_REFRESH_MS = 30000;
const SYNC_RETRY_MS = 5000;
const SAME_CODE_IGNORE_MS = 2500; // a ticket held in front of the camera is read once
const RESULT_MS = { accepted: 1000, queued: 1200, rejected: 2200 };
const SYNC_BATCH = 200;

// Every reason code of the contract, in words a steward can act on in a second.
const REASONS = {
  invalid_signature: "Not a valid ticket: fake or damaged code.",
  unknown_ticket: "Ticket not found for this event.",
  wrong_event: "This ticket is for a different event.",
  not_sold: "This ticket was never sold.",
  already_inside: "Already inside.",
  already_used: "Already used. No re-entry in this zone.",
  not_inside: "Cannot exit: this ticket is not inside.",
  zone_not_allowed: "Wrong gate: this zone does not enter here.",
  direction_not_allowed: "Wrong direction for this gate.",
  credential_revoked: "This credential has been revoked.",
  event_closed: "Doors are closed: outside the event's opening hours.",
  device_revoked: "This phone has been revoked.",
  no_manifest: "Offline, and no ticket list on this phone yet: cannot check.",
  unreadable: "The server could not read this code.",
};

const $ = (id) => document.getElementById(id);

const state = {
  device: loadDevice(),
  screen: "boot",
  mode: "online",
  direction: "in",
  manifest: null,
  keys: new KeyRing(),
  local: new LocalScans(),
  pending: 0,
  clockOffsetMs: 0,
  seen: new Map(),
  chain: Promise.resolve(),
  stopped: false,
  syncing: false,
  manifestBusy: false,
  lastBeat: 0,
  lastManifest: 0,
  lastSync: 0,
  ticker: null,
  resultTimer: null,
};

// Read by the browser tests and handy when debugging a door phone over remote DevTools.
window.__scanner = { state, metrics: [], config: CONFIG };

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error && body.error.code) || null;
  }
}

class NetworkError extends Error {}

async function api(path, { method = "GET", body, timeout = ONLINE_TIMEOUT_MS, auth = true } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && state.device) headers.Authorization = `Device ${state.device.token}`;
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

/** 401 means this phone may not scan any more: revoked, or its pairing was replaced. */
function handleAuthError(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return false;
  if (error.code === "device_revoked") showRevoked();
  else showUnpaired();
  return true;
}

// ------------------------------------------------------------------------------ screens

function showScreen(name) {
  state.screen = name;
  document.body.dataset.screen = name;
  for (const id of ["pairing", "scan", "revoked"]) $(id).hidden = id !== name;
  if (name !== "scan") hideResult();
}

function setMode(mode) {
  state.mode = mode;
  document.body.dataset.mode = mode;
  $("offline-banner").hidden = mode !== "offline";
  renderStatus();
}

function renderStatus() {
  const net = $("net");
  const offline = state.mode === "offline";
  net.className = `net ${offline ? "offline" : state.syncing ? "syncing" : "online"}`;
  net.textContent = offline ? "Offline" : state.syncing ? "Syncing" : "Online";
  $("queue").textContent = `${state.pending} queued`;
  $("queue").classList.toggle("has-queue", state.pending > 0);
  $("banner-queue").textContent = state.pending === 1 ? "1 scan waiting to upload" : `${state.pending} scans waiting to upload`;
  document.body.dataset.pending = String(state.pending);
}

function renderHeader() {
  const device = state.device;
  $("event-name").textContent = (device.event && device.event.name) || "";
  $("checkpoint-name").textContent = (device.checkpoint && device.checkpoint.name) || "Checkpoint";
  $("role").textContent = device.role === "supervisor" ? "Supervisor" : "Steward";
  $("manual-open").hidden = device.role !== "supervisor";
}

function renderManifestState() {
  const m = state.manifest;
  const el = $("manifest-state");
  if (!m) {
    el.textContent = "No offline list yet";
    document.body.dataset.manifest = "none";
    return;
  }
  el.textContent = `${m.tickets.size} tickets offline`;
  document.body.dataset.manifest = "ready";
  document.body.dataset.manifestVersion = String(m.version);
}

function allowedDirections() {
  const directions = (state.device.checkpoint && state.device.checkpoint.directions) || "both";
  return directions === "both" ? ["in", "out"] : [directions];
}

function renderDirection() {
  const allowed = allowedDirections();
  if (!allowed.includes(state.direction)) state.direction = allowed[0];
  const both = allowed.length === 2;
  $("direction").hidden = !both;
  $("direction-fixed").hidden = both;
  $("direction-fixed").textContent = allowed[0] === "in" ? "Entry only" : "Exit only";
  for (const button of document.querySelectorAll("#direction button")) {
    const active = button.dataset.dir === state.direction;
    button.classList.toggle("active", active);
    button.setAttribute("aria-checked", String(active));
  }
  document.body.dataset.direction = state.direction;
}

// ------------------------------------------------------------------------------ pairing

function extractPairingCode(value) {
  const text = String(value || "").trim();
  try {
    const url = new URL(text);
    const code = url.searchParams.get("pair");
    if (code) return code.trim();
  } catch {
    /* not a URL: maybe the bare code */
  }
  return /^[A-Za-z0-9 -]{4,24}$/.test(text) ? text.replace(/[\s-]/g, "").toUpperCase() : null;
}

let pairCamera = null;

function showPairing(message = "") {
  stopScanning();
  showScreen("pairing");
  $("pair-error").hidden = !message;
  $("pair-error").textContent = message;
  $("pair-cancel").hidden = !state.device || state.device.revoked;
}

function stopPairCamera() {
  if (pairCamera) pairCamera.stop();
  pairCamera = null;
  $("pair-camera").hidden = true;
  $("pair-scan").hidden = false;
}

function startPairCamera() {
  unlockAudio();
  $("pair-camera").hidden = false;
  $("pair-scan").hidden = true;
  pairCamera = new QrCamera($("pair-video"), (value) => {
    const code = extractPairingCode(value);
    if (!code) return;
    stopPairCamera();
    pair(code);
  }, (error) => {
    stopPairCamera();
    $("pair-error").hidden = false;
    $("pair-error").textContent = cameraProblem(error);
  });
  pairCamera.start();
}

async function pair(raw) {
  const code = extractPairingCode(raw);
  if (!code) {
    showPairing("That is not a pairing code. It has 10 letters and digits.");
    return;
  }
  $("pair-submit").disabled = true;
  $("pair-submit").textContent = "Pairing…";
  try {
    const body = await api("/devices/pair", { method: "POST", body: { pairing_code: code }, auth: false, timeout: 10000 });
    const previous = state.device;
    state.device = {
      device_id: body.device_id, token: body.token, role: body.role, event: body.event,
      checkpoint: body.checkpoint, paired_at: new Date().toISOString(),
    };
    saveDevice(state.device);
    if (!previous || previous.device_id !== body.device_id || (previous.event || {}).event_id !== body.event.event_id) {
      state.manifest = null;
      await clearManifest();
    }
    state.direction = "in";
    localStorage.removeItem("tc.scanner.direction");
    await startScanning();
  } catch (error) {
    if (error instanceof ApiError) {
      showPairing(error.code === "pairing_invalid"
        ? "This pairing code is unknown, already used or expired. Ask the admin for a new one."
        : `Pairing refused: ${error.message}`);
    } else {
      showPairing("No connection to the server. Pairing needs the network once; try again.");
    }
  } finally {
    $("pair-submit").disabled = false;
    $("pair-submit").textContent = "Pair";
  }
}

// ------------------------------------------------------------------------------ scanning

let camera = null;

function cameraProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError") return "Camera permission denied. Allow the camera for this site, or use a hardware scanner.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera found. Use a hardware scanner or manual entry.";
  if (!window.isSecureContext) return "The camera needs HTTPS.";
  return `Camera unavailable (${name || error}).`;
}

async function startScanning() {
  state.stopped = false;
  unlockAudio(); // creating the AudioContext takes ~100 ms: not on the first result
  showScreen("scan");
  renderHeader();
  const saved = localStorage.getItem("tc.scanner.direction");
  if (saved === "in" || saved === "out") state.direction = saved;
  renderDirection();
  setMode(state.mode);
  await loadLocal();
  if (!camera) {
    camera = new QrCamera($("video"), onCameraCode, (error) => {
      $("camera-msg").hidden = false;
      $("camera-msg").textContent = cameraProblem(error);
    });
  }
  camera.start();
  refreshConflicts();
  heartbeat();
  refreshManifest();
  if (!state.ticker) state.ticker = setInterval(tick, 1000);
}

function stopScanning() {
  if (camera) camera.stop();
  if (state.ticker) clearInterval(state.ticker);
  state.ticker = null;
}

async function loadLocal() {
  try {
    const stored = await loadManifest();
    if (stored && stored.meta.device_id === state.device.device_id) {
      state.manifest = new Manifest(stored.meta, stored.tickets);
      state.keys.setKeys(state.manifest.meta.keys);
      warmKeys();
    }
    const pending = (await pendingScans()).filter((s) => s.device_id === state.device.device_id);
    state.local.replay(pending);
    state.pending = pending.length;
  } catch (error) {
    console.error("could not read local data", error);
  }
  renderManifestState();
  renderStatus();
}

/** One timer drives the background work, so nothing runs twice and nothing is forgotten. */
function tick() {
  if (state.stopped) return;
  const now = Date.now();
  if (state.mode === "offline") {
    if (now - state.lastBeat >= PROBE_MS) heartbeat();
    return;
  }
  if (now - state.lastBeat >= HEARTBEAT_MS) heartbeat();
  if (now - state.lastManifest >= MANIFEST_REFRESH_MS) refreshManifest();
  if (state.pending > 0 && now - state.lastSync >= SYNC_RETRY_MS) syncQueue();
}

function goOffline() {
  if (state.mode === "offline") return;
  state.lastBeat = Date.now();
  setMode("offline");
}

function goOnline() {
  if (state.mode === "online") return;
  setMode("online");
  syncQueue().then(() => refreshManifest());
}

async function heartbeat() {
  state.lastBeat = Date.now();
  try {
    const body = await api("/devices/heartbeat", {
      method: "POST", body: { device_time: new Date().toISOString(), app_version: CONFIG.app_version },
    });
    if (typeof body.clock_offset_ms === "number") state.clockOffsetMs = body.clock_offset_ms;
    goOnline();
  } catch (error) {
    if (!handleAuthError(error) && error instanceof NetworkError) goOffline();
  }
}

async function refreshManifest() {
  if (state.manifestBusy || state.stopped || state.mode !== "online") return;
  state.manifestBusy = true;
  state.lastManifest = Date.now();
  try {
    const since = state.manifest ? state.manifest.version : null;
    const query = since != null ? `?since=${encodeURIComponent(since)}` : "";
    const data = await api(`/scan/manifest${query}`, { timeout: 60000 });
    const full = since == null || !state.manifest || data.full === true;
    if (full) state.manifest = new Manifest();
    const changed = state.manifest.apply(data);
    // Our own unsynced admissions stay on top of whatever the server says (LocalScans).
    state.keys.setKeys(state.manifest.meta.keys);
    warmKeys();
    adoptCheckpoint(state.manifest.meta);
    await saveManifest({ ...state.manifest.meta, device_id: state.device.device_id },
      full ? [...state.manifest.tickets.values()] : changed, { replace: full });
  } catch (error) {
    if (!handleAuthError(error)) console.warn("manifest refresh failed", error.message);
  } finally {
    state.manifestBusy = false;
    renderManifestState();
  }
}

function isPairingQr(value) {
  try {
    return new URL(value).searchParams.has("pair");
  } catch {
    return false;
  }
}

function warmKeys() {
  state.keys.warm().then((ok) => {
    // Offline checks would then refuse every ticket: say so now, not at the first outage.
    $("crypto-msg").hidden = ok;
    document.body.dataset.offlineCheck = ok ? "ready" : "unsupported";
  });
}

/** The admin may rename a gate or change its directions while the phone is paired. */
function adoptCheckpoint(meta) {
  const device = state.device;
  const checkpoint = meta.checkpoint;
  if (!device || !checkpoint || checkpoint.checkpoint_id !== (device.checkpoint || {}).checkpoint_id) return;
  const before = JSON.stringify([device.checkpoint, device.event && device.event.name]);
  device.checkpoint = { ...device.checkpoint, ...checkpoint };
  if (meta.event && device.event) device.event = { ...device.event, name: meta.event.name };
  if (JSON.stringify([device.checkpoint, device.event && device.event.name]) === before) return;
  saveDevice(device);
  renderHeader();
  renderDirection();
}

function onCameraCode(value, timing) {
  if (state.stopped || state.screen !== "scan") return;
  const now = performance.now();
  const last = state.seen.get(value);
  if (last !== undefined && now - last < SAME_CODE_IGNORE_MS) return;
  state.seen.set(value, now);
  if (isPairingQr(value)) return; // the device QR still in view after pairing: not a ticket
  if (state.seen.size > 500) state.seen.clear();
  submit(value, "camera", timing);
}

function submit(value, source, timing = null) {
  if (state.stopped) return;
  const code = String(value || "").trim();
  if (!code) return;
  // Scans are handled one at a time, in the order they were read.
  state.chain = state.chain.then(() => processScan(code, source, timing)).catch((error) => console.error(error));
}

/** crypto.randomUUID exists only in secure contexts; getRandomValues everywhere. */
function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function processScan(code, source, timing) {
  const startedAt = performance.now();
  const scan = { scan_id: uuid4(), code, direction: state.direction, scanned_at: new Date().toISOString() };
  let outcome = null;
  if (state.mode === "online") {
    try {
      const response = await api("/scan", { method: "POST", body: scan });
      learn(response, scan.direction);
      outcome = { kind: response.result, response, offline: false };
    } catch (error) {
      if (handleAuthError(error)) return;
      if (error instanceof ApiError) {
        outcome = { kind: "rejected", response: { result: "rejected", reason: "unreadable" }, offline: false };
      } else {
        goOffline();
      }
    }
  }
  if (!outcome) outcome = await decideOffline(scan);
  const respondedAt = performance.now();
  showResult(outcome, scan);
  const metric = { source, result: outcome.kind, reason: outcome.response.reason || null, offline: outcome.offline,
    startedAt, respondedAt, ...(timing || {}) };
  requestAnimationFrame(() => setTimeout(() => {
    metric.paintedAt = performance.now();
    const log = window.__scanner.metrics;
    log.push(metric);
    if (log.length > 1000) log.splice(0, 500); // a whole shift must not grow memory without end
  }, 0));
}

/** Keeps the offline list in step with what the server has just told us about a ticket. */
function learn(response, direction) {
  if (!state.manifest || !response || !response.ticket) return;
  const reason = response.reason;
  let update = null;
  if (response.result === "accepted") {
    update = direction === "in" ? { access_status: true, access_entry: true } : { access_entry: false };
  } else if (reason === "already_inside") {
    update = { access_status: true, access_entry: true };
  } else if (reason === "already_used") {
    update = { access_status: true };
  } else if (reason === "not_inside") {
    update = { access_entry: false };
  }
  if (!update) return;
  const ticket = state.manifest.learn(response.ticket.ticket_id, update);
  if (ticket) putTickets([ticket]).catch(() => {});
}

async function decideOffline(scan) {
  const parsed = parseCode(scan.code);
  if (!state.manifest) {
    return { kind: "rejected", response: { scan_id: scan.scan_id, result: "rejected", reason: "no_manifest" }, offline: true };
  }
  const verified = await state.keys.verify(parsed);
  const decision = decide({
    parsed, verified, direction: scan.direction, manifest: state.manifest, local: state.local,
    at: Date.now() + state.clockOffsetMs, checkpointName: state.device.checkpoint && state.device.checkpoint.name,
  });
  // Uploaded later: admissions (they changed who is inside) and forged codes (evidence the
  // server can never accept). Other refusals stay on the phone: sent later, the server might
  // admit a person the door turned away.
  const upload = decision.result === "accepted" || decision.reason === "invalid_signature";
  const row = {
    ...scan, device_id: state.device.device_id, kind: parsed ? parsed.kind : null, object_id: parsed ? parsed.objectId : null,
    local_result: decision.result, local_reason: decision.reason, ticket: decision.ticket || null,
    credential: decision.credential || null, pending: upload ? 1 : 0,
  };
  try {
    await putScan(row);
  } catch (error) {
    console.error("could not store the scan", error);
  }
  if (decision.result === "accepted") state.local.record(row);
  if (upload) state.pending += 1;
  renderStatus();
  return {
    kind: decision.result === "accepted" ? "queued" : "rejected",
    response: { scan_id: scan.scan_id, ...decision },
    offline: true,
  };
}

async function syncQueue({ evenIfRevoked = false } = {}) {
  if (state.syncing || (state.stopped && !evenIfRevoked) || !state.device) return 0;
  state.syncing = true;
  state.lastSync = Date.now();
  renderStatus();
  let uploaded = 0;
  try {
    let pending = (await pendingScans()).filter((s) => s.device_id === state.device.device_id);
    while (pending.length) {
      const batch = pending.slice(0, SYNC_BATCH);
      const body = await api("/scan/sync", {
        method: "POST", timeout: 20000,
        body: { scans: batch.map((s) => ({ code: s.code, direction: s.direction, scan_id: s.scan_id, scanned_at: s.scanned_at })) },
      });
      const answers = new Map((body.results || []).map((r) => [r.scan_id, r]));
      const updated = [];
      for (const scan of batch) {
        const answer = answers.get(scan.scan_id);
        if (!answer) continue;
        scan.pending = 0;
        scan.server_result = answer.result;
        scan.server_reason = answer.reason;
        scan.server_answer = answer;
        scan.synced_at = new Date().toISOString();
        scan.conflict = scan.local_result === "accepted" && answer.result !== "accepted" && answer.reason !== "device_revoked";
        learn(answer, scan.direction);
        updated.push(scan);
      }
      await putScans(updated);
      uploaded += updated.length;
      pending = pending.slice(batch.length);
    }
    const left = (await pendingScans()).filter((s) => s.device_id === state.device.device_id);
    state.local.replay(left);
    state.pending = left.length;
  } catch (error) {
    if (!evenIfRevoked && !handleAuthError(error) && error instanceof NetworkError) goOffline();
  } finally {
    state.syncing = false;
    renderStatus();
  }
  if (!state.stopped) refreshConflicts();
  return uploaded;
}

// ------------------------------------------------------------------------------ results

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function reasonText(response, direction) {
  const reason = response.reason;
  if (!reason) return direction === "out" ? "Exit recorded. Goodbye." : "Welcome. Let them in.";
  let text = REASONS[reason] || `Rejected (${reason}).`;
  const first = response.first_entry;
  if ((reason === "already_inside" || reason === "already_used") && first && first.at) {
    const where = first.checkpoint_name || first.checkpoint;
    text = `${reason === "already_inside" ? "Already inside" : "Already used, no re-entry"}: entered ${formatTime(first.at)}${where ? ` at ${where}` : ""}.`;
  }
  if (reason === "direction_not_allowed") text = `Wrong direction: this gate is ${allowedDirections()[0] === "in" ? "entry" : "exit"} only.`;
  return text;
}

const TITLES = { accepted: "ACCEPTED", queued: "ACCEPTED OFFLINE", rejected: "REJECTED" };

function showResult(outcome, scan) {
  const { kind, response } = outcome;
  const el = $("result");
  el.dataset.result = kind;
  el.dataset.reason = response.reason || "";
  el.className = `result result--${kind}`;
  $("result-title").textContent = TITLES[kind];
  $("result-direction").textContent = scan.direction === "out" ? "EXIT" : "ENTRY";
  $("result-reason").textContent = reasonText(response, scan.direction);
  $("result-foot").textContent = kind === "queued"
    ? "Checked on this phone. Queued; uploads when the network is back."
    : outcome.offline ? "Checked on this phone (offline)." : "";

  const ticket = response.ticket;
  const credential = response.credential;
  $("result-ticket").hidden = !ticket;
  $("result-credential").hidden = !credential || Boolean(ticket);
  if (ticket) {
    $("result-zone").textContent = ticket.zone || ticket.zone_id || "";
    $("result-swatch").style.backgroundColor = ticket.color || "transparent";
    $("result-seat").textContent = ticket.seat_id || "–";
    $("result-row").textContent = ticket.seat_row || "–";
    $("result-seat").classList.toggle("long", (ticket.seat_id || "").length > 7);
    $("result-row").classList.toggle("long", (ticket.seat_row || "").length > 7);
    $("result-seat-box").hidden = !ticket.seat_id;
    $("result-row-box").hidden = !ticket.seat_row;
  }
  if (credential) {
    $("result-credential-kind").textContent = (credential.kind || "").toUpperCase();
    $("result-credential-name").textContent = credential.name || "";
  }
  el.hidden = false;
  document.body.dataset.result = kind;
  // Sound and vibration after the frame is painted: the colour is what must not wait.
  requestAnimationFrame(() => setTimeout(() => signal(kind), 0));
  renderLast(kind, response, scan);

  clearTimeout(state.resultTimer);
  const hold = Number(localStorage.getItem("tc.scanner.resultMs")) || RESULT_MS[kind];
  state.resultTimer = setTimeout(hideResult, hold);
}

function hideResult() {
  clearTimeout(state.resultTimer);
  $("result").hidden = true;
  delete document.body.dataset.result;
}

function renderLast(kind, response, scan) {
  const last = $("last");
  const ticket = response.ticket || {};
  const who = ticket.seat_id || ticket.zone || (response.credential && response.credential.name) || "";
  const what = kind === "rejected" ? (REASONS[response.reason] || response.reason || "").replace(/\.$/, "") : kind === "queued" ? "accepted offline" : "accepted";
  last.hidden = false;
  last.className = `last last--${kind}`;
  $("last-text").textContent = `${who ? `${who} · ` : ""}${what}`;
  $("last-time").textContent = formatTime(scan.scanned_at);
}

// ------------------------------------------------------------------------------ conflicts

async function refreshConflicts() {
  let conflicts = [];
  try {
    conflicts = (await openConflicts()).filter((s) => s.device_id === (state.device && state.device.device_id));
  } catch {
    return;
  }
  const sheet = $("conflicts");
  sheet.hidden = conflicts.length === 0;
  document.body.dataset.conflicts = String(conflicts.length);
  if (!conflicts.length) return;
  $("conflicts-title").textContent = conflicts.length === 1
    ? "1 offline admission was refused by the server"
    : `${conflicts.length} offline admissions were refused by the server`;
  const list = $("conflicts-list");
  list.replaceChildren();
  for (const scan of conflicts) {
    const item = document.createElement("li");
    const ticket = (scan.server_answer && scan.server_answer.ticket) || scan.ticket || {};
    const who = ticket.seat_id || ticket.ticket_id || (scan.credential && scan.credential.name) || scan.object_id || "Ticket";
    const head = document.createElement("strong");
    head.textContent = `${who}${ticket.zone ? ` · ${ticket.zone}` : ""}`;
    const body = document.createElement("span");
    body.textContent = `Let in here at ${formatTime(scan.scanned_at)}. Server: ${reasonText(scan.server_answer || { reason: scan.server_reason }, scan.direction)}`;
    item.append(head, body);
    item.dataset.reason = scan.server_reason || "";
    list.append(item);
  }
  $("conflicts-ok").onclick = async () => {
    for (const scan of conflicts) scan.conflict_seen = true;
    await putScans(conflicts);
    refreshConflicts();
  };
}

// ------------------------------------------------------------------------------ revoked / unpaired

async function showRevoked() {
  if (state.stopped && state.screen === "revoked") return;
  state.stopped = true;
  stopScanning();
  showScreen("revoked");
  if (state.device) {
    state.device = { ...state.device, revoked: true };
    saveDevice(state.device);
  }
  // The contract lets a revoked phone hand over its queue: stored as quarantined evidence.
  const handed = await syncQueue({ evenIfRevoked: true });
  $("revoked-queue").textContent = handed ? `${handed} offline scan(s) were handed over as evidence.` : "";
}

function showUnpaired() {
  state.stopped = true;
  forgetDevice();
  state.device = null;
  showPairing("This phone's pairing is no longer valid (it was re-paired or removed). Pair it again.");
}

// ------------------------------------------------------------------------------ input

// Hardware scanners (USB/Bluetooth HID, "keyboard wedge") type the code and press Enter within
// a few milliseconds per key. Keys are collected at the document, so no input needs focus and
// no on-screen keyboard pops up; a pause longer than a human would leave restarts the buffer.
const wedge = { buffer: "", last: 0 };
const WEDGE_GAP_MS = 300;

function onKeyDown(event) {
  if (state.screen !== "scan" || state.stopped) return;
  const target = event.target;
  if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
  const now = performance.now();
  if (now - wedge.last > WEDGE_GAP_MS) wedge.buffer = "";
  wedge.last = now;
  if (event.key === "Enter") {
    const code = wedge.buffer;
    wedge.buffer = "";
    if (code.length >= 6) {
      event.preventDefault();
      submit(code, "wedge");
    }
    return;
  }
  if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
    wedge.buffer = (wedge.buffer + event.key).slice(-2000);
  }
}

async function manualSubmit(event) {
  event.preventDefault();
  const input = $("manual-input");
  const value = input.value.trim();
  if (!value) return;
  const out = $("manual-out");
  out.replaceChildren();
  if (parseCode(value)) {
    input.value = "";
    closeManual();
    submit(value, "manual");
    return;
  }
  out.textContent = "Looking up…";
  try {
    const ticket = await api(`/scan/lookup?q=${encodeURIComponent(value)}`);
    renderLookup(ticket);
  } catch (error) {
    if (handleAuthError(error)) return;
    if (error instanceof ApiError) {
      out.textContent = error.status === 404 ? `No ticket "${value}" in this event.` : error.message;
    } else {
      const known = state.manifest && state.manifest.tickets.get(value);
      out.textContent = known
        ? `Offline. ${value}: ${known.status ? "not sold" : "sold"}, ${known.access_entry ? "inside" : "not inside"}.`
        : "Offline: lookup needs the network.";
    }
  }
}

function renderLookup(ticket) {
  const out = $("manual-out");
  out.replaceChildren();
  const rows = [
    ["Seat", ticket.seat_id], ["Zone", ticket.zone], ["Row", ticket.seat_row],
    ["Sold", ticket.status ? "No" : "Yes"], ["Inside now", ticket.access_entry ? "Yes" : "No"],
    ["Used", ticket.access_status ? "Yes" : "No"],
  ];
  if (ticket.first_entry) {
    rows.push(["First entry", `${formatTime(ticket.first_entry.at)} ${ticket.first_entry.checkpoint_name || ""}`.trim()]);
  }
  const dl = document.createElement("dl");
  dl.className = "lookup";
  for (const [label, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value == null ? "–" : String(value);
    dl.append(dt, dd);
  }
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.backgroundColor = ticket.color || "transparent";
  dl.querySelector("dd:nth-of-type(2)").prepend(swatch);
  out.append(dl);
  out.dataset.ticket = ticket.ticket_id;
}

function openManual() {
  $("manual").hidden = false;
  $("manual-out").replaceChildren();
  $("manual-input").focus();
}

function closeManual() {
  $("manual").hidden = true;
  $("manual-input").blur();
}

// ------------------------------------------------------------------------------ start-up

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch((error) => {
    document.body.dataset.sw = "failed";
    console.warn("service worker not registered", error);
  });
  navigator.serviceWorker.ready.then((registration) => {
    document.body.dataset.sw = "ready";
    if (!navigator.serviceWorker.controller && registration.active) {
      registration.active.postMessage({ type: "claim" });
    }
  });
}

function wire() {
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", onKeyDown);
  window.addEventListener("online", () => { if (state.mode === "offline") heartbeat(); });
  window.addEventListener("offline", goOffline);
  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    unlockAudio();
    pair($("pair-code").value);
  });
  $("pair-scan").addEventListener("click", startPairCamera);
  $("pair-cancel").addEventListener("click", () => { stopPairCamera(); startScanning(); });
  $("repair").addEventListener("click", () => {
    forgetDevice();
    state.device = null;
    showPairing();
  });
  for (const button of document.querySelectorAll("#direction button")) {
    button.addEventListener("click", () => {
      state.direction = button.dataset.dir;
      localStorage.setItem("tc.scanner.direction", state.direction);
      renderDirection();
    });
  }
  $("result").addEventListener("click", hideResult);
  $("manual-open").addEventListener("click", openManual);
  $("manual-close").addEventListener("click", closeManual);
  $("manual-form").addEventListener("submit", manualSubmit);
  $("unpair").addEventListener("click", () => {
    if (!confirm("Unpair this phone? It will need a new pairing code.")) return;
    forgetDevice();
    state.device = null;
    showPairing();
  });
}

async function boot() {
  wire();
  if (!window.isSecureContext) {
    // Camera, service worker and WebCrypto exist only over HTTPS (or on localhost).
    $("camera-msg").hidden = false;
    $("camera-msg").textContent = "Not a secure (HTTPS) address: no camera, no offline checks. Open the app over HTTPS.";
  }
  registerServiceWorker();
  prepareReader(CONFIG.wasm).then(
    () => { document.body.dataset.reader = "ready"; },
    (error) => {
      document.body.dataset.reader = "failed";
      $("camera-msg").hidden = false;
      $("camera-msg").textContent = `QR reader failed to load (${error}). Use a hardware scanner.`;
    },
  );
  const code = new URLSearchParams(location.search).get("pair");
  if (code) {
    // The code works once: keep it out of the history, bookmarks and an installed app's start.
    history.replaceState(null, "", CONFIG.scope);
    await pair(code);
  } else if (state.device && state.device.revoked) {
    showScreen("revoked");
  } else if (state.device) {
    await startScanning();
  } else {
    showPairing();
  }
}

boot();
