// What a device app keeps between sessions, the same shape for the door scanner
// (static/scanner/store.js) and the box office (static/office/store.js):
// - localStorage: the paired device under the app's key, read synchronously at start-up so the
//   app knows at once whether it is paired;
// - IndexedDB: the app's ticket list (its meta in "kv", one row per ticket in "tickets", so a
//   delta rewrites only what changed) and its upload queue (one row per scan or sale, keyed by its
//   id; `pending` = 1 until the server has answered it).
import { done, openDatabase, result } from "./idb.js";

/** The paired device under `key`: {load, save, forget}; `usable(device)` says a stored one is whole. */
export function deviceSlot(key, usable) {
  return {
    load() {
      try {
        const device = JSON.parse(localStorage.getItem(key) || "null");
        return device && usable(device) ? device : null;
      } catch {
        return null;
      }
    },
    save(device) {
      localStorage.setItem(key, JSON.stringify(device));
    },
    forget() {
      localStorage.removeItem(key);
    },
  };
}

const byTime = (field) => (a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0);

/**
 * The database `name` (version 1: stores "kv", "tickets" and the queue `queue` keyed by `key`,
 * indexed by "pending"). `metaKey`: where the ticket list's meta lives in "kv"; `timeField`:
 * the queue's order (oldest first).
 */
export function ticketStore({ name, queue, key, metaKey, timeField }) {
  let dbPromise = null;
  const order = byTime(timeField);

  function db() {
    if (!dbPromise) {
      dbPromise = openDatabase(name, 1, (database) => {
        database.createObjectStore("kv");
        database.createObjectStore("tickets", { keyPath: "ticket_id" });
        database.createObjectStore(queue, { keyPath: key }).createIndex("pending", "pending");
      });
    }
    return dbPromise;
  }

  return {
    db,
    /** The stored list: {meta, tickets}, or null. */
    async load() {
      const tx = (await db()).transaction(["kv", "tickets"]);
      const [meta, tickets] = await Promise.all([
        result(tx.objectStore("kv").get(metaKey)), result(tx.objectStore("tickets").getAll()),
      ]);
      return meta ? { meta, tickets } : null;
    },
    /** Saves the meta, upserts `tickets`, deletes `removed`; `replace` first drops every ticket. */
    async save(meta, tickets, removed = [], { replace = false } = {}) {
      const tx = (await db()).transaction(["kv", "tickets"], "readwrite");
      const store = tx.objectStore("tickets");
      if (replace) store.clear();
      for (const ticket of tickets) store.put(ticket);
      for (const ticketId of removed) store.delete(ticketId);
      tx.objectStore("kv").put(meta, metaKey);
      return done(tx);
    },
    async clear() {
      const tx = (await db()).transaction(["kv", "tickets"], "readwrite");
      tx.objectStore("tickets").clear();
      tx.objectStore("kv").delete(metaKey);
      return done(tx);
    },
    async putQueued(rows) {
      const tx = (await db()).transaction(queue, "readwrite");
      for (const row of rows) tx.objectStore(queue).put(row);
      return done(tx);
    },
    /** Every queued row that `keep` keeps, oldest first. */
    async allQueued(keep = () => true) {
      const rows = await result((await db()).transaction(queue).objectStore(queue).getAll());
      return rows.filter(keep).sort(order);
    },
    /** Rows not yet answered by the server that `keep` keeps, oldest first. */
    async pendingQueued(keep = () => true) {
      const rows = await result((await db()).transaction(queue).objectStore(queue).index("pending").getAll(1));
      return rows.filter(keep).sort(order);
    },
  };
}
