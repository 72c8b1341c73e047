// Offline decisions, made on the phone from the downloaded manifest.
//
// The rules are those of the server's scan (access_scan_ticket in access/migrations/0003 and
// access.services._scan_credential), in the same order, so an offline answer is the answer the
// server would have given on the data the phone has. What the phone cannot know (another
// gate admitting the same ticket meanwhile) is settled by the batch sync, which may answer
// `rejected` for a scan admitted here: a conflict, shown to the steward.

// Every reason code decide() can answer: access/vocabulary.py's Reason minus its SERVER_ONLY_REASONS
// (tests/test_vocabulary.py holds this list, decide() and the server to one another).
export const REASONS = Object.freeze(["invalid_signature", "unknown_ticket", "not_sold", "already_inside",
  "already_used", "not_inside", "zone_not_allowed", "direction_not_allowed", "credential_revoked", "event_closed"]);

// tickets/codes.py: `<kind>.<object_id>.<key_id>.<signature>`, Ed25519 over the first three parts.
export const CODE_RE = /^([TC])\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9]{1,12})\.([A-Za-z0-9_-]{86})$/;

// The signature's last base64url character has four spare bits that atob() ignores: only the
// canonical spelling (spare bits zero) verifies, as on the server, so a code has one valid spelling.
export const CANONICAL_SIGNATURE_RE = /^[A-Za-z0-9_-]{85}[AQgw]$/;

export function parseCode(code) {
  const match = CODE_RE.exec(String(code || "").trim());
  if (!match) return null;
  const [, kind, objectId, keyId, signature] = match;
  return { kind, objectId, keyId, signature, message: `${kind}.${objectId}.${keyId}` };
}

export function b64urlToBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The event's public keys, imported once into WebCrypto. */
export class KeyRing {
  constructor() {
    this.raw = new Map();
    this.imported = new Map();
    this.encoder = new TextEncoder();
  }

  setKeys(keys) {
    for (const key of keys || []) {
      if (this.raw.get(key.key_id) !== key.public_key) {
        this.raw.set(key.key_id, key.public_key);
        this.imported.delete(key.key_id);
      }
    }
  }

  get size() {
    return this.raw.size;
  }

  cryptoKey(keyId) {
    let promise = this.imported.get(keyId);
    if (!promise) {
      promise = crypto.subtle.importKey("raw", b64urlToBytes(this.raw.get(keyId)), { name: "Ed25519" }, false, ["verify"]);
      this.imported.set(keyId, promise);
    }
    return promise;
  }

  /** Imports every key now, so the first offline scan does not pay for it. Resolves to false
   * when this browser has no Ed25519 in WebCrypto (Chrome < 137, Safari < 17, Firefox < 129). */
  async warm() {
    let ok = true;
    for (const keyId of this.raw.keys()) {
      try {
        await this.cryptoKey(keyId);
      } catch {
        this.imported.delete(keyId);
        ok = false;
      }
    }
    return ok;
  }

  /** True only for a well-formed code signed by one of this event's keys. */
  async verify(parsed) {
    if (!parsed || !this.raw.has(parsed.keyId) || !CANONICAL_SIGNATURE_RE.test(parsed.signature)) return false;
    try {
      const key = await this.cryptoKey(parsed.keyId);
      return await crypto.subtle.verify({ name: "Ed25519" }, key, b64urlToBytes(parsed.signature),
        this.encoder.encode(parsed.message));
    } catch {
      return false;
    }
  }
}

/** The manifest in memory: ticket and credential states, zones, the event and checkpoint. */
export class Manifest {
  constructor(meta = {}, tickets = []) {
    this.meta = { version: null, event: null, checkpoint: null, checkpoints: [], zones: [], keys: [], credentials: [],
      revoked_credentials: [], ...meta };
    this.tickets = new Map();
    for (const ticket of tickets) this.tickets.set(ticket.ticket_id, ticket);
    this.index();
  }

  index() {
    this.zones = new Map((this.meta.zones || []).map((z) => [z.zone_id, z]));
    this.credentials = new Map((this.meta.credentials || []).map((c) => [c.credential_id, c]));
    this.revoked = new Set((this.meta.revoked_credentials || []).map((c) => (typeof c === "string" ? c : c.credential_id)));
  }

  get version() {
    return this.meta.version;
  }

  /** Applies a full or delta answer of GET /api/v1/scan/manifest; returns the changed tickets. */
  apply(data) {
    const { tickets = [], ...rest } = data;
    for (const field of ["version", "event", "checkpoint", "checkpoints", "zones", "keys", "credentials"]) {
      if (rest[field] !== undefined) this.meta[field] = rest[field];
    }
    if (rest.revoked_credentials !== undefined) {
      // A credential is never un-revoked: keep every id ever reported.
      const ids = new Set([...(this.meta.revoked_credentials || []), ...rest.revoked_credentials]
        .map((c) => (typeof c === "string" ? c : c.credential_id)));
      this.meta.revoked_credentials = [...ids];
    }
    for (const ticket of tickets) this.tickets.set(ticket.ticket_id, { ...this.tickets.get(ticket.ticket_id), ...ticket });
    this.index();
    return tickets;
  }

