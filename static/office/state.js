// What several of the terminal's jobs read: the paired office, the screen, online or offline, the
// stock on this device, the seats picked for the sale in progress, the upload queue's size. It
// changes only through these functions; whoever must follow a change subscribes. No imports.

const state = {
  device: null, // {device_id, token, role, event, office: {office_id, name}, paired_at, revoked?}; store.js
  screen: "boot", // boot | pairing | sell | handover | till | revoked
  mode: "online", // online: sales upload at once; offline: they wait on this device
  stock: null, // stock.js Stock: zones, prices and this office's tickets
  zone: null, // the zone the seat picker shows
  picked: [], // ticket_ids picked for the sale in progress, in order
  pending: 0, // sales waiting for upload
  syncing: false,
  stopped: false, // revoked or unpaired: background work ends
  clockOffsetMs: 0, // server time minus this device's, from the last heartbeat
};

const listeners = new Set();

function set(key, value) {
  if (state[key] === value) return;
  state[key] = value;
  for (const listener of listeners) listener(key, value);
}

/** Calls `listener(key, value)` after every change; returns the function that stops it. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const device = () => state.device;
export const setDevice = (value) => set("device", value);
export const screen = () => state.screen;
export const setScreen = (value) => set("screen", value);
export const mode = () => state.mode;
export const setMode = (value) => set("mode", value);
export const stock = () => state.stock;
export const setStock = (value) => set("stock", value);
export const zone = () => state.zone;
export const setZone = (value) => set("zone", value);
export const picked = () => state.picked;
export const setPicked = (value) => set("picked", value);
export const pending = () => state.pending;
export const setPending = (value) => set("pending", value);
export const syncing = () => state.syncing;
export const setSyncing = (value) => set("syncing", value);
export const stopped = () => state.stopped;
export const setStopped = (value) => set("stopped", value);
export const clockOffsetMs = () => state.clockOffsetMs;
export const setClockOffsetMs = (value) => set("clockOffsetMs", value);

/** This office's id (the API's paths name it). */
export const officeId = () => (state.device && state.device.office ? state.device.office.office_id : null);

/** A copy, for window.__office (the browser tests; remote DevTools on a box-office device). */
export const snapshot = () => ({ ...state, stock: state.stock ? state.stock.summary() : null });
