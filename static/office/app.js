// TicketCore box-office terminal, the entry module: it starts the app and moves it between its
// screens (pairing, sell, handover, till, revoked). Each job is a module of its own:
//   state.js       what several jobs read, changed only through its functions
//   api.js         the device API (static/common/http.js); a 401 means the office lost its pairing
//   stock.js       the office's seats, codes and prices on this device, refreshed by delta
//   sales.js       sales stored on the device, uploaded by the idempotent sync; refunds
//   connection.js  heartbeats, online and offline, the timer of the background work
//   picker.js, checkout.js, tickets.js, till.js, conflicts.js   what the clerk sees
// Under them: store.js (localStorage, IndexedDB), format.js (money, event time), page.js.
// Contract: shared/API.md ("Offline office", "Additions ..."); design: docs/adr/0031.
import { extractPairingCode, pairedDevice } from "../common/pairing_code.js";
import { gettext, interpolate, ngettext, pgettext } from "../i18n/gettext.js";
import { ApiError, api, onPairingLost } from "./api.js";
import { wireCheckout } from "./checkout.js";
import { renderRefunds } from "./conflicts.js";
import { heartbeat, startTicker, stopTicker } from "./connection.js";
import { $, CONFIG } from "./page.js";
import { renderPicker } from "./picker.js";
import { loadLocalSales, onSalesSynced } from "./sales.js";
import * as state from "./state.js";
import { loadLocalStock, onStockChange, refreshStock } from "./stock.js";
import { allSales, clearStock, forgetDevice, loadDevice, saveDevice } from "./store.js";
import { printTickets } from "./tickets.js";
import { fetchServerFigures, renderTill } from "./till.js";

state.setDevice(loadDevice());

// Read by the browser tests and handy over remote DevTools.
window.__office = { get state() { return state.snapshot(); }, config: CONFIG, allSales: () => allSales(state.officeId()) };

const SCREENS = ["pairing", "sell", "handover", "till", "revoked"];

function showScreen(name) {
  state.setScreen(name);
  document.body.dataset.screen = name;
  for (const id of SCREENS) $(id).hidden = id !== name;
}

function renderStatus() {
  const online = state.mode() === "online";
  document.body.dataset.mode = state.mode();
  document.body.dataset.pending = String(state.pending());
  $("offline-banner").hidden = online;
  $("net").textContent = online ? pgettext("network", "Online") : pgettext("network", "Offline");
  $("net").className = `net ${online ? "online" : "offline"}`;
  $("queue").textContent = state.pending()
    ? interpolate(ngettext("%s sale waiting to upload", "%s sales waiting to upload", state.pending()), [state.pending()])
    : gettext("All sales uploaded");
}

function renderHeader() {
  const device = state.device();
  const stock = state.stock();
  $("event-name").textContent = (stock && stock.meta.event.name) || (device.event && device.event.name) || "";
  $("office-name").textContent = (stock && stock.meta.office.name) || device.office.name;
}

state.subscribe((key) => {
  if (["mode", "pending", "syncing"].includes(key)) renderStatus();
});

// ------------------------------------------------------------------------------ selling

async function startSelling() {
  state.setStopped(false);
  showScreen("sell");
  await loadLocalStock();
  await loadLocalSales();
  renderHeader();
  renderStatus();
  renderPicker();
  renderRefunds();
  heartbeat();
  refreshStock();
  startTicker();
}

onStockChange(() => {
  renderHeader();
  renderPicker();
});

onSalesSynced(() => {
  renderPicker();
  renderRefunds();
  if (state.screen() === "till") renderTill();
});

// ------------------------------------------------------------------------------ pairing

function showPairing(message = "") {
  stopTicker();
  showScreen("pairing");
  $("pair-error").hidden = !message;
  $("pair-error").textContent = message;
}

async function pair(raw) {
  const code = extractPairingCode(raw);
  if (!code) return gettext("That is not a pairing code. It has 10 letters and digits.");
  $("pair-submit").disabled = true;
  try {
    const body = await api("/devices/pair", { method: "POST", body: { pairing_code: code }, auth: false, timeout: 10000 });
    if (body.role !== "office" || !body.office) {
      return interpolate(gettext("This is a door scanner's pairing code, now used: ask the admin for a new one, and open it with the door scanner at %s"),
        [new URL(CONFIG.scanner, location.href).href]);
    }
    const previous = state.device();
    const device = pairedDevice(body);
    state.setDevice(device);
    saveDevice(device);
    if (!previous || previous.office?.office_id !== body.office.office_id) {
      state.setStock(null);
      await clearStock();
    }
    return null;
  } catch (error) {
    if (error instanceof ApiError) {
      return error.code === "pairing_invalid"
        ? gettext("This pairing code is unknown, already used or expired. Ask the admin for a new one.")
        : interpolate(gettext("Pairing refused: %s"), [error.message]);
    }
    return gettext("No connection to the server. Pairing needs the network once; try again.");
  } finally {
    $("pair-submit").disabled = false;
  }
}

