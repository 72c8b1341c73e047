// A code read at the door (camera, hardware scanner or manual entry) becomes one scan: sent to
// POST /api/v1/scan while online, decided on the phone (queue.js) otherwise, then shown.
//
// A code held in front of the camera is read many times a second. It is scanned once: while it
// stays in view, and for REPEAT_MS after it was last seen, a read shows the same answer again
// (or keeps it on screen) without asking the server, so it is never counted as a second scan.
// Nothing is scanned while the steward must first read something (state.paused).
import { ApiError, api, handleAuthError } from "./api.js";
import { LOCAL_REASONS, codeKind } from "./kinds.js";
import { learn } from "./local.js";
import { decideOffline } from "./queue.js";
import { holdResult, showResult, showing } from "./result.js";
import * as state from "./state.js";

const REPEAT_MS = 5000;
const WEDGE_GAP_MS = 300;

// How long each result took, from the code read to the painted answer (the browser tests and
// remote DevTools read it as window.__scanner.metrics); `ignored` counts reads that did not
// become scans: repeats of a code just scanned (`shownAgain`: those that brought its answer back
// on screen) and reads while scanning was paused.
export const metrics = [];
export const ignored = { repeat: 0, shownAgain: 0, paused: 0 };

// code -> {direction, scan, outcome (null while asked), seenAt}: the camera's recent codes.
const recent = new Map();
let chain = Promise.resolve();

export function onCameraCode(value, timing) {
  if (state.stopped() || state.screen() !== "scan") return;
  if (codeKind(value) === "pairing") return; // the device QR still in view after pairing: not a ticket
  if (state.paused()) {
    ignored.paused += 1;
    return;
  }
  const now = performance.now();
  const last = recent.get(value);
  if (last && last.direction === state.direction() && now - last.seenAt < REPEAT_MS) {
    last.seenAt = now;
    ignored.repeat += 1;
    // Its answer is kept on screen while it is in view, shown again once it was gone; never over
    // the answer to another scan (a hardware scanner's, meanwhile).
    if (last.outcome && !holdResult(last.scan.scan_id) && showing() === null) {
      ignored.shownAgain += 1;
      showResult(last.outcome, last.scan, { repeat: true });
    }
    return;
  }
  if (recent.size > 500) recent.clear();
  const entry = { direction: state.direction(), scan: null, outcome: null, seenAt: now };
  recent.set(value, entry);
  submit(value, "camera", timing, entry);
}

/** `entry`: where the camera keeps the answer, for repeated reads of the same code. */
export function submit(value, source, timing = null, entry = null) {
  if (state.stopped()) return;
  const code = String(value || "").trim();
  if (!code) return;
  if (state.paused()) {
    ignored.paused += 1;
    return;
  }
  // Scans are handled one at a time, in the order they were read.
  chain = chain.then(() => processScan(code, source, timing, entry)).catch((error) => console.error(error));
}

/** crypto.randomUUID exists only in secure contexts; getRandomValues everywhere. */
export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What the server's refusal of the request itself (not of the ticket) means at the door. */
function refusal(error) {
  if (error.status === 403) return "not_a_scanner";
  return "unreadable";
}

async function processScan(code, source, timing, entry) {
  const startedAt = performance.now();
  const scan = { scan_id: uuid4(), code, direction: state.direction(), scanned_at: new Date().toISOString() };
  let outcome = null;
  const local = LOCAL_REASONS[codeKind(code)];
  if (local) {
    outcome = { kind: "rejected", response: { scan_id: scan.scan_id, result: "rejected", reason: local }, offline: false };
  } else if (state.mode() === "online") {
    try {
      const response = await api("/scan", { method: "POST", body: scan });
      learn(response, scan.direction);
      outcome = { kind: response.result, response, offline: false };
    } catch (error) {
      if (handleAuthError(error)) return;
      if (error instanceof ApiError) {
        outcome = { kind: "rejected", response: { result: "rejected", reason: refusal(error) }, offline: false };
      } else {
        state.setMode("offline");
      }
    }
  }
  if (!outcome) outcome = await decideOffline(scan);
  const respondedAt = performance.now();
  if (entry) Object.assign(entry, { scan, outcome });
  showResult(outcome, { ...scan, source });
  record({ source, result: outcome.kind, reason: outcome.response.reason || null, offline: outcome.offline,
    startedAt, respondedAt, ...(timing || {}) });
}

/** Adds a painted result to `metrics` (also for manual admissions, manual.js). */
export function record(metric) {
  requestAnimationFrame(() => setTimeout(() => {
    metric.paintedAt = performance.now();
    metrics.push(metric);
    if (metrics.length > 1000) metrics.splice(0, 500); // a whole shift must not grow memory without end
  }, 0));
}

// Hardware scanners (USB/Bluetooth HID, "keyboard wedge") type the code and press Enter within
// a few milliseconds per key. Keys are collected at the document, so no input needs focus and
// no on-screen keyboard pops up; a pause longer than a human would leave restarts the buffer.
const wedge = { buffer: "", last: 0 };

export function onKeyDown(event) {
  if (state.screen() !== "scan" || state.stopped()) return;
  const target = event.target;
  if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
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
