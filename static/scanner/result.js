// The answer to a scan, full screen (colour first, then sound), and the last answer under the
// viewfinder. The same answer may be shown again for a code still in front of the camera
// (scanning.js): then it says so, and nothing new was asked of the server.
import { gettext, interpolate, pgettext } from "../i18n/gettext.js";
import { signal } from "./feedback.js";
import { codeKind } from "./kinds.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { REASONS, credentialKind, formatTime, noWayBack, reasonText, reasonWords } from "./words.js";

const RESULT_MS = { accepted: 1000, queued: 1200, rejected: 2200, unchecked: 2200 };
const TITLES = {
  accepted: () => gettext("ACCEPTED"), queued: () => gettext("ACCEPTED OFFLINE"), rejected: () => gettext("REJECTED"),
  // offline with no ticket list yet: nothing was decided (queue.js decideOffline)
  unchecked: () => gettext("NOT CHECKED"),
};

let resultTimer = null;

function text(response, scan) {
  if (response.reason === "invalid_signature" && codeKind(scan.code) === "other") return REASONS.not_a_code();
  return reasonText(response, scan.direction, state.allowedDirections());
}

function foot(outcome, scan, repeat) {
  const { kind, response } = outcome;
  if (repeat) return gettext("Same code again: the answer above, not scanned again.");
  if (outcome.manual) return kind === "accepted" ? gettext("Checked by hand by a supervisor.") : gettext("Checked by hand: refused.");
  if (kind === "queued") return gettext("Checked on this phone. Queued; uploads when the network is back.");
  if (kind === "unchecked") return gettext("Nothing was decided: scan it again when the network is back, or call a supervisor.");
  const steward = (state.device() || {}).role !== "supervisor";
  // A ticket's code that does not verify may be a torn one: the way out is a supervisor.
  const damaged = (response.reason === "invalid_signature" && codeKind(scan.code) === "code") || response.reason === "unreadable";
  if (kind === "rejected" && damaged && steward && scan.source !== "manual") {
    return interpolate(gettext("Damaged code? Tap “%(button)s” and call a supervisor."), { button: gettext("Can't scan?") }, true);
  }
  return outcome.offline ? gettext("Checked on this phone (offline).") : "";
}

/** `outcome` is {kind: accepted | queued | rejected | unchecked, response, offline, manual?}; `scan` what was
 * sent. `repeat`: shown again for the same code, without a new scan. */
export function showResult(outcome, scan, { repeat = false } = {}) {
  const { kind, response } = outcome;
  const el = $("result");
  el.dataset.result = kind;
  el.dataset.reason = response.reason || "";
  el.dataset.scanId = scan.scan_id;
  el.dataset.repeat = repeat ? "1" : "";
  el.dataset.mode = outcome.manual ? "manual" : outcome.offline ? "offline" : "online";
  el.className = `result result--${kind}`;
  $("result-title").textContent = TITLES[kind]();
  $("result-direction").textContent = scan.direction === "out" ? pgettext("direction", "EXIT") : pgettext("direction", "ENTRY");
  $("result-reason").textContent = text(response, scan);
  $("result-warning").hidden = !noWayBack(response, scan.direction);
  $("result-foot").textContent = foot(outcome, scan, repeat);

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
    $("result-credential-kind").textContent = credentialKind(credential.kind);
    $("result-credential-name").textContent = credential.name || "";
  }
  el.hidden = false;
  document.body.dataset.result = kind;
  // Sound and vibration after the frame is painted: the colour is what must not wait.
  requestAnimationFrame(() => setTimeout(() => signal(kind), 0));
  if (!repeat) renderLast(kind, response, scan);
  holdResult(scan.scan_id);
}

/** The scan whose answer is on screen, or null. */
export function showing() {
  const el = $("result");
  return el.hidden ? null : el.dataset.scanId;
}

/** Keeps the answer to `scanId` on screen a full period longer; false when another is showing. */
export function holdResult(scanId) {
  const el = $("result");
  if (el.hidden || el.dataset.scanId !== scanId) return false;
  clearTimeout(resultTimer);
  const hold = Number(localStorage.getItem("tc.scanner.resultMs")) || RESULT_MS[el.dataset.result];
  resultTimer = setTimeout(hideResult, hold);
  return true;
}

export function hideResult() {
  clearTimeout(resultTimer);
  $("result").hidden = true;
  delete document.body.dataset.result;
}

/** Hidden, and its words gone: after a language switch, nothing on the page stays in the old one. */
export function clearResult() {
  hideResult();
  for (const id of ["result-title", "result-direction", "result-reason", "result-foot", "result-credential-kind"]) {
    $(id).textContent = "";
  }
}

let lastShown = null; // the last answer's (kind, response, scan), for a language switch

/** The line under the viewfinder again, in the language now in use. */
export function relabelLast() {
  if (lastShown) renderLast(...lastShown);
}

function renderLast(kind, response, scan) {
  lastShown = [kind, response, scan];
  const last = $("last");
  const ticket = response.ticket || {};
  const who = ticket.seat_id || ticket.zone || (response.credential && response.credential.name) || "";
  const what = kind === "rejected" ? reasonWords(response.reason).replace(/\.$/, "")
    : kind === "unchecked" ? gettext("not checked")
    : kind === "queued" ? gettext("accepted offline") : gettext("accepted");
  last.hidden = false;
  last.className = `last last--${kind}`;
  $("last-text").textContent = `${who ? `${who} · ` : ""}${what}`;
  $("last-time").textContent = formatTime(scan.scanned_at);
}
