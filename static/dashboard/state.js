// The dashboard's figures: the latest snapshot from the server, patched by live messages, and the
// latest scans. Every figure is the server's, derived from the database: nothing is counted
// here, so a reconnecting page can never drift. Changed only through these functions.

const FEED_SIZE = 40;

let current = null; // the latest snapshot
let feed = []; // latest scans, newest first
let range = "recent"; // what the chart shows: "recent" (the snapshot's 30 minutes) or "night"
let night = null; // the whole night's series, read from the server when asked for

export const snapshot = () => current;
export const scans = () => feed;

/** A snapshot (on each (re)connect, or polled) replaces the whole state. */
export function replaceSnapshot(snap) {
  current = snap;
  feed = (snap.recent_scans || []).slice(0, FEED_SIZE);
}

export function applyCounts(msg) {
  for (const k of ["checkpoints", "zones", "credentials", "totals", "at", "minute"]) current[k] = msg[k];
  rollSeries(msg);
}

/** The chart's range: "recent" or "night". */
export const chartRange = () => range;
export function setChartRange(value) {
  range = value === "night" ? "night" : "recent";
}

/** The whole night's series (GET series.json?range=night), kept up to date like the snapshot's. */
export function setNightSeries(series) {
  night = series;
}

/** The series the chart draws: the whole night once it has arrived, else the last 30 minutes. */
export function chartSeries() {
  return range === "night" && night ? night : current.series;
}

// The chart history comes with the snapshot (and the whole night on request); each gate_counts
// refreshes the last two minutes. The 30 minutes slide; the night grows until the doors close.
function rollSeries(msg) {
  roll(current.series, msg, true);
  if (night) roll(night, msg, false);
}

function roll(s, msg, slide) {
  if (!s || !msg.minute) return;
  const minute = new Date(msg.minute).getTime();
  if (!slide && s.doors_close_at && minute > new Date(s.doors_close_at).getTime()) return;
  let last = s.minutes.length ? new Date(s.minutes[s.minutes.length - 1]).getTime() : minute - 60000;
  while (last < minute) {
    last += 60000;
    s.minutes.push(new Date(last).toISOString());
    if (slide) s.minutes.shift();
    for (const cp of Object.keys(s.checkpoints)) {
      s.checkpoints[cp].push(0);
      if (slide) s.checkpoints[cp].shift();
    }
  }
  const n = s.minutes.length;
  for (const c of msg.checkpoints || []) {
    let row = s.checkpoints[c.checkpoint];
    if (!row) row = s.checkpoints[c.checkpoint] = new Array(n).fill(0);
    row[n - 1] = c.this_minute;
    if (n > 1) row[n - 2] = c.previous_minute;
  }
}

export function addScan(msg) {
  feed.unshift(msg);
  if (feed.length > FEED_SIZE) feed.length = FEED_SIZE;
}

export function setSales(sales) {
  current.sales = sales;
}

/** Adds or updates an alert; true when it is new. */
export function upsertAlert(msg) {
  const list = current.alerts || (current.alerts = []);
  const i = list.findIndex((a) => a.id === msg.id);
  if (i >= 0) {
    list[i] = { ...list[i], ...msg };
    return false;
  }
  list.unshift(msg);
  return true;
}

export function acknowledgeAlert(msg) {
  for (const a of current.alerts || []) {
    if (a.id === msg.id) {
      a.acknowledged = true;
      a.acknowledged_at = msg.acknowledged_at;
      a.acknowledged_by = msg.acknowledged_by;
    }
  }
}

export function setDevices(devices) {
  current.devices = devices;
}

export function markDeviceRevoked(deviceId) {
  for (const d of current.devices || []) {
    if (d.device_id === deviceId) {
      d.revoked = true;
      d.status = "revoked";
    }
  }
}

export function setMirror(mirror) {
  current.mirror = mirror;
}

export function setLive(live) {
  current.live = live;
}

/** Checkpoint id -> gate name (devices name the gates no scan has reached yet). */
export function gateNames() {
  const names = {};
  for (const c of current.checkpoints || []) names[c.checkpoint] = c.name;
  for (const d of current.devices || []) if (d.checkpoint && !names[d.checkpoint]) names[d.checkpoint] = d.checkpoint_name;
  return names;
}

export function zoneNames() {
  const names = {};
  for (const z of current.zones || []) names[z.zone_id] = z.name;
  return names;
}

/** Device id -> name: people read "North 1", never a device id. */
export function deviceNames() {
  const names = {};
  for (const d of current.devices || []) names[d.device_id] = d.name;
  return names;
}

export function zoneColors() {
  const colors = {};
  for (const z of current.zones || []) colors[z.zone_id] = z.color;
  return colors;
}

/** The device of an id (every device of the event, revoked ones too), or undefined. */
export function deviceById(deviceId) {
  return (current.devices || []).find((d) => d.device_id === deviceId);
}

/** A box office's name, from its terminal in the devices list (live.selectors.devices). */
export function officeName(officeId) {
  const d = (current.devices || []).find((x) => x.office_id && x.office_id === officeId);
  return d ? d.office_name : null;
}