async function pairAndSell(raw) {
  const problem = await pair(raw);
  if (problem) showPairing(problem);
  else await startSelling();
}

// ------------------------------------------------------------------------------ revoked

async function showRevoked() {
  if (state.screen() === "revoked") return;
  state.setStopped(true); // no sale from now on: checkout.js and sales.js refuse
  stopTicker();
  showScreen("revoked");
  const device = state.device();
  if (device) {
    const revoked = { ...device, revoked: true };
    state.setDevice(revoked);
    saveDevice(revoked);
  }
  const kept = (await allSales(state.officeId())).filter((s) => s.pending === 1);
  document.body.dataset.kept = String(kept.length);
  $("revoked-queue").textContent = kept.length
    ? interpolate(ngettext("%s sale was not uploaded and is kept on this device.", "%s sales were not uploaded and are kept on this device.", kept.length), [kept.length])
    : gettext("Every sale had been uploaded.");
  $("revoked-export").hidden = kept.length === 0;
  $("revoked-steps").hidden = kept.length === 0;
}

/** The kept sales as a file that staff hand in on the box office's admin page, where they are
 * stored as evidence and never applied (offices/evidence.py reads this shape; the API refuses a
 * revoked office's upload: shared/API.md "Conventions"). The sales stay on the device too. */
async function exportKept() {
  const kept = (await allSales(state.officeId())).filter((s) => s.pending === 1);
  const blob = new Blob([JSON.stringify({ kind: "ticketcore.office.kept_sales", version: 1,
    office: state.device().office, device_id: state.device().device_id, event: state.device().event,
    exported_at: new Date().toISOString(), sales: kept }, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `box-office-sales-${state.officeId()}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  $("revoked-saved").hidden = false;
  $("revoked-saved").textContent = interpolate(
    ngettext("%(count)s sale saved as %(file)s in this device's downloads. It also stays here.",
      "%(count)s sales saved as %(file)s in this device's downloads. They also stay here.", kept.length),
    { count: kept.length, file: link.download }, true);
}

onPairingLost((why) => {
  if (why === "revoked") {
    showRevoked();
    return;
  }
  state.setStopped(true);
  forgetDevice();
  state.setDevice(null);
  showPairing(gettext("This box office's pairing is no longer valid (it was paired again elsewhere). Pair it again."));
});

// ------------------------------------------------------------------------------ start-up

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch((error) => {
    document.body.dataset.sw = "failed";
    console.warn("service worker not registered", error);
  });
  navigator.serviceWorker.ready.then((registration) => {
    document.body.dataset.sw = "ready";
    if (!navigator.serviceWorker.controller && registration.active) registration.active.postMessage({ type: "claim" });
  });
}

function wire() {
  window.addEventListener("online", () => { if (state.mode() === "offline") heartbeat(); });
  window.addEventListener("offline", () => state.setMode("offline"));
  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    pairAndSell($("pair-code").value);
  });
  wireCheckout(showScreen);
  $("print-thermal").addEventListener("click", () => printTickets("thermal"));
  $("print-a4").addEventListener("click", () => printTickets("a4"));
  $("handover-done").addEventListener("click", () => { showScreen("sell"); renderPicker(); });
  $("till-open").addEventListener("click", async () => {
    showScreen("till");
    await renderTill();
    if (state.mode() === "online") { await fetchServerFigures(); renderTill(); }
  });
  $("till-refresh").addEventListener("click", async () => { await fetchServerFigures(); renderTill(); });
  $("till-close").addEventListener("click", () => { showScreen("sell"); renderPicker(); });
  $("revoked-export").addEventListener("click", exportKept);
  $("unpair").addEventListener("click", () => {
    if (state.pending() && !confirm(gettext("Sales are still waiting to upload. Unpair anyway? They stay on this device."))) return;
    if (!confirm(gettext("Unpair this box office? It will need a new pairing code."))) return;
    forgetDevice();
    state.setDevice(null);
    showPairing();
  });
}

async function boot() {
  wire();
  registerServiceWorker();
  const code = new URLSearchParams(location.search).get("pair");
  const device = state.device();
  if (code) {
    history.replaceState(null, "", CONFIG.scope); // the code works once: out of the history
    await pairAndSell(code);
  } else if (device && device.revoked) {
    showRevoked();
  } else if (device) {
    await startSelling();
  } else {
    showPairing();
  }
}

boot();
