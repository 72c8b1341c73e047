// An alert in the dashboard's own words, in the page's language, from its kind and its `data`
// (the alert payload of core/live_messages.py Alert: the stored `message` is written once, in
// one language, by whoever raised it). Devices, gates, seats and offices are named, times are on
// the event's clock; codes never show. An alert whose data lacks what its words need (an older
// alert, a kind this page does not know) shows its stored message instead.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { REASONS } from "./panels.js";
import { dayTime, fmt, pctText, time } from "./format.js";
import * as state from "./state.js";

const say = (text, values) => interpolate(text, values, true);

/** "North 1 at North gate": a device by its name and gate, from the alert or the devices list. */
function device(id, fallbackName) {
  const d = state.deviceById(id);
  const name = (d && d.name) || fallbackName;
  if (!name) return null;
  const gate = d && d.checkpoint_name;
  return gate ? say(gettext("%(device)s at %(gate)s"), { device: name, gate }) : name;
}

function gate(data) {
  return data.checkpoint_name || state.gateNames()[data.checkpoint] || null;
}

function mostOften(reasons) {
  const top = Object.entries(reasons || {}).sort((a, b) => b[1] - a[1]).slice(0, 3);
  return top.map(([code, n]) => `${REASONS[code] || gettext("refused")} (${fmt(n)})`).join(", ");
}

function rejectedBurst(d) {
  const where = gate(d);
  if (!where || d.count === undefined) return null;
  const head = say(ngettext("%(count)s scan refused at %(gate)s in %(window)s s.", "%(count)s scans refused at %(gate)s in %(window)s s.", d.count),
    { count: fmt(d.count), gate: where, window: fmt(d.window_s) });
  const top = mostOften(d.reasons);
  return top ? `${head} ${say(gettext("Most often: %(reasons)s."), { reasons: top })}` : head;
}

function forgeryBurst(d) {
  const where = gate(d);
  if (!where || d.count === undefined) return null;
  return say(ngettext("%(count)s code with an invalid signature at %(gate)s in %(window)s s: possible forgery.",
    "%(count)s codes with an invalid signature at %(gate)s in %(window)s s: possible forgeries.", d.count),
  { count: fmt(d.count), gate: where, window: fmt(d.window_s) });
}

function zoneCapacity(d) {
  const zone = d.zone || state.zoneNames()[d.zone_id];
  if (!zone || d.inside === undefined || !d.seats) return null;
  return say(gettext("Zone %(zone)s is at %(share)s of capacity: %(inside)s of %(seats)s seats taken."),
    { zone, share: pctText(d.pct), inside: fmt(d.inside), seats: fmt(d.seats) });
}

function deviceSilent(d) {
  const who = device(d.device_id, d.device);
  if (!who) return null;
  return d.last_seen_at
    ? say(gettext("%(device)s is silent: last heard at %(time)s."), { device: who, time: time(d.last_seen_at) })
    : say(gettext("%(device)s is silent: not heard from since it was paired."), { device: who });
}

function revokedDevice(d) {
  const who = device(d.device_id);
  if (!who) return null;
  if (d.evidence_cap) {
    return say(gettext("Revoked device %(device)s keeps uploading scans: further uploads are refused and not stored. Find the phone."),
      { device: who });
  }
  if (d.quarantined !== undefined) {
    return say(ngettext(
      "Revoked device %(device)s uploaded %(count)s offline scan: kept as evidence, not applied; nobody was let in or out.",
      "Revoked device %(device)s uploaded %(count)s offline scans: kept as evidence, not applied; nobody was let in or out.",
      d.quarantined), { device: who, count: fmt(d.quarantined) });
  }
  return say(gettext("Revoked device %(device)s tried to connect: its token is refused. Find the phone."), { device: who });
}

