// A code read at the door (camera, hardware scanner or manual entry) becomes one scan: sent to
// POST /api/v1/scan while online, decided on the phone (queue.js) otherwise, then shown.
import { ApiError, api, handleAuthError } from "./api.js";
import { learn } from "./local.js";
import { decideOffline } from "./queue.js";
import { showResult } from "./result.js";
import * as state from "./state.js";

const SAME_CODE_IGNORE_MS = 2500; // a ticket held in front of the camera is read once
const WEDGE_GAP_MS = 300;

// How long each result took, from the code read to the painted answer (the browser tests and
// remote DevTools read it as window.__scanner.metrics).
export const metrics = [];

const seen = new Map();
let chain = Promise.resolve();

export function onCameraCode(value, timing) {
  if (state.stopped() || state.screen() !== "scan") return;
  const now = performance.now();
  const last = seen.get(value);
  if (last !== undefined && now - last < SAME_CODE_IGNORE_MS) return;
  seen.set(value, now);
  if (isPairingQr(value)) return; // the device QR still in view after pairing: not a ticket
  if (seen.size > 500) seen.clear();
  submit(value, "camera", timing);
}

export function submit(value, source, timing = null) {
  if (state.stopped()) return;
  const code = String(value || "").trim();
  if (!code) return;
  // Scans are handled one at a time, in the order they were read.
  chain = chain.then(() => processScan(code, source, timing)).catch((error) => console.error(error));
}

function isPairingQr(value) {
  try {
    return new URL(value).searchParams.has("pair");
  } catch {
    return false;
  }
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
  const scan = { scan_id: uuid4(), code, direction: state.direction(), scanned_at: new Date().toISOString() };
  let outcome = null;
  if (state.mode() === "online") {
    try {
      const response = await api("/scan", { method: "POST", body: scan });
      learn(response, scan.direction);
      outcome = { kind: response.result, response, offline: false };
    } catch (error) {
      if (handleAuthError(error)) return;
      if (error instanceof ApiError) {
        outcome = { kind: "rejected", response: { result: "rejected", reason: "unreadable" }, offline: false };
      } else {
        state.setMode("offline");
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
