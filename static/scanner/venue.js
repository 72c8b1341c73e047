// What the offline list says about the venue, for answers that tell the steward what to do: which
// gates admit a zone, which zones have no re-entry, when the doors open and close, in the event's
// own time (access/manifest.py sends the gates, zones, doors window and, when the event has one,
// its time zone). Every function answers null or [] when the list is not there yet.
import { language } from "../i18n/gettext.js";
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

// Times: on the event's clock, with its offset, as the server writes them (core/localtime.py,
// "21:30 (UTC+01:00)"), in the words of the language in use; the date too when it is not today
// there. The zone is the offline list's, else the pairing's; a zone this browser does not know
// falls back to the phone's own, still with its true offset.
function eventZone() {
  const event = (meta() && meta().event) || (state.device() && state.device().event);
  return (event && event.timezone) || undefined;
}

const OPTIONS = {
  clock: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  dated: { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  day: { year: "numeric", month: "numeric", day: "numeric" }, // which day it is there: compared, never shown
  offset: { timeZoneName: "longOffset" }, // "GMT+01:00", parsed below: never shown as it is
};
const formats = new Map();

function format(kind, timeZone) {
  const locale = kind === "clock" || kind === "dated" ? language : "en-US";
  const key = `${locale}|${timeZone || ""}|${kind}`;
  if (!formats.has(key)) {
    let formatter;
    try {
      formatter = new Intl.DateTimeFormat(locale, { ...OPTIONS[kind], timeZone });
    } catch {
      formatter = new Intl.DateTimeFormat(locale, OPTIONS[kind]); // an unknown zone name: the phone's own
    }
    formats.set(key, formatter);
  }
  return formats.get(key);
}

/** "UTC+01:00", "UTC-03:30", "UTC+00:00": the offset of the event's clock at `ms`. */
export function offsetAt(ms, timeZone = eventZone()) {
  const name = (format("offset", timeZone).formatToParts(ms).find((p) => p.type === "timeZoneName") || {}).value || "";
  const m = /([+-])(\d{1,2})(?::?(\d{2}))?/.exec(name);
  return m ? `UTC${m[1]}${m[2].padStart(2, "0")}:${m[3] || "00"}` : "UTC+00:00";
}

/** {text: "21:30 (UTC+01:00)", dated: false}, or with the date when `ms` is not today there:
 * {text: "sáb, 28 nov, 21:30 (UTC+01:00)", dated: true}. */
export function eventTime(ms, now = Date.now()) {
  const timeZone = eventZone();
  const dated = format("day", timeZone).format(ms) !== format("day", timeZone).format(now);
  return { text: `${format(dated ? "dated" : "clock", timeZone).format(ms)} (${offsetAt(ms, timeZone)})`, dated };
}
