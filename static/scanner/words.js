// What the steward reads: every reason code of the contract in words they can act on in a second.

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
  unreadable: "The server could not read this code.",
};

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The sentence for an answer; `allowed` is the checkpoint's directions (state.allowedDirections). */
export function reasonText(response, direction, allowed) {
  const reason = response.reason;
  if (!reason) return direction === "out" ? "Exit recorded. Goodbye." : "Welcome. Let them in.";
  let text = REASONS[reason] || `Rejected (${reason}).`;
  const first = response.first_entry;
  if ((reason === "already_inside" || reason === "already_used") && first && first.at) {
    const where = first.checkpoint_name || first.checkpoint;
    text = `${reason === "already_inside" ? "Already inside" : "Already used, no re-entry"}: entered ${formatTime(first.at)}${where ? ` at ${where}` : ""}.`;
  }
  if (reason === "direction_not_allowed") text = `Wrong direction: this gate is ${allowed[0] === "in" ? "entry" : "exit"} only.`;
  return text;
}

export function cameraProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError") return "Camera permission denied. Allow the camera for this site, or use a hardware scanner.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera found. Use a hardware scanner or manual entry.";
  if (!window.isSecureContext) return "The camera needs HTTPS.";
  return `Camera unavailable (${name || error}).`;
}