function offlineConflict(d) {
  const a = d.accepted || {};
  const r = d.rejected || {};
  if (!d.seat_id || !a.at) return null;
  const admitter = device(a.device_id) || gettext("another device");
  const scanner = device(r.device_id) || gettext("a device");
  const reason = REASONS[r.reason] || gettext("refused");
  return [
    say(gettext("Seat %(seat)s may have let two people in."), { seat: d.seat_id }),
    say(a.mode === "sync" ? gettext("%(device)s admitted it offline at %(time)s.") : gettext("%(device)s admitted it online at %(time)s."),
      { device: admitter, time: time(a.at) }),
    r.at ? say(gettext("%(device)s scanned it offline at %(time)s and it was refused (%(reason)s)."), { device: scanner, time: time(r.at), reason })
      : say(gettext("%(device)s scanned it offline and it was refused (%(reason)s)."), { device: scanner, reason }),
    d.rejected_was_earlier ? gettext("The refused scan was made first: its phone uploaded late.") : null,
    gettext("Check who is in that seat."),
  ].filter(Boolean).join(" ");
}

function lateUpload(d) {
  const who = device(d.device_id);
  if (!who || d.count === undefined || !d.oldest_at) return null;
  return say(ngettext(
    "%(device)s uploaded %(count)s scan made offline at %(time)s; it reached the server %(minutes)s min later, so the figures for that time were incomplete.",
    "%(device)s uploaded %(count)s scans made offline, the oldest at %(time)s; they reached the server up to %(minutes)s min later, so the figures for that time were incomplete.",
    d.count), { device: who, count: fmt(d.count), time: time(d.oldest_at), minutes: fmt(Math.floor((d.delay_seconds || 0) / 60)) });
}

const SALE_REFUSED = {
  already_sold: gettext("the seat was already sold"),
  not_assigned: gettext("the seat is not assigned to this box office"),
};

function officeConflict(d) {
  if (!d.sold_at) return null;
  const office = state.officeName(d.office_id) || gettext("A box office");
  const why = d.seat_id ? SALE_REFUSED[d.reason] || gettext("it could not be applied") : gettext("this event has no such ticket");
  return [
    d.seat_id
      ? say(gettext("%(office)s sold seat %(seat)s on %(when)s, but the sale was refused: %(why)s."), { office, seat: d.seat_id, when: dayTime(d.sold_at), why })
      : say(gettext("%(office)s sold a ticket on %(when)s, but the sale was refused: %(why)s."), { office, when: dayTime(d.sold_at), why }),
    gettext("Money was taken without a valid ticket: refund or re-seat the buyer."),
  ].join(" ");
}

const WORDS = {
  rejected_burst: rejectedBurst, invalid_signature_burst: forgeryBurst, zone_capacity: zoneCapacity,
  device_silent: deviceSilent, revoked_device: revokedDevice, offline_conflict: offlineConflict,
  late_upload: lateUpload, office_conflict: officeConflict,
};

// Each kind's label and level (every alert kind: tests/live checks them against the vocabulary).
export const KINDS = {
  offline_conflict: [gettext("Offline conflict"), "bad"], rejected_burst: [gettext("Many refusals"), "warn"],
  invalid_signature_burst: [gettext("Forgery attempts"), "bad"], revoked_device: [gettext("Revoked device"), "bad"],
  device_silent: [gettext("Device silent"), "warn"], zone_capacity: [gettext("Zone nearly full"), "bad"],
  late_upload: [gettext("Late upload"), "info"], office_conflict: [gettext("Box office conflict"), "warn"],
};

export const kindLabel = (kind) => (KINDS[kind] || [gettext("Alert")])[0];
export const kindLevel = (kind) => (KINDS[kind] || [null, "info"])[1];

/** The alert's words in the page's language; its stored message when they cannot be built. */
export function alertText(alert) {
  const build = WORDS[alert.kind];
  let text = null;
  try {
    text = build ? build(alert.data || {}) : null;
  } catch {
    text = null; // data of an unexpected shape: the stored message says it
  }
  return text || alert.message;
}
