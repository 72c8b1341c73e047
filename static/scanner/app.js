// TicketCore door scanner, the entry module: it starts the app, moves it between its screens
// (pairing, scan, revoked) and owns the two cameras they use. Each job is a module of its own:
//   state.js       what several jobs read, changed only through its functions (subscribe)
//   api.js         the device API client; a 401 means this phone lost its pairing
//   pairing.js     a one-time code becomes the device token
//   scanning.js    a code read (camera, hardware scanner) becomes one scan, online first
//   queue.js       scans decided offline: stored, then uploaded in batches
//   connection.js  heartbeats, online and offline, the timer of the background work
//   manifest.js    the offline ticket list, read back and refreshed
//   local.js       the keys and this phone's own admissions, for offline checks
//   result.js, status.js, conflicts.js, manual.js, words.js   what the steward sees and reads
//   texts.js, language.js   the page's own texts, and the language switch that rewrites them
//   kinds.js       what a read value is (a ticket's code, a box office's link, ...)
//   venue.js       what the offline list says about gates, zones and the doors, in event time
// Under them: offline.js (the offline rules), store.js (IndexedDB), camera.js, feedback.js, and
// page.js (the page's settings and elements), and ../i18n/gettext.js (the translations).
// Imports stay shallow: app.js is six imports above the deepest module (app, connection, queue,
// conflicts, words, venue, gettext). collectstatic rewrites imports to hashed names in passes, one
// level per pass when the files come in the worst order (docs/adr/0021); ticketcore/staticfiles.py
// allows twelve.
// Contract: shared/API.md ("Scanning", "Devices", "Door scanner app"); design: docs/adr/0015.
import { gettext, interpolate, ngettext } from "../i18n/gettext.js";
import { onPairingLost } from "./api.js";
import { QrCamera, prepareReader } from "./camera.js";
import { refreshConflicts } from "./conflicts.js";
import { heartbeat, startTicker, stopTicker } from "./connection.js";
import { played, unlockAudio } from "./feedback.js";
import { loadLocal, refreshManifest } from "./manifest.js";
import { wireLanguage } from "./language.js";
import { relabelManual, wireManual } from "./manual.js";
import { $, CONFIG } from "./page.js";
import { extractPairingCode, pair } from "./pairing.js";
import { syncQueue } from "./queue.js";
import { clearResult, hideResult, relabelLast } from "./result.js";
import { ignored, metrics, onCameraCode, onKeyDown, record, submit, uuid4 } from "./scanning.js";
import * as state from "./state.js";
import { renderDirection, renderHeader, renderManifestState, renderStatus } from "./status.js";
import { forgetDevice, loadDevice, saveDevice } from "./store.js";
import { writeTexts } from "./texts.js";
import { cameraProblem, number } from "./words.js";

state.setDevice(loadDevice());

// Read by the browser tests and handy when debugging a door phone over remote DevTools.
window.__scanner = { get state() { return state.snapshot(); }, metrics, ignored, played, config: CONFIG };

let camera = null; // the door's: reads tickets on the scan screen
let pairCamera = null; // the pairing screen's: reads the admin's device QR

function showScreen(name) {
  state.setScreen(name);
  document.body.dataset.screen = name;
  for (const id of ["pairing", "scan", "revoked"]) $(id).hidden = id !== name;
  if (name !== "scan") hideResult();
}

// ------------------------------------------------------------------------------ scanning

async function startScanning() {
  state.setStopped(false);
  unlockAudio(); // creating the AudioContext takes ~100 ms: not on the first result
  showScreen("scan");
  renderHeader();
  const saved = localStorage.getItem("tc.scanner.direction");
  if (saved === "in" || saved === "out") state.setDirection(saved);
  renderDirection();
  renderStatus();
  await loadLocal();
  if (!camera) {
    camera = new QrCamera($("video"), onCameraCode, (error) => cameraNote(() => cameraProblem(error)));
  }
  camera.start();
  refreshConflicts();
  heartbeat();
  refreshManifest();
  startTicker();
}

// What is wrong with the camera, kept as a function: written again after a language switch.
let cameraWords = null;

function cameraNote(words) {
  cameraWords = words;
  $("camera-msg").hidden = false;
  $("camera-msg").textContent = words();
}

function stopScanning() {
  if (camera) camera.stop();
  stopTicker();
}

// ------------------------------------------------------------------------------ pairing

function showPairing(message = "") {
  stopScanning();
  showScreen("pairing");
  $("pair-error").hidden = !message;
  $("pair-error").textContent = message;
  const device = state.device();
  $("pair-cancel").hidden = !device || device.revoked;
}

async function pairAndScan(raw) {
  const problem = await pair(raw);
  if (problem) showPairing(problem);
  else await startScanning();
}

function stopPairCamera() {
  if (pairCamera) pairCamera.stop();
  pairCamera = null;
  $("pair-camera").hidden = true;
  $("pair-scan").hidden = false;
}

