// The staff sales desk (docs/adr/0032): the event's zones and seats with live availability, an
// order (pick, hold with a countdown, check out, release), the hand-over of the tickets, and the
// live sales status. Everything goes through the public API and the live feed, as an organiser's
// web shop would.
//
//   api.js      the API calls (session + CSRF)       live.js     the live feed socket
//   seats.js    the seat map and its live state      order.js    the order and its phases
//   handover.js QR codes, PDF, email after a sale    status.js   the sales figures
//   zones.js    the zone tabs                         notice.js   what the order says
//   format.js   money and times (event's clock)  finder.js   best available, find a seat or row
//   seatstate.js the seats read and their states  sections.js a big zone's sections (rows, blocks)
import { gettext } from "../i18n/gettext.js";
import * as api from "./api.js";
import * as finder from "./finder.js";
import { startLive } from "./live.js";
import * as order from "./order.js";
import * as map from "./seats.js";
import { notice } from "./notice.js";
import * as status from "./status.js";
import * as zones from "./zones.js";

function onMessage(msg) {
  if (msg.type === "snapshot") {
    if (msg.sales) status.render(msg.sales);
    map.reloadAll(); // whatever was missed while the socket was down is read again
  } else if (msg.type === "sales") {
    if (msg.totals) status.render(msg);
    else map.apply(msg);
  }
}

let lastZone = null;

async function boot() {
  map.connect({ pick: (seat) => { finder.clear(); order.pick(seat); }, changed: order.seatsChanged, isSelected: order.isSelected, isMine: order.isMine,
                shown: (zoneId) => { order.zoneShown(); zones.render(); if (zoneId !== lastZone) finder.clear(); lastZone = zoneId; } });
  finder.start();
  const kept = order.restore();
  let event;
  try {
    event = await api.event();
  } catch (error) {
    notice(error.status === 0 ? gettext("The server cannot be reached: reload the page when the connection is back.")
                              : error.message, "bad");
    return;
  }
  map.setZones(event.zones);
  startLive(onMessage);
  setInterval(() => map.expireHolds(), 1000);
  const first = event.zones.some((z) => z.zone_id === kept) ? kept : (event.zones[0] || {}).zone_id;
  if (first) map.showZone(first);
  api.sales().then(status.render).catch(() => { /* the live feed's snapshot brings it */ });
}

boot();
