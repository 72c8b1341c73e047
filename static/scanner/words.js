// What the steward reads: every reason code of the contract in words they can act on in a second,
// and the phone's own answers (codes it never sends, states of its own). Where the offline list
// knows more (the gates that admit a zone, the doors' times, re-entry), the sentence says it.
// Every text goes through gettext.js (docs/adr/0029) and is made when it is shown, never at
// import, so a language switched on the phone applies to the next answer at once.
import { gettext, interpolate, language } from "../i18n/gettext.js";
import { credentialWindow, doors, eventTime, gatesFor, gatesForCredential, reentry, zoneName } from "./venue.js";
import * as state from "./state.js";

export const REASONS = {
  invalid_signature: () => gettext("Not a valid ticket: fake or damaged code."),
  unknown_ticket: () => gettext("Ticket not found for this event."),
  wrong_event: () => gettext("This ticket is for a different event."),
  not_sold: () => gettext("This ticket was never sold."),
  already_inside: () => gettext("Already inside."),
  already_used: () => gettext("Already used. No re-entry in this zone."),
  not_inside: () => gettext("Cannot exit: this ticket is not inside."),
  zone_not_allowed: () => gettext("Wrong gate: this zone does not enter here."),
  direction_not_allowed: () => gettext("Wrong direction for this gate."),
  credential_revoked: () => gettext("This credential has been revoked."),
  event_closed: () => gettext("Doors are closed: outside the event's opening hours."),
  device_revoked: () => gettext("This phone has been revoked."),
  no_manifest: () => gettext("Offline, and no ticket list on this phone yet: cannot check."),
  box_office_code: () => gettext("This is a box-office code, not a ticket. Ask for the ticket's own QR code."),
  pairing_code: () => gettext("This is a phone pairing code, not a ticket."),
  unknown_kind: () => gettext("Not a ticket or pass this scanner checks. Ask for the ticket's own QR code."),
  not_a_code: () => gettext("This QR code is not a ticket. Ask for the ticket's own QR code."),
  not_a_scanner: () => gettext("This phone is not paired as a door scanner. Pair it again with a scanner code."),
  unreadable: () => gettext("The server could not read this code."),
};

/** The words for a reason code; a code this app does not know yet is named as it is. */
export function reasonWords(reason) {
  return REASONS[reason] ? REASONS[reason]() : interpolate(gettext("Rejected (%(reason)s)."), { reason }, true);
}

/** What a pass is, in words ("staff" is a code). */
export function credentialKind(kind) {
  if (kind === "staff") return gettext("Staff");
  if (kind === "vip") return gettext("VIP");
  return kind || "";
}

/** A count as the language writes numbers (1,234 / 1234 / 12.345). */
export const number = (n) => Number(n).toLocaleString(language);

/** An ISO time on the event's clock with its offset ("21:30 (UTC+01:00)"), its date too when not
 * today there; "" for nothing. */
export function formatTime(iso) {
  const ms = Date.parse(iso || "");
  return Number.isNaN(ms) ? "" : eventTime(ms, Date.now() + state.clockOffsetMs()).text;
}

// A time inside a sentence: "at 21:30 (UTC+01:00)" today, "on Sat, Nov 28, 21:30 (UTC+01:00)"
// another day (languages put different words before a time and a date).
export function at(ms, now = Date.now() + state.clockOffsetMs()) {
  const { text, dated } = eventTime(ms, now);
  return dated ? interpolate(gettext("on %(date)s"), { date: text }, true) : interpolate(gettext("at %(time)s"), { time: text }, true);
}

function from(ms, now) {
  const { text, dated } = eventTime(ms, now);
  return dated ? interpolate(gettext("from %(date)s"), { date: text }, true) : interpolate(gettext("from %(time)s"), { time: text }, true);
}

function until(ms, now) {
  const { text, dated } = eventTime(ms, now);
  return dated ? interpolate(gettext("until %(date)s"), { date: text }, true) : interpolate(gettext("until %(time)s"), { time: text }, true);
}

/** "North, East or West" */
function list(names) {
  if (names.length <= 1) return names.join("");
  return interpolate(gettext("%(names)s or %(last)s"), { names: names.slice(0, -1).join(", "), last: names.at(-1) }, true);
}

