// What the steward reads: every reason code of the contract in words they can act on in a second,
// and the phone's own answers (codes it never sends, states of its own). Where the offline list
// knows more (the gates that admit a zone, the doors' times, re-entry), the sentence says it.
import { credentialWindow, doors, eventTime, gatesFor, gatesForCredential, reentry, zoneName } from "./venue.js";
import * as state from "./state.js";

export const REASONS = {
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
  box_office_code: "This is a box-office code, not a ticket. Ask for the ticket's own QR code.",
  pairing_code: "This is a phone pairing code, not a ticket.",
  unknown_kind: "Not a ticket or pass this scanner checks. Ask for the ticket's own QR code.",
  not_a_code: "This QR code is not a ticket. Ask for the ticket's own QR code.",
  not_a_scanner: "This phone is not paired as a door scanner. Pair it again with a scanner code.",
  unreadable: "The server could not read this code.",
};

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

const list = (names) => (names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`);

function wrongGate(response, direction) {
  const ticket = response.ticket;
  const out = direction === "out";
  if (ticket) {
    const gates = gatesFor(ticket.zone_id, direction);
    const zone = ticket.zone || zoneName(ticket.zone_id);
    if (!gates) return `Wrong gate: ${zone} does not ${out ? "exit" : "enter"} here.`;
    if (!gates.length) return `Wrong gate, and no other gate lets ${zone} ${out ? "out" : "in"}. Call a supervisor.`;
    return `Wrong gate: ${zone} ${out ? "exits" : "enters"} at ${list(gates)}.`;
  }
  const gates = response.credential && gatesForCredential(response.credential.credential_id, direction);
  if (gates && gates.length) return `Wrong gate for this pass: use ${list(gates)}.`;
  if (gates) return "Wrong gate, and this pass is valid at no other gate. Call a supervisor.";
  return REASONS.zone_not_allowed;
}

function closed(response, now) {
  if (response.credential) {
    const window = credentialWindow(response.credential.credential_id);
    if (window && window.from && now < Date.parse(window.from)) return `Pass not valid yet: from ${eventTime(Date.parse(window.from), now)}.`;
    if (window && window.until && now > Date.parse(window.until)) return `Pass expired at ${eventTime(Date.parse(window.until), now)}.`;
    return "This pass is not valid at this time.";
  }
  const window = doors();
  if (window && now < window.open) return `Doors not open yet. They open at ${eventTime(window.open, now)}.`;
  if (window && now > window.close) return `Doors are closed. They closed at ${eventTime(window.close, now)}.`;
  return REASONS.event_closed; // no list yet, or an older one that still has the doors open
}

/** Whether a ticket that leaves through this answer can never come back in. */
export function noWayBack(response, direction) {
  return direction === "out" && !response.reason && Boolean(response.ticket) && reentry(response.ticket.zone_id) === false;
}

/** The sentence for an answer; `allowed` is the checkpoint's directions (state.allowedDirections). */
export function reasonText(response, direction, allowed) {
  const reason = response.reason;
  if (!reason) {
    if (direction !== "out") return "Welcome. Let them in.";
    return noWayBack(response, direction) ? "Exit recorded. They cannot come back in." : "Exit recorded. Goodbye.";
  }
  const now = Date.now() + state.clockOffsetMs();
  const first = response.first_entry;
  if ((reason === "already_inside" || reason === "already_used") && first && first.at) {
    const where = first.checkpoint_name || first.checkpoint;
    return `${reason === "already_inside" ? "Already inside" : "Already used, no re-entry"}: entered ${formatTime(first.at)}${where ? ` at ${where}` : ""}.`;
  }
  if (reason === "direction_not_allowed") return `Wrong direction: this gate is ${allowed[0] === "in" ? "entry" : "exit"} only.`;
  if (reason === "zone_not_allowed") return wrongGate(response, direction);
  if (reason === "event_closed") return closed(response, now);
  return REASONS[reason] || `Rejected (${reason}).`;
}

export function cameraProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError") return "Camera permission denied. Allow the camera for this site, or use a hardware scanner.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera found. Use a hardware scanner or manual entry.";
  if (!window.isSecureContext) return "The camera needs HTTPS.";
  return `Camera unavailable (${name || error}).`;
}
