// Pairing: a one-time code (typed, or read from the admin's device QR, which encodes
// /scanner/?pair=CODE) becomes this phone's device token (POST /api/v1/devices/pair).
import { OFFICE_DEVICE_KEY, OFFICE_PATH, extractPairingCode, pairedDevice } from "../common/pairing_code.js";
import { gettext, interpolate } from "../i18n/gettext.js";
import { ApiError, api } from "./api.js";
import { codeKind } from "./kinds.js";
import { $ } from "./page.js";
import * as state from "./state.js";
import { clearManifest, saveDevice } from "./store.js";

export { extractPairingCode };

const officeCode = () => gettext("This is a box-office pairing code: it pairs the box-office terminal, not a door scanner. Ask the admin for a scanner pairing code.");

/** Pairs this phone; resolves to null once paired, or to what to tell the steward. */
export async function pair(raw) {
  // A box office's pairing link works once: never spend it on a door scanner.
  if (codeKind(raw) === "box_office") return `${officeCode()} ${interpolate(gettext("Open it with the box-office terminal: %s"), [new URL(OFFICE_PATH, location.href).href])}`;
  const code = extractPairingCode(raw);
  if (!code) return gettext("That is not a pairing code. It has 10 letters and digits.");
  $("pair-submit").disabled = true;
  $("pair-submit").textContent = gettext("Pairing…");
  try {
    const body = await api("/devices/pair", { method: "POST", body: { pairing_code: code }, auth: false, timeout: 10000 });
    if (body.role === "office") return officeHandedOver(body);
    if (body.role !== "steward" && body.role !== "supervisor") return `${officeCode()} ${gettext("That code is now used: ask the admin for a new one for the box office too.")}`;
    const previous = state.device();
    const device = {
      device_id: body.device_id, token: body.token, role: body.role, event: body.event,
      checkpoint: body.checkpoint, paired_at: new Date().toISOString(),
    };
    state.setDevice(device);
    saveDevice(device);
    if (!previous || previous.device_id !== body.device_id || (previous.event || {}).event_id !== body.event.event_id) {
      state.setManifest(null);
      await clearManifest();
    }
    state.setDirection("in");
    localStorage.removeItem("tc.scanner.direction");
    return null;
  } catch (error) {
    if (error instanceof ApiError) {
      return error.code === "pairing_invalid"
        ? gettext("This pairing code is unknown, already used or expired. Ask the admin for a new one.")
        : interpolate(gettext("Pairing refused: %(message)s"), { message: error.message }, true);
    }
    return gettext("No connection to the server. Pairing needs the network once; try again.");
  } finally {
    $("pair-submit").disabled = false;
    $("pair-submit").textContent = gettext("Pair");
  }
}

/** A box office's code, typed here: it is spent, so its pairing goes to the box-office terminal
 * of this device (same origin), which opens already paired. */
function officeHandedOver(body) {
  localStorage.setItem(OFFICE_DEVICE_KEY, JSON.stringify(pairedDevice(body)));
  return interpolate(gettext("This was a box-office pairing code. This device is now paired as that box office: open the box-office terminal at %s"),
    [new URL(OFFICE_PATH, location.href).href]);
}
