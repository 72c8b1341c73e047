// What the offline list says about the venue, for answers that tell the steward what to do: which
// gates admit a zone, which zones have no re-entry, when the doors open and close, in the event's
// own time (access/manifest.py sends the gates, zones, doors window and, when the event has one,
// its time zone). Every function answers null or [] when the list is not there yet.
import * as state from "./state.js";

const meta = () => (state.manifest() ? state.manifest().meta : null);

function allows(gate, direction) {
  return !gate.directions || gate.directions === "both" || gate.directions === direction;
}

/** The names of the other gates where `zoneId` may go `direction` (null: no list to tell). */
export function gatesFor(zoneId, direction) {
  const m = meta();
  if (!m || !m.checkpoints || !zoneId) return null;
  const here = m.checkpoint && m.checkpoint.checkpoint_id;
  return (m.checkpoints || [])
    .filter((g) => g.checkpoint_id !== here && allows(g, direction) && (!g.zones.length || g.zones.includes(zoneId)))
    .map((g) => g.name);
}

/** The names of the gates a credential may use `direction` (its own gates, or its zones'). */
export function gatesForCredential(credentialId, direction) {
  const m = meta();
  const credential = m && (m.credentials || []).find((c) => c.credential_id === credentialId);
  if (!credential || !m.checkpoints) return null;
  const here = m.checkpoint && m.checkpoint.checkpoint_id;
  return (m.checkpoints || [])
    .filter((g) => g.checkpoint_id !== here && allows(g, direction))
    .filter((g) => !credential.checkpoints.length || credential.checkpoints.includes(g.checkpoint_id))
    .filter((g) => !credential.zones.length || !g.zones.length || credential.zones.some((z) => g.zones.includes(z)))
    .map((g) => g.name);
}

export function credentialWindow(credentialId) {
  const m = meta();
  const credential = m && (m.credentials || []).find((c) => c.credential_id === credentialId);
  return credential ? { from: credential.valid_from, until: credential.valid_until } : null;
}

export function zoneName(zoneId) {
  const m = meta();
  const zone = m && (m.zones || []).find((z) => z.zone_id === zoneId);
  return zone ? zone.name : zoneId;
}

/** False for a zone without re-entry, true with, null when unknown. */
export function reentry(zoneId) {
  const m = meta();
  const zone = m && (m.zones || []).find((z) => z.zone_id === zoneId);
  return zone ? Boolean(zone.reentry) : null;
}

/** The zones this gate lets out that have no re-entry (all the event's when the gate takes every zone). */
export function noReentryHere() {
  const m = meta();
  if (!m) return [];
  const zonesHere = (m.checkpoint && m.checkpoint.zones) || [];
  return (m.zones || []).filter((z) => !z.reentry && (!zonesHere.length || zonesHere.includes(z.zone_id)));
}

/** The doors window: {open, close} as ms since the epoch, or null. */
export function doors() {
  const event = meta() && meta().event;
  if (!event || !event.doors_open_at || !event.doors_close_at) return null;
  return { open: Date.parse(event.doors_open_at), close: Date.parse(event.doors_close_at) };
}

const formats = new Map();

function format(timeZone, withDate) {
  const key = `${timeZone || ""}|${withDate}`;
  if (!formats.has(key)) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "shortOffset" };
    if (withDate) Object.assign(options, { weekday: "short", day: "numeric", month: "short" });
    let formatter;
    try {
      formatter = new Intl.DateTimeFormat([], { ...options, timeZone: timeZone || undefined });
    } catch {
      formatter = new Intl.DateTimeFormat([], options); // an unknown zone name: the phone's own
    }
    formats.set(key, formatter);
  }
  return formats.get(key);
}

/** A time in the event's time zone with its offset ("19:30 GMT+1"), with the date when it is not
 * today there ("Sat 28 Nov, 19:30 GMT+1"). */
export function eventTime(ms, now = Date.now()) {
  const event = meta() && meta().event;
  const timeZone = event && event.timezone;
  const day = (t) => format(timeZone, true).formatToParts(t).filter((p) => ["day", "month"].includes(p.type))
    .map((p) => p.value).join(" ");
  return format(timeZone, day(ms) !== day(now)).format(ms);
}
