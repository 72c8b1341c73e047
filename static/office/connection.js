// Online or offline, found out within a few seconds either way: the door scanner's heartbeat and
// probe (static/common/connection.js) with the box office's timings and work. The heartbeat
// every 5 s online also finds out at once that the office was revoked. While online each tick
// refreshes the stock and uploads sales when due; when the connection returns the queued sales
// upload first, then the stock refreshes.
import { api, handleAuthError, reachable } from "./api.js";
import { createConnection } from "../common/connection.js";
import { CONFIG } from "./page.js";
import { syncIfDue, syncQueue } from "./sales.js";
import * as state from "./state.js";
import { refreshStock, refreshStockIfDue } from "./stock.js";

export const { startTicker, stopTicker, heartbeat } = createConnection({
  state, api, reachable, handleAuthError, appVersion: CONFIG.app_version,
  heartbeatMs: 5000, quietMs: 1500, probeTimeoutMs: 1500, retryMs: 1000,
  whileOnline(now) {
    refreshStockIfDue(now);
    syncIfDue(now);
  },
  onOnline() {
    syncQueue().then(() => refreshStock());
  },
});