function wrongGate(response, direction) {
  const ticket = response.ticket;
  const out = direction === "out";
  if (ticket) {
    const gates = gatesFor(ticket.zone_id, direction);
    const values = { zone: ticket.zone || zoneName(ticket.zone_id), gates: list(gates || []) };
    if (!gates) {
      return interpolate(out ? gettext("Wrong gate: %(zone)s does not exit here.") : gettext("Wrong gate: %(zone)s does not enter here."), values, true);
    }
    if (!gates.length) {
      return interpolate(out ? gettext("Wrong gate, and no other gate lets %(zone)s out. Call a supervisor.")
        : gettext("Wrong gate, and no other gate lets %(zone)s in. Call a supervisor."), values, true);
    }
    return interpolate(out ? gettext("Wrong gate: %(zone)s exits at %(gates)s.") : gettext("Wrong gate: %(zone)s enters at %(gates)s."), values, true);
  }
  const gates = response.credential && gatesForCredential(response.credential.credential_id, direction);
  if (gates && gates.length) return interpolate(gettext("Wrong gate for this pass: use %(gates)s."), { gates: list(gates) }, true);
  if (gates) return gettext("Wrong gate, and this pass is valid at no other gate. Call a supervisor.");
  return REASONS.zone_not_allowed();
}

function closed(response, now) {
  if (response.credential) {
    const window = credentialWindow(response.credential.credential_id);
    if (window && window.from && now < Date.parse(window.from)) {
      return interpolate(gettext("Pass not valid yet: valid %(from)s."), { from: from(Date.parse(window.from), now) }, true);
    }
    if (window && window.until && now > Date.parse(window.until)) {
      return interpolate(gettext("Pass expired: it was valid %(until)s."), { until: until(Date.parse(window.until), now) }, true);
    }
    return gettext("This pass is not valid at this time.");
  }
  const window = doors();
  if (window && now < window.open) return interpolate(gettext("Doors not open yet. They open %(when)s."), { when: at(window.open, now) }, true);
  if (window && now > window.close) return interpolate(gettext("Doors are closed. They closed %(when)s."), { when: at(window.close, now) }, true);
  return REASONS.event_closed(); // no list yet, or an older one that still has the doors open
}

function firstEntry(reason, first, now) {
  const values = { when: at(Date.parse(first.at), now), gate: first.checkpoint_name || first.checkpoint || "" };
  if (reason === "already_inside") {
    return interpolate(values.gate ? gettext("Already inside: entered %(when)s through %(gate)s.") : gettext("Already inside: entered %(when)s."), values, true);
  }
  return interpolate(values.gate ? gettext("Already used, no re-entry: entered %(when)s through %(gate)s.")
    : gettext("Already used, no re-entry: entered %(when)s."), values, true);
}

/** Whether a ticket that leaves through this answer can never come back in. */
export function noWayBack(response, direction) {
  return direction === "out" && !response.reason && Boolean(response.ticket) && reentry(response.ticket.zone_id) === false;
}

/** The sentence for an answer; `allowed` is the checkpoint's directions (state.allowedDirections). */
export function reasonText(response, direction, allowed) {
  const reason = response.reason;
  if (!reason) {
    if (direction !== "out") return gettext("Welcome. Let them in.");
    return noWayBack(response, direction) ? gettext("Exit recorded. They cannot come back in.") : gettext("Exit recorded. Goodbye.");
  }
  const now = Date.now() + state.clockOffsetMs();
  const first = response.first_entry;
  if ((reason === "already_inside" || reason === "already_used") && first && first.at) return firstEntry(reason, first, now);
  if (reason === "direction_not_allowed") {
    return allowed[0] === "in" ? gettext("Wrong direction: this gate is entry only.") : gettext("Wrong direction: this gate is exit only.");
  }
  if (reason === "zone_not_allowed") return wrongGate(response, direction);
  if (reason === "event_closed") return closed(response, now);
  return reasonWords(reason);
}

export function cameraProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError") return gettext("Camera permission denied. Allow the camera for this site, or use a hardware scanner.");
  if (name === "NotFoundError" || name === "OverconstrainedError") return gettext("No camera found. Use a hardware scanner.");
  if (!window.isSecureContext) return gettext("The camera needs HTTPS.");
  return interpolate(gettext("Camera unavailable (%(problem)s)."), { problem: name || String(error) }, true);
}

