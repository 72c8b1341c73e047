// What several of the scanner's jobs read: the paired device, the screen, online or offline, the
// direction, the offline manifest, the upload queue's size. It lives here and changes only through
// these functions; whoever must follow a change subscribes (the status bar, the connection).
// Working variables of one job stay in that job's module (timers, the scan chain, the cameras).
// No imports: every module may read the state without lengthening the import chains that
// collectstatic rewrites to hashed names (docs/adr/0021).

const state = {
  device: null, // {device_id, token, role, event, checkpoint, paired_at, revoked?}; store.js keeps it
  screen: "boot", // boot | pairing | scan | revoked
  mode: "online", // online: scans go to the server; offline: decided on this phone
  direction: "in",
  manifest: null, // offline.js Manifest: the downloaded ticket list
  pending: 0, // offline scans waiting for upload
  syncing: false,
  clockOffsetMs: 0, // server time minus this phone's, from the last heartbeat
  stopped: false, // revoked or unpaired: background work ends
  paused: null, // why scanning waits for the steward ("conflict": the conflict sheet is open), or null
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
export const direction = () => state.direction;
export const setDirection = (value) => set("direction", value);
export const manifest = () => state.manifest;
export const setManifest = (value) => set("manifest", value);
export const pending = () => state.pending;
export const setPending = (value) => set("pending", value);
export const syncing = () => state.syncing;
export const setSyncing = (value) => set("syncing", value);
export const clockOffsetMs = () => state.clockOffsetMs;
export const setClockOffsetMs = (value) => set("clockOffsetMs", value);
export const stopped = () => state.stopped;
export const setStopped = (value) => set("stopped", value);
export const paused = () => state.paused;
export const setPaused = (value) => set("paused", value);

/** The directions this phone's checkpoint admits: ["in", "out"], ["in"] or ["out"]. */
export function allowedDirections() {
  const directions = (state.device.checkpoint && state.device.checkpoint.directions) || "both";
  return directions === "both" ? ["in", "out"] : [directions];
}

/** A copy, for window.__scanner (remote DevTools on a door phone). */
export const snapshot = () => ({ ...state });
