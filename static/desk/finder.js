// The map's tools: "best available" (N free seats side by side, added to the order) and the
// search for a seat or a row, which brings it into view (in a big zone, its section first).
import { gettext, interpolate } from "../i18n/gettext.js";
import { $ } from "../dashboard/dom.js";
import * as order from "./order.js";
import * as map from "./seats.js";

function say(text, kind = "info") {
  const box = $("tool-result");
  box.textContent = text;
  box.className = `tool-result small tool-${kind}`;
  box.hidden = !text;
}

function zoneName() {
  const z = map.zone(map.shownZone());
  return z ? z.name : "";
}

function best(ev) {
  ev.preventDefault();
  const zoneId = map.shownZone();
  const n = Math.round(Number($("best-count").value));
  if (!(n >= 1 && n <= 20)) {
    say(gettext("Ask for 1 to 20 seats."), "bad");
    return;
  }
  if (!map.isLoaded(zoneId)) {
    say(gettext("The seats are still being read: try again in a moment."), "bad");
    return;
  }
  const run = map.together(zoneId, n);
  if (!run || !run.length) {
    say(interpolate(gettext("No %(count)s free seats side by side in %(zone)s: pick them one by one, or try fewer."),
                    { count: n, zone: zoneName() }, true), "bad");
    return;
  }
  if (!order.pickSeats(run)) return;
  map.reveal(run[0]);
  const names = run.length === 1 ? map.seatLabel(run[0])
    : interpolate(gettext("%(first)s to %(last)s"), { first: map.seatLabel(run[0]), last: String(run[run.length - 1].number) }, true);
  say(interpolate(gettext("Added to the order: %(seats)s."), { seats: names }, true), "ok");
}

function find(ev) {
  ev.preventDefault();
  const q = $("find-q").value.trim();
  if (!q) return;
  if (!map.isLoaded(map.shownZone())) {
    say(gettext("The seats are still being read: try again in a moment."), "bad");
    return;
  }
  const found = map.find(q);
  if (!found) {
    say(interpolate(gettext("No seat or row “%(q)s” in %(zone)s."), { q, zone: zoneName() }, true), "bad");
    return;
  }
  const seat = found.seat || found.row;
  map.reveal(seat);
  say(found.seat
    ? interpolate(gettext("%(seat)s: %(state)s."), { seat: map.seatLabel(seat), state: map.lookWords(seat) }, true)
    : interpolate(gettext("Row %(row)s is on the map."), { row: seat.row }, true), "info");
}

export function start() {
  $("best").addEventListener("submit", best);
  $("find").addEventListener("submit", find);
  $("hold").addEventListener("click", clear); // what the tools said is old news once the seats are held
}

/** A new zone on the map: what the tools said was about the old one. */
export function clear() {
  say("");
}
