// Online or offline, decided within a few seconds either way (issue 16 item 3): the shared
// heartbeat and probe (static/common/connection.js) with the door's timings and work. While
// online each tick refreshes the manifest and uploads offline scans when due; when the connection
// returns the queue uploads first, then the manifest refreshes.
import { api, handleAuthError, reachable } from "./api.js";
import { createConnection } from "../common/connection.js";
import { refreshManifest, refreshManifestIfDue } from "./manifest.js";
import { CONFIG } from "./page.js";
import { syncIfDue, syncQueue } from "./queue.js";
import * as state from "./state.js";

// Worst cases: a server that stops answering is noticed quietMs + tickMs + probeTimeoutMs after
// its last answer; one that is back, retryMs + tickMs + probeTimeoutMs after it returns. Both
// under 3 s (tests/scanner/test_connection.py measures them).
export const { startTicker, stopTicker, heartbeat } = createConnection({
  state, api, reachable, handleAuthError, appVersion: CONFIG.app_version,
  heartbeatMs: 20000, quietMs: 700, probeTimeoutMs: 1200, retryMs: 1000,
  whileOnline(now) {
    refreshManifestIfDue(now);
    syncIfDue(now);
  },
  onOnline() {
    syncQueue().then(() => refreshManifest());
  },
});
