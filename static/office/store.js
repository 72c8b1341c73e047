// What the box office keeps between sessions (the shared shape: static/common/device_store.js).
// - localStorage "tc.office.device": the paired office (device_id, token, event, office).
// - IndexedDB "ticketcore-office": the stock (meta in "kv", one row per ticket in "tickets") and
//   every sale made here ("sales", keyed by sale_id; `pending` = 1 until the server has answered
//   it). Sales are never deleted: they are the till, and a revoked office's kept evidence.
import { deviceSlot, ticketStore } from "../common/device_store.js";
import { OFFICE_DEVICE_KEY } from "../common/pairing_code.js";

const slot = deviceSlot(OFFICE_DEVICE_KEY, (device) => device.token && device.office);
const store = ticketStore({ name: "ticketcore-office", queue: "sales", key: "sale_id", metaKey: "stock", timeField: "sold_at" });

export const loadDevice = slot.load;
export const saveDevice = slot.save;
export const forgetDevice = slot.forget;

/** The stored stock: {meta, tickets}, or null. */
export const loadStock = store.load;
/** saveStock(meta, tickets, removed, {replace}). */
export const saveStock = store.save;
export const clearStock = store.clear;
export const putSales = store.putQueued;

/** Every sale this device made for `officeId`, oldest first. */
export const allSales = (officeId) => store.allQueued((s) => s.office_id === officeId);

/** Sales not yet answered by the server, oldest first. */
export const pendingSales = (officeId) => store.pendingQueued((s) => s.office_id === officeId);
