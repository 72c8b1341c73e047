// A code that will not scan. A supervisor looks the ticket up by seat, ticket id or the code
// printed under the QR (GET /api/v1/scan/lookup), sees its state, and lets it in (or out) by hand
// with a reason: POST /api/v1/scan/manual, the same scan as the camera's, so a used ticket stays
// used. A typed full code is scanned like a read one. A steward gets a screen that says what to
// do instead: wait, and call a supervisor.
import { gettext, interpolate } from "../i18n/gettext.js";
import { ApiError, NetworkError, api, handleAuthError } from "./api.js";
import { learn } from "./local.js";
import { parseCode } from "./offline.js";
import { $ } from "./page.js";
import { hideResult, showResult } from "./result.js";
import * as state from "./state.js";
import { TEXTS, sentence } from "./texts.js";
import { formatTime } from "./words.js";
import { reentry } from "./venue.js";

let found = null; // the ticket looked up last
let scanId = null; // kept for retries of one admission, so a retry can never admit twice

let scanning = null; // scanning.js's submit, record and uuid4, handed over by app.js (no import: a
// shorter import chain for collectstatic, docs/adr/0021)

export function wireManual(scanningModule) {
  scanning = scanningModule;
  $("manual-open").addEventListener("click", openManual);
  $("manual-close").addEventListener("click", closeManual);
  $("manual-form").addEventListener("submit", lookup);
  $("manual-admit").addEventListener("submit", admit);
  $("manual-admit").addEventListener("change", () => { $("manual-error").hidden = true; });
  $("call-open").addEventListener("click", () => {
    writeCall();
    openSheet("call");
  });
  $("call-close").addEventListener("click", () => closeSheet("call"));
}

async function lookup(event) {
  event.preventDefault();
  const input = $("manual-input");
  const value = input.value.trim();
  if (!value) return;
  found = null;
  scanId = null;
  $("manual-admit").hidden = true;
  const out = $("manual-out");
  out.replaceChildren();
  delete out.dataset.ticket;
  if (parseCode(value)) {
    input.value = "";
    closeManual();
    scanning.submit(value, "manual");
    return;
  }
  out.textContent = gettext("Looking up…");
  try {
    found = await api(`/scan/lookup?q=${encodeURIComponent(value)}`);
    renderTicket(found);
    offerAdmission();
  } catch (error) {
    if (handleAuthError(error)) return;
    if (error instanceof ApiError) {
      out.textContent = error.status === 404
        ? interpolate(gettext("No ticket in this event has that seat, number or code: “%(query)s”. Check it and try again."), { query: value }, true)
        : error.message;
    } else {
      const manifest = state.manifest();
      const known = manifest && manifest.tickets.get(value);
      out.textContent = known
        ? interpolate(gettext("Offline. %(ticket)s: %(state)s Letting in by hand needs the network."), { ticket: value, state: verdict(known) }, true)
        : gettext("Offline: looking up and letting in by hand need the network.");
    }
  }
}

const NOT_SOLD = {
  available: () => gettext("Not sold: cannot enter."),
  held: () => gettext("In someone's checkout, not sold: cannot enter."),
  box_office: () => gettext("At a box office, not sold: cannot enter."),
};

/** In words, what the server will most likely answer (it decides, under the ticket's lock). */
function verdict(ticket) {
  const state = ticket.state || (ticket.status ? "available" : ticket.access_entry ? "inside" : ticket.access_status ? "out" : "sold");
  if (NOT_SOLD[state]) return NOT_SOLD[state]();
  if (state === "inside") return gettext("Inside now.");
  if (state === "out") return reentry(ticket.zone_id) === false ? gettext("Has left. No re-entry in this zone.") : gettext("Has left; may come back in.");
  return gettext("Sold, never entered.");
}

function renderTicket(ticket) {
  const out = $("manual-out");
  out.replaceChildren();
  const rows = [[TEXTS.seat(), ticket.seat_id], [gettext("Zone"), ticket.zone], [TEXTS.row(), ticket.seat_row],
    [gettext("State"), verdict(ticket)]];
  if (ticket.reference) rows.push([gettext("Printed code"), ticket.reference]);
  if (ticket.first_entry) {
    rows.push([gettext("First entry"), `${formatTime(ticket.first_entry.at)} ${ticket.first_entry.checkpoint_name || ""}`.trim()]);
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

function offerAdmission() {
  $("manual-admit").reset();
  writeSubmit();
  $("manual-error").hidden = true;
  $("manual-admit").hidden = false;
}

function writeSubmit() {
  $("manual-submit").textContent = state.direction() === "out" ? gettext("Record exit by hand") : gettext("Let in by hand");
}

/** The call screen's last step, naming this gate in bold. */
function writeCall() {
  const checkpoint = (state.device() || {}).checkpoint;
  const gate = document.createElement("strong");
  gate.textContent = (checkpoint && checkpoint.name) || gettext("this gate");
  sentence($("call-supervisor"), gettext("Call a supervisor to %(gate)s. They can check the ticket by its seat, its number or the code printed under the QR, and let it in."), { gate });
}

/** The texts these screens write themselves, again after a language switch. */
export function relabelManual() {
  writeSubmit();
  writeCall();
  if (found && $("manual-out").dataset.ticket) renderTicket(found);
}

/** What the supervisor chose, in the words they read (the record keeps what they saw), and their note. */
function reasonGiven() {
  const chosen = document.querySelector('input[name="manual-reason"]:checked');
  const note = $("manual-note").value.trim();
  const words = chosen ? chosen.closest("label").textContent.trim() : "";
  return chosen ? `${words}${note ? `: ${note}` : ""}`.slice(0, 500) : "";
}

async function admit(event) {
  event.preventDefault();
  if (!found) return;
  const note = reasonGiven();
  const error = $("manual-error");
  if (!note) {
    error.textContent = gettext("Choose why the code cannot be scanned.");
    error.hidden = false;
    return;
  }
  scanId = scanId || scanning.uuid4();
  const scan = { scan_id: scanId, q: found.ticket_id, direction: state.direction(), note,
    scanned_at: new Date().toISOString(), code: "", source: "manual" };
  $("manual-submit").disabled = true;
  try {
    const startedAt = performance.now();
    const response = await api("/scan/manual", { method: "POST", timeout: 5000,
      body: { q: scan.q, direction: scan.direction, scan_id: scan.scan_id, note } });
    learn(response, scan.direction);
    const outcome = { kind: response.result, response, offline: false, manual: true };
    closeManual();
    showResult(outcome, scan);
    scanning.record({ source: "manual", result: outcome.kind, reason: response.reason || null, offline: false, manual: true,
      startedAt, respondedAt: performance.now() });
  } catch (failure) {
    if (handleAuthError(failure)) return;
    error.hidden = false;
    error.textContent = failure instanceof NetworkError
      ? gettext("No answer from the server. Try again: it is sent as the same admission, never twice.")
      : failure.message;
  } finally {
    $("manual-submit").disabled = false;
  }
}

function openSheet(id) {
  hideResult();
  $(id).hidden = false;
  document.body.dataset.sheet = id;
}

function closeSheet(id) {
  $(id).hidden = true;
  delete document.body.dataset.sheet;
}

function openManual() {
  openSheet("manual");
  found = null;
  scanId = null;
  $("manual-admit").hidden = true;
  $("manual-admit").reset();
  $("manual-out").replaceChildren();
  $("manual-input").focus();
}

function closeManual() {
  closeSheet("manual");
  $("manual-input").blur();
}
