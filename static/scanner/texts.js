// The page's own texts. templates/scanner/index.html names each one (data-text: the element's
// text; data-label: its aria-label; data-placeholder) and this module writes them, in the
// language in use: the service worker keeps one copy of the page for both languages, and a
// language switched on the phone, even offline, must change every text (docs/adr/0029).
import { gettext, interpolate, pgettext } from "../i18n/gettext.js";

export const TEXTS = {
  "app-name": () => gettext("Door scanner"),
  language: () => gettext("Language"),
  "pair-title": () => gettext("Pair this phone"),
  "pair-lead": () => gettext("Scan the device QR code shown in the admin, or type its pairing code."),
  "pair-scan": () => gettext("Scan pairing QR"),
  "pair-or": () => gettext("or type the code"),
  "pair-code": () => gettext("Pairing code"),
  pair: () => gettext("Pair"),
  back: () => gettext("Back to scanning"),
  "pair-hint": () => gettext("Pairing needs the network once. After that the phone keeps scanning offline."),
  offline: () => pgettext("network", "OFFLINE"),
  "offline-how": () => gettext("checking tickets on this phone"),
  aim: () => gettext("Hold the ticket's QR code in the frame"),
  "no-ed25519": () => gettext("This browser cannot check tickets offline (no Ed25519). Update it before the doors open."),
  paused: () => gettext("Scanning paused"),
  direction: () => gettext("Direction"),
  in: () => pgettext("direction", "IN"),
  out: () => pgettext("direction", "OUT"),
  "no-reentry": () => gettext("No re-entry"),
  "by-hand": () => gettext("By hand"),
  "cant-scan": () => gettext("Can't scan?"),
  "this-phone": () => gettext("This phone"),
  close: () => gettext("Close"),
  "manual-title": () => gettext("Check a ticket by hand"),
  "manual-what": () => gettext("Seat (A-12), ticket number, or the code printed under the QR"),
  "look-up": () => gettext("Look up"),
  "manual-why": () => gettext("Why it cannot be scanned"),
  "why-damaged": () => gettext("Code damaged"),
  "why-screen": () => gettext("Screen broken or phone dead"),
  "why-unreadable": () => gettext("Code will not scan"),
  "why-other": () => gettext("Other"),
  note: () => gettext("Note (optional)"),
  "manual-hint": () => gettext("The server decides as for a scan: a used ticket stays used."),
  "call-title": () => gettext("Call a supervisor"),
  "call-wait": () => gettext("Do not let them in yet."),
  "call-aside": () => gettext("Ask the guest to step aside and keep their ticket or phone."),
  "conflicts-paused": () => interpolate(gettext("Scanning is paused until you tap “%(button)s”."), { button: gettext("Got it") }, true),
  "got-it": () => gettext("Got it"),
  unpair: () => gettext("Unpair this phone"),
  seat: () => gettext("Seat"),
  row: () => gettext("Row"),
  "revoked-title": () => gettext("This phone has been revoked"),
  "revoked-lead": () => gettext("It can no longer admit anyone and has stopped scanning. Hand it to a supervisor."),
  repair: () => gettext("Pair with a new code"),
};

/** Writes every named text of the page (again, after a language switch). */
export function writeTexts(root = document) {
  document.title = `${TEXTS["app-name"]()} · TicketCore`;
  for (const el of root.querySelectorAll("[data-text]")) el.textContent = TEXTS[el.dataset.text]();
  for (const el of root.querySelectorAll("[data-label]")) el.setAttribute("aria-label", TEXTS[el.dataset.label]());
  for (const el of root.querySelectorAll("[data-placeholder]")) el.placeholder = TEXTS[el.dataset.placeholder]();
}

/** Fills `el` with a translated sentence whose %(name)s parts are elements (a gate's name in
 * bold): the words around them come from the catalogue, in the order the language puts them. */
export function sentence(el, format, parts) {
  el.replaceChildren();
  for (const piece of format.split(/(%\(\w+\)s)/)) {
    const name = /^%\((\w+)\)s$/.exec(piece);
    if (name && parts[name[1]] !== undefined) el.append(parts[name[1]]);
    else if (piece) el.append(piece);
  }
}
