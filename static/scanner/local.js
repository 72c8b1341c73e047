// What the phone checks offline codes with, besides the manifest's rows (state.manifest): the
// event's public keys and this phone's own unsynced admissions; and what each server answer
// teaches the offline list.
import { KeyRing, LocalScans } from "./offline.js";
import * as state from "./state.js";
import { putTickets } from "./store.js";

export const keys = new KeyRing();
export const localScans = new LocalScans();

/** Keeps the offline list in step with what the server has just told us about a ticket. */
export function learn(response, direction) {
  const manifest = state.manifest();
  if (!manifest || !response || !response.ticket) return;
  const reason = response.reason;
  let update = null;
  if (response.result === "accepted") {
    update = direction === "in" ? { access_status: true, access_entry: true } : { access_entry: false };
  } else if (reason === "already_inside") {
    update = { access_status: true, access_entry: true };
  } else if (reason === "already_used") {
    update = { access_status: true };
  } else if (reason === "not_inside") {
    update = { access_entry: false };
  }
  if (!update) return;
  const ticket = manifest.learn(response.ticket.ticket_id, update);
  if (ticket) putTickets([ticket]).catch(() => {});
}
