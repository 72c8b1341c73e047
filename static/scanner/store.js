// What the phone keeps between sessions.
// - localStorage "tc.scanner.device": the paired device (device_id, token, role, event, checkpoint).
//   Read synchronously at start-up, so the app knows at once whether it is paired.
// - IndexedDB "ticketcore-scanner": the offline manifest (meta in "kv", one row per ticket in
//   "tickets", so a delta rewrites only the tickets that changed) and every scan made offline
//   ("scans", keyed by scan_id; `pending` = 1 until the batch sync has answered it).
import { done, openDatabase, result } from "../common/idb.js";

const DEVICE_KEY = "tc.scanner.device";
const DB_NAME = "ticketcore-scanner";
const DB_VERSION = 1;

export function loadDevice() {
  try {
    const device = JSON.parse(localStorage.getItem(DEVICE_KEY) || "null");
    return device && device.token ? device : null;
  } catch {
    return null;
  }
}

export function saveDevice(device) {
  localStorage.setItem(DEVICE_KEY, JSON.stringify(device));
}

export function forgetDevice() {
  localStorage.removeItem(DEVICE_KEY);
}

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = openDatabase(DB_NAME, DB_VERSION, (db) => {
      db.createObjectStore("kv");
      db.createObjectStore("tickets", { keyPath: "ticket_id" });
      const scans = db.createObjectStore("scans", { keyPath: "scan_id" });
      scans.createIndex("pending", "pending");
    });
  }
  return dbPromise;
}

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
export async function loadManifest() {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"]);
  const [meta, tickets] = await Promise.all([
    result(tx.objectStore("kv").get("manifest")),
    result(tx.objectStore("tickets").getAll()),
  ]);
  return meta ? { meta, tickets } : null;
}

/** Saves the manifest meta and upserts `tickets`; `replace` first drops every stored ticket. */
export async function saveManifest(meta, tickets, { replace = false } = {}) {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"], "readwrite");
  const store = tx.objectStore("tickets");
  if (replace) store.clear();
  for (const ticket of tickets) store.put(ticket);
  tx.objectStore("kv").put(meta, "manifest");
  return done(tx);
}

export async function putTickets(tickets) {
  const db = await openDb();
  const tx = db.transaction("tickets", "readwrite");
  for (const ticket of tickets) tx.objectStore("tickets").put(ticket);
  return done(tx);
}

export async function clearManifest() {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"], "readwrite");
  tx.objectStore("tickets").clear();
  tx.objectStore("kv").delete("manifest");
  return done(tx);
}

export async function putScan(scan) {
  const db = await openDb();
  const tx = db.transaction("scans", "readwrite");
  tx.objectStore("scans").put(scan);
  return done(tx);
}

export async function putScans(scans) {
  const db = await openDb();
  const tx = db.transaction("scans", "readwrite");
  for (const scan of scans) tx.objectStore("scans").put(scan);
  return done(tx);
}

/** Scans not yet answered by the server, oldest first. */
export async function pendingScans() {
  const db = await openDb();
  const rows = await result(db.transaction("scans").objectStore("scans").index("pending").getAll(1));
  return rows.sort((a, b) => (a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : 0));
}

/** Offline admissions the server refused and nobody has acknowledged yet. */
export async function openConflicts() {
  const db = await openDb();
  const rows = await result(db.transaction("scans").objectStore("scans").getAll());
  return rows.filter((s) => s.conflict && !s.conflict_seen).sort((a, b) => (a.scanned_at < b.scanned_at ? -1 : 1));
}
