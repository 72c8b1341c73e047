// What the box office keeps between sessions.
// - localStorage "tc.office.device": the paired office (device_id, token, event, office).
// - IndexedDB "ticketcore-office": the stock (meta in "kv", one row per ticket in "tickets", so a
//   delta rewrites only what changed) and every sale made here ("sales", keyed by sale_id;
//   `pending` = 1 until the server has answered it). Sales are never deleted: they are the till.
import { OFFICE_DEVICE_KEY } from "../common/pairing_code.js";
import { done, openDatabase, result } from "../common/idb.js";

const DB_NAME = "ticketcore-office";
const DB_VERSION = 1;

export function loadDevice() {
  try {
    const device = JSON.parse(localStorage.getItem(OFFICE_DEVICE_KEY) || "null");
    return device && device.token && device.office ? device : null;
  } catch {
    return null;
  }
}

export function saveDevice(device) {
  localStorage.setItem(OFFICE_DEVICE_KEY, JSON.stringify(device));
}

export function forgetDevice() {
  localStorage.removeItem(OFFICE_DEVICE_KEY);
}

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = openDatabase(DB_NAME, DB_VERSION, (db) => {
      db.createObjectStore("kv");
      db.createObjectStore("tickets", { keyPath: "ticket_id" });
      const sales = db.createObjectStore("sales", { keyPath: "sale_id" });
      sales.createIndex("pending", "pending");
    });
  }
  return dbPromise;
}

/** The stored stock: {meta, tickets}, or null. */
export async function loadStock() {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"]);
  const [meta, tickets] = await Promise.all([
    result(tx.objectStore("kv").get("stock")), result(tx.objectStore("tickets").getAll()),
  ]);
  return meta ? { meta, tickets } : null;
}

/** Saves the stock's meta, upserts `tickets`, deletes `removed`; `replace` first drops every ticket. */
export async function saveStock(meta, tickets, removed, { replace = false } = {}) {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"], "readwrite");
  const store = tx.objectStore("tickets");
  if (replace) store.clear();
  for (const ticket of tickets) store.put(ticket);
  for (const ticketId of removed) store.delete(ticketId);
  tx.objectStore("kv").put(meta, "stock");
  return done(tx);
}

export async function clearStock() {
  const db = await openDb();
  const tx = db.transaction(["kv", "tickets"], "readwrite");
  tx.objectStore("tickets").clear();
  tx.objectStore("kv").delete("stock");
  return done(tx);
}

export async function putSales(sales) {
  const db = await openDb();
  const tx = db.transaction("sales", "readwrite");
  for (const sale of sales) tx.objectStore("sales").put(sale);
  return done(tx);
}

/** Every sale this device made for `officeId`, oldest first. */
export async function allSales(officeId) {
  const db = await openDb();
  const rows = await result(db.transaction("sales").objectStore("sales").getAll());
  return rows.filter((s) => s.office_id === officeId).sort((a, b) => (a.sold_at < b.sold_at ? -1 : a.sold_at > b.sold_at ? 1 : 0));
}

/** Sales not yet answered by the server, oldest first. */
export async function pendingSales(officeId) {
  const db = await openDb();
  const rows = await result(db.transaction("sales").objectStore("sales").index("pending").getAll(1));
  return rows.filter((s) => s.office_id === officeId).sort((a, b) => (a.sold_at < b.sold_at ? -1 : 1));
}
