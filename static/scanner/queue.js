// Scans decided on this phone while offline: stored in IndexedDB, and uploaded in batches to
// POST /api/v1/scan/sync once the server answers again (the server's answer is final; an
// admission it refuses is a conflict, shown to the steward).
import { NetworkError, api, handleAuthError } from "./api.js";
import { refreshConflicts } from "./conflicts.js";
import { keys, learn, localScans } from "./local.js";
import { decide, parseCode } from "./offline.js";
import * as state from "./state.js";
import { pendingScans, putScan, putScans } from "./store.js";

const SYNC_RETRY_MS = 5000;
const SYNC_BATCH = 200;

let lastSync = 0;

/** Decides `scan` on the phone and keeps it; resolves to the outcome to show. */
export async function decideOffline(scan) {
  const parsed = parseCode(scan.code);
  const manifest = state.manifest();
  if (!manifest) {
    // Nothing to decide with: the phone says so ("not checked", grey), never a red refusal that
    // would turn away a valid ticket. Nothing is stored or queued; the steward scans it again.
    return { kind: "unchecked", response: { scan_id: scan.scan_id, result: "rejected", reason: "no_manifest" }, offline: true };
  }
  const verified = await keys.verify(parsed);
  const device = state.device();
  const decision = decide({
    parsed, verified, direction: scan.direction, manifest, local: localScans,
    at: Date.now() + state.clockOffsetMs(), checkpointName: device.checkpoint && device.checkpoint.name,
  });
  // Uploaded later: admissions (they changed who is inside) and forged codes (evidence the
  // server can never accept). Other refusals stay on the phone: sent later, the server might
  // admit a person the door turned away.
  const upload = decision.result === "accepted" || decision.reason === "invalid_signature";
  const row = {
    ...scan, device_id: device.device_id, kind: parsed ? parsed.kind : null, object_id: parsed ? parsed.objectId : null,
    local_result: decision.result, local_reason: decision.reason, ticket: decision.ticket || null,
    credential: decision.credential || null, pending: upload ? 1 : 0,
  };
  try {
    await putScan(row);
  } catch (error) {
    console.error("could not store the scan", error);
  }
  if (decision.result === "accepted") localScans.record(row);
  if (upload) state.setPending(state.pending() + 1);
  return {
    kind: decision.result === "accepted" ? "queued" : "rejected",
    response: { scan_id: scan.scan_id, ...decision },
    offline: true,
  };
}

export function syncIfDue(now) {
  if (state.pending() > 0 && now - lastSync >= SYNC_RETRY_MS) syncQueue();
}

/** Uploads every pending scan of this phone; resolves to how many the server answered. A revoked
 * phone may still hand its queue over (`evenIfRevoked`): stored as quarantined evidence. */
export async function syncQueue({ evenIfRevoked = false } = {}) {
  if (state.syncing() || (state.stopped() && !evenIfRevoked) || !state.device()) return 0;
  state.setSyncing(true);
  lastSync = Date.now();
  let uploaded = 0;
  try {
    let pending = (await pendingScans()).filter((s) => s.device_id === state.device().device_id);
    while (pending.length) {
      const batch = pending.slice(0, SYNC_BATCH);
      const body = await api("/scan/sync", {
        method: "POST", timeout: 20000,
        body: { scans: batch.map((s) => ({ code: s.code, direction: s.direction, scan_id: s.scan_id, scanned_at: s.scanned_at })) },
      });
      const answers = new Map((body.results || []).map((r) => [r.scan_id, r]));
      const updated = [];
      for (const scan of batch) {
        const answer = answers.get(scan.scan_id);
        if (!answer) continue;
        scan.pending = 0;
        scan.server_result = answer.result;
        scan.server_reason = answer.reason;
        scan.server_answer = answer;
        scan.synced_at = new Date().toISOString();
        scan.conflict = scan.local_result === "accepted" && answer.result !== "accepted" && answer.reason !== "device_revoked";
        learn(answer, scan.direction);
        updated.push(scan);
      }
      await putScans(updated);
      uploaded += updated.length;
      pending = pending.slice(batch.length);
    }
    const left = (await pendingScans()).filter((s) => s.device_id === state.device().device_id);
    localScans.replay(left);
    state.setPending(left.length);
  } catch (error) {
    if (!evenIfRevoked && !handleAuthError(error) && error instanceof NetworkError) state.setMode("offline");
  } finally {
    state.setSyncing(false);
  }
  if (!state.stopped()) refreshConflicts();
  return uploaded;
}
