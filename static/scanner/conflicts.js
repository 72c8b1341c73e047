// The sheet of offline admissions the server later refused (a conflict: another gate, or the
// server's newer data, said no). It stays until the steward acknowledges it, and scanning waits
// until then (state.paused): a steward who has not read it would keep admitting as before.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { openConflicts, putScans } from "./store.js";
import { at, number, reasonText } from "./words.js";

export async function refreshConflicts() {
  let conflicts = [];
  try {
    const device = state.device();
    conflicts = (await openConflicts()).filter((s) => s.device_id === (device && device.device_id));
  } catch {
    return;
  }
  const sheet = $("conflicts");
  sheet.hidden = conflicts.length === 0;
  document.body.dataset.conflicts = String(conflicts.length);
  if (!conflicts.length) {
    if (state.paused() === "conflict") state.setPaused(null);
    return;
  }
  state.setPaused("conflict");
  $("conflicts-title").textContent = interpolate(ngettext("%(count)s offline admission was refused by the server",
    "%(count)s offline admissions were refused by the server", conflicts.length), { count: number(conflicts.length) }, true);
  $("conflicts-lead").textContent = ngettext(
    "This ticket was let in while offline, but another gate had already admitted it. Tell a supervisor.",
    "These tickets were let in while offline, but another gate had already admitted them. Tell a supervisor.", conflicts.length);
  const list = $("conflicts-list");
  list.replaceChildren();
  for (const scan of conflicts) {
    const item = document.createElement("li");
    const ticket = (scan.server_answer && scan.server_answer.ticket) || scan.ticket || {};
    const who = ticket.seat_id || ticket.ticket_id || (scan.credential && scan.credential.name) || scan.object_id || gettext("Ticket");
    const head = document.createElement("strong");
    head.textContent = `${who}${ticket.zone ? ` · ${ticket.zone}` : ""}`;
    const body = document.createElement("span");
    const answer = scan.server_answer || { reason: scan.server_reason };
    body.textContent = interpolate(gettext("Let in here %(when)s. Server: %(answer)s"), {
      when: at(Date.parse(scan.scanned_at)), answer: reasonText(answer, scan.direction, state.allowedDirections()) }, true);
    item.append(head, body);
    item.dataset.reason = scan.server_reason || "";
    list.append(item);
  }
  $("conflicts-ok").onclick = async () => {
    for (const scan of conflicts) scan.conflict_seen = true;
    await putScans(conflicts);
    refreshConflicts();
  };
}
