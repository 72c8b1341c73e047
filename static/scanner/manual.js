// Manual entry (supervisors): a typed code is scanned like a read one; a ticket id, seat or
// reference is looked up (GET /api/v1/scan/lookup) for a damaged code.
import { ApiError, api, handleAuthError } from "./api.js";
import { parseCode } from "./offline.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { formatTime } from "./words.js";

/** Hooks up the sheet; a full code goes to `submitCode(code, "manual")` (scanning.js submit). */
export function wireManual(submitCode) {
  $("manual-open").addEventListener("click", openManual);
  $("manual-close").addEventListener("click", closeManual);
  $("manual-form").addEventListener("submit", (event) => manualSubmit(event, submitCode));
}

async function manualSubmit(event, submitCode) {
  event.preventDefault();
  const input = $("manual-input");
  const value = input.value.trim();
  if (!value) return;
  const out = $("manual-out");
  out.replaceChildren();
  if (parseCode(value)) {
    input.value = "";
    closeManual();
    submitCode(value, "manual");
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
      const manifest = state.manifest();
      const known = manifest && manifest.tickets.get(value);
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
