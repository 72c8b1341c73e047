// TicketCore manager dashboard, the entry module: live tiles and charts over
// ws /ws/events/{id}/live/ (shared/API.md "Live").
//
// Every figure comes from the server, which derives it from the database: a `snapshot` on each
// (re)connect replaces the whole state, `gate_counts` / `sales` / `devices` messages replace
// their part. `scan` messages only feed the "Latest scans" list. The modules:
//   state.js   the figures, changed only through its functions
//   live.js    the socket, its reconnection, the HTTP poll while it is down, the stale banner
//   panels.js  tiles, gates, zones, latest scans, mirror (administrators only: the server
//              sends its state to them alone); charts.js the two charts and the chart's range
//   sales.js   tickets sold and revenue (per zone, per channel, in the event's currency)
//   format.js  numbers and money in the page's language, and times on the event's clock with
//              its offset (event.timezone)
//   alerts.js, devices.js   the cards with buttons (api.js: the staff API calls); alert_words.js
//              each alert in words
// Every text a person reads goes through ../i18n/gettext.js (docs/adr/0029).
// No dependencies but the vendored Chart.js (static/vendor/chartjs).
import { renderAlerts } from "./alerts.js";
import { loadNight, setupRangeToggle } from "./charts.js";
import { flash } from "./dom.js";
import { refreshAges, renderDevices } from "./devices.js";
import { currentSocket, markAsOf, reconnectNow, startLive } from "./live.js";
import { setTimeZone } from "./format.js";
import { renderCounts, renderFeed, renderMirror } from "./panels.js";
import { renderSales } from "./sales.js";
import * as state from "./state.js";

function renderAll() {
  renderCounts();
  renderSales();
  renderAlerts();
  renderDevices();
  renderFeed();
  renderMirror();
}

function applySnapshot(snap) {
  setTimeZone(snap.event && snap.event.timezone);
  state.replaceSnapshot(snap);
  renderAll();
  markAsOf(snap.at);
}

// A socket (re)connect may follow missed messages: the whole night, if shown, is read again (not
// on the HTTP polls while the socket is down: it is the one read that grows with the night).
function socketSnapshot(snap) {
  applySnapshot(snap);
  if (state.chartRange() === "night") loadNight();
}

let feedDirty = false;

function addScan(msg) {
  state.addScan(msg);
  if (!feedDirty) {
    feedDirty = true;
    setTimeout(() => { feedDirty = false; renderFeed(); }, 250); // at most 4 renders/s
  }
}

function handle(msg) {
  switch (msg.type) {
    case "snapshot": socketSnapshot(msg); break;
    case "gate_counts":
      if (!state.snapshot()) break;
      state.applyCounts(msg);
      renderCounts();
      markAsOf(msg.at);
      break;
    case "scan": addScan(msg); break;
    case "sales": if (msg.totals) { state.setSales(msg); renderSales(); } break;
    case "alert": if (state.upsertAlert(msg)) flash("tile-alerts"); renderAlerts(); break;
    case "alert_ack": state.acknowledgeAlert(msg); renderAlerts(); break;
    case "devices": state.setDevices(msg.devices); renderDevices(); renderAlerts(); break; // alerts name devices
    case "device": if (msg.revoked) state.markDeviceRevoked(msg.device_id); renderDevices(); break;
    case "mirror": state.setMirror(msg); renderMirror(); break;
    case "feed": state.setLive({ redis: !!msg.redis }); break; // live.js shows it
    default: break;
  }
}

setInterval(() => { if (state.snapshot()) refreshAges(); }, 1000);

setupRangeToggle();
const initial = document.getElementById("initial-snapshot");
if (initial) {
  try { applySnapshot(JSON.parse(initial.textContent)); } catch { /* the socket's snapshot follows */ }
}
startLive({ message: handle, snapshot: applySnapshot });
// For tests and for debugging from the console.
window.ticketcoreLive = { state: state.snapshot, socket: currentSocket, reconnectNow };
