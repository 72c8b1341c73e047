// What the phone keeps between sessions (the shared shape: static/common/device_store.js).
// - localStorage "tc.scanner.device": the paired device (device_id, token, role, event, checkpoint).
//   Read synchronously at start-up, so the app knows at once whether it is paired.
// - IndexedDB "ticketcore-scanner": the offline manifest (meta in "kv", one row per ticket in
//   "tickets", so a delta rewrites only the tickets that changed) and every scan made offline
//   ("scans", keyed by scan_id; `pending` = 1 until the batch sync has answered it).
import { deviceSlot, ticketStore } from "../common/device_store.js";
import { done, result } from "../common/idb.js";

const slot = deviceSlot("tc.scanner.device", (device) => device.token);
const store = ticketStore({ name: "ticketcore-scanner", queue: "scans", key: "scan_id", metaKey: "manifest", timeField: "scanned_at" });
const openDb = store.db;

export const loadDevice = slot.load;
export const saveDevice = slot.save;
export const forgetDevice = slot.forget;

export async function kvGet(key) {
  const db = await openDb();
  return result(db.transaction("kv").objectStore("kv").get(key));
}

export async function kvSet(key, value) {
  const db = await openDb();
  const tx = db.transaction("kv", "readwrite");
  tx.objectStore("kv").put(value, key);
  return done(tx);
}

/** The stored manifest: {meta: {...everything but tickets}, tickets: [...]}, or null. */
export const loadManifest = store.load;

/** Saves the manifest meta and upserts `tickets`; `replace` first drops every stored ticket. */
export const saveManifest = (meta, tickets, { replace = false } = {}) => store.save(meta, tickets, [], { replace });

export async function putTickets(tickets) {
  const db = await openDb();
  const tx = db.transaction("tickets", "readwrite");
  for (const ticket of tickets) tx.objectStore("tickets").put(ticket);
  return done(tx);
}

export const clearManifest = store.clear;
export const putScans = store.putQueued;
export const putScan = (scan) => store.putQueued([scan]);

/** Scans not yet answered by the server, oldest first. */
export const pendingScans = () => store.pendingQueued();

/** Offline admissions the server refused and nobody has acknowledged yet, oldest first. */
export const openConflicts = () => store.allQueued((s) => s.conflict && !s.conflict_seen);