function startPairCamera() {
  unlockAudio();
  $("pair-camera").hidden = false;
  $("pair-scan").hidden = true;
  pairCamera = new QrCamera($("pair-video"), (value) => {
    if (!extractPairingCode(value)) return;
    stopPairCamera();
    pairAndScan(value); // the whole link: pair() refuses a box office's
  }, (error) => {
    stopPairCamera();
    $("pair-error").hidden = false;
    $("pair-error").textContent = cameraProblem(error);
  });
  pairCamera.start();
}

function forgetPairing() {
  forgetDevice();
  state.setDevice(null);
}

// ------------------------------------------------------------------------------ revoked / unpaired

async function showRevoked() {
  if (state.stopped() && state.screen() === "revoked") return;
  state.setStopped(true);
  stopScanning();
  showScreen("revoked");
  const device = state.device();
  if (device) {
    const revoked = { ...device, revoked: true };
    state.setDevice(revoked);
    saveDevice(revoked);
  }
  // The contract lets a revoked phone hand over its queue: stored as quarantined evidence.
  handedOver = await syncQueue({ evenIfRevoked: true });
  writeHandedOver();
}

let handedOver = 0;

function writeHandedOver() {
  $("revoked-queue").textContent = handedOver ? interpolate(ngettext("%(count)s offline scan was handed over as evidence.",
    "%(count)s offline scans were handed over as evidence.", handedOver), { count: number(handedOver) }, true) : "";
}

function showUnpaired() {
  state.setStopped(true);
  forgetPairing();
  showPairing(gettext("This phone's pairing is no longer valid (it was re-paired or removed). Pair it again."));
}

onPairingLost((why) => (why === "revoked" ? showRevoked() : showUnpaired()));

// ------------------------------------------------------------------------------ start-up

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch((error) => {
    document.body.dataset.sw = "failed";
    console.warn("service worker not registered", error);
  });
  navigator.serviceWorker.ready.then((registration) => {
    document.body.dataset.sw = "ready";
    if (!navigator.serviceWorker.controller && registration.active) {
      registration.active.postMessage({ type: "claim" });
    }
  });
}

function wire() {
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", onKeyDown);
  window.addEventListener("online", () => { if (state.mode() === "offline") heartbeat(); });
  window.addEventListener("offline", () => state.setMode("offline"));
  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    unlockAudio();
    pairAndScan($("pair-code").value);
  });
  $("pair-scan").addEventListener("click", startPairCamera);
  $("pair-cancel").addEventListener("click", () => { stopPairCamera(); startScanning(); });
  $("repair").addEventListener("click", () => {
    forgetPairing();
    showPairing();
  });
  for (const button of document.querySelectorAll("#direction button")) {
    button.addEventListener("click", () => {
      state.setDirection(button.dataset.dir);
      localStorage.setItem("tc.scanner.direction", state.direction());
      renderDirection();
    });
  }
  $("result").addEventListener("click", hideResult);
  wireManual({ submit, record, uuid4 });
  $("menu-open").addEventListener("click", () => openMenu(true));
  $("menu-close").addEventListener("click", () => openMenu(false));
  $("unpair").addEventListener("click", () => {
    if (!confirm(gettext("Unpair this phone? It will need a new pairing code."))) return;
    openMenu(false);
    forgetPairing();
    showPairing();
  });
  wireLanguage(relabel);
}

// ------------------------------------------------------------------------------ this phone's menu, languages

function openMenu(open) {
  $("menu").hidden = !open;
  if (open) {
    hideResult();
    document.body.dataset.sheet = "menu";
  } else if (document.body.dataset.sheet === "menu") {
    delete document.body.dataset.sheet;
  }
}

/** After a language switch: every text on screen again, in the new language. A message of the
 * moment (a pairing error, an answer on screen) goes rather than stay in the old one. */
function relabel() {
  writeTexts();
  clearResult();
  $("pair-error").hidden = true;
  writeHandedOver();
  if (cameraWords) cameraNote(cameraWords);
  relabelLast();
  if (state.device() && state.screen() === "scan") {
    renderHeader();
    renderDirection();
    renderStatus();
    renderManifestState();
    refreshConflicts();
    relabelManual();
  }
  document.body.dataset.language = document.documentElement.lang;
}

async function boot() {
  writeTexts();
  wire();
  document.body.dataset.language = document.documentElement.lang;
  if (!window.isSecureContext) {
    // Camera, service worker and WebCrypto exist only over HTTPS (or on localhost).
    cameraNote(() => gettext("Not a secure (HTTPS) address: no camera, no offline checks. Open the app over HTTPS."));
  }
  registerServiceWorker();
  prepareReader(CONFIG.wasm).then(
    () => { document.body.dataset.reader = "ready"; },
    (error) => {
      document.body.dataset.reader = "failed";
      cameraNote(() => interpolate(gettext("QR reader failed to load (%(problem)s). Use a hardware scanner."),
        { problem: String(error) }, true));
    },
  );
  const code = new URLSearchParams(location.search).get("pair");
  const device = state.device();
  if (code) {
    // The code works once: keep it out of the history, bookmarks and an installed app's start.
    history.replaceState(null, "", CONFIG.scope);
    await pairAndScan(code);
  } else if (device && device.revoked) {
    showScreen("revoked");
  } else if (device) {
    await startScanning();
  } else {
    showPairing();
  }
}

boot();
