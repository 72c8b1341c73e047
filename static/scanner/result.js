// The answer to a scan, full screen (colour first, then sound), and the last answer under the
// viewfinder.
import { signal } from "./feedback.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { REASONS, formatTime, reasonText } from "./words.js";

const RESULT_MS = { accepted: 1000, queued: 1200, rejected: 2200 };
const TITLES = { accepted: "ACCEPTED", queued: "ACCEPTED OFFLINE", rejected: "REJECTED" };

let resultTimer = null;

/** `outcome` is {kind: accepted | queued | rejected, response, offline}; `scan` what was sent. */
export function showResult(outcome, scan) {
  const { kind, response } = outcome;
  const el = $("result");
  el.dataset.result = kind;
  el.dataset.reason = response.reason || "";
  el.className = `result result--${kind}`;
  $("result-title").textContent = TITLES[kind];
  $("result-direction").textContent = scan.direction === "out" ? "EXIT" : "ENTRY";
  $("result-reason").textContent = reasonText(response, scan.direction, state.allowedDirections());
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

  clearTimeout(resultTimer);
  const hold = Number(localStorage.getItem("tc.scanner.resultMs")) || RESULT_MS[kind];
  resultTimer = setTimeout(hideResult, hold);
}

export function hideResult() {
  clearTimeout(resultTimer);
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