  /** Records what the server told us about a ticket after an online scan or a sync. */
  learn(ticketId, state) {
    const current = this.tickets.get(ticketId);
    if (!current) return null;
    const updated = { ...current, ...state };
    this.tickets.set(ticketId, updated);
    return updated;
  }

  ticketView(ticket) {
    const zone = this.zones.get(ticket.zone_id) || {};
    return {
      ticket_id: ticket.ticket_id, seat_id: ticket.seat_id || null, seat_row: ticket.seat_row || null,
      zone_id: ticket.zone_id, zone: ticket.zone || zone.name || ticket.zone_id, color: ticket.color || zone.color || null,
    };
  }
}

/** What the doors know that the manifest does not yet: this phone's own unsynced admissions. */
export class LocalScans {
  constructor() {
    this.byObject = new Map();
  }

  key(kind, objectId) {
    return `${kind}.${objectId}`;
  }

  /** Replays admissions in scan order (pending scans from IndexedDB at start-up). */
  replay(scans) {
    this.byObject.clear();
    for (const scan of scans) if (scan.local_result === "accepted") this.record(scan);
  }

  record(scan) {
    const key = this.key(scan.kind, scan.object_id);
    const previous = this.byObject.get(key) || {};
    this.byObject.set(key, {
      access_status: previous.access_status || scan.direction === "in",
      inside: scan.direction === "in",
      first_at: previous.first_at || (scan.direction === "in" ? scan.scanned_at : null),
    });
  }

  get(kind, objectId) {
    return this.byObject.get(this.key(kind, objectId)) || null;
  }
}

function allows(checkpoint, direction) {
  const directions = (checkpoint && checkpoint.directions) || "both";
  return directions === "both" || directions === direction;
}

// The doors window is defined once, on the server (access/offline.py sends it computed from the
// event): the phone compares with it and never re-derives it.
function outsideEventWindow(event, at) {
  if (!event || !event.doors_open_at || !event.doors_close_at) return false;
  return at < Date.parse(event.doors_open_at) || at > Date.parse(event.doors_close_at);
}

/**
 * Decides one scan offline. `verified` is the result of KeyRing.verify(parsed); `at` is the
 * server-corrected time in ms. Returns {result, reason, ticket?, credential?, first_entry?}.
 */
export function decide({ parsed, verified, direction, manifest, local, at, checkpointName }) {
  const reject = (reason, extra = {}) => ({ result: "rejected", reason, ...extra });
  if (!parsed || !verified) return reject("invalid_signature");
  const checkpoint = manifest.meta.checkpoint;
  if (!allows(checkpoint, direction)) return reject("direction_not_allowed");
  const zonesHere = (checkpoint && checkpoint.zones) || [];

  if (parsed.kind === "C") {
    const credential = manifest.credentials.get(parsed.objectId);
    const view = credential ? { credential_id: credential.credential_id, name: credential.name, kind: credential.kind } : undefined;
    if (manifest.revoked.has(parsed.objectId) || (credential && (credential.revoked || credential.revoked_at))) {
      return reject("credential_revoked", { credential: view });
    }
    if (!credential) return reject("unknown_ticket");
    if ((credential.valid_from && at < Date.parse(credential.valid_from)) ||
        (credential.valid_until && at > Date.parse(credential.valid_until))) {
      return reject("event_closed", { credential: view });
    }
    const cpId = checkpoint && checkpoint.checkpoint_id;
    if ((credential.checkpoints && credential.checkpoints.length && !credential.checkpoints.includes(cpId)) ||
        (credential.zones && credential.zones.length && zonesHere.length &&
         !credential.zones.some((z) => zonesHere.includes(z)))) {
      return reject("zone_not_allowed", { credential: view });
    }
    const mine = local.get("C", parsed.objectId);
    const inside = mine ? mine.inside : Boolean(credential.inside);
    if (direction === "in" && inside) return reject("already_inside", { credential: view });
    if (direction === "out" && !inside) return reject("not_inside", { credential: view });
    return { result: "accepted", reason: null, credential: view };
  }

  const ticket = manifest.tickets.get(parsed.objectId);
  if (!ticket) return reject("unknown_ticket");
  const view = manifest.ticketView(ticket);
  if (outsideEventWindow(manifest.meta.event, at)) return reject("event_closed", { ticket: view });
  if (ticket.status) return reject("not_sold", { ticket: view });
  if (zonesHere.length && !zonesHere.includes(ticket.zone_id)) return reject("zone_not_allowed", { ticket: view });
  const mine = local.get("T", parsed.objectId);
  const inside = mine ? mine.inside : Boolean(ticket.access_entry);
  const used = Boolean(ticket.access_status) || Boolean(mine && mine.access_status);
  const firstEntry = mine && mine.first_at ? { at: mine.first_at, checkpoint_name: checkpointName } : undefined;
  if (direction === "in") {
    if (inside) return reject("already_inside", { ticket: view, first_entry: firstEntry });
    const zone = manifest.zones.get(ticket.zone_id);
    if (used && !(zone && zone.reentry)) return reject("already_used", { ticket: view, first_entry: firstEntry });
  } else if (!inside) {
    return reject("not_inside", { ticket: view });
  }
  return { result: "accepted", reason: null, ticket: view };
}
